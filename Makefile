# Everything runs from two virtual environments that this Makefile creates itself:
#   .venv         TensorFlow 2.15.1 (Keras 2), the grader's environment, plus the linters
#   .venv-keras3  the newest TensorFlow (Keras 3 behind tensorflow.keras) and JAX,
#                 Keras 3's other engine (KERAS_BACKEND=jax)
PYTHON ?= python3
VENV ?= .venv
VENV3 ?= .venv-keras3
EPOCHS ?= 50
APPS ?= anomaly compression denoising theory dimensionality
BENCH_EPOCHS ?= 5
OUT ?= outputs
HOST ?= 127.0.0.1
PORT ?= 7860
PIP := --disable-pip-version-check --quiet
# every training command resumes an interrupted run of itself; FRESH=1
# discards that progress and starts afresh
FRESH ?=
FRESH_FLAG := $(if $(FRESH),--fresh)
# The tests' models are tiny, so JAX spends their time compiling them with
# XLA rather than running them: without XLA's backend optimizations the JAX
# tests take half the time, with the same results (within the tests'
# tolerances). `make test TEST_XLA_FLAGS=` keeps the optimizations.
TEST_XLA_FLAGS ?= --xla_backend_optimization_level=0

PY2 := $(VENV)/bin/python
PY3 := $(VENV3)/bin/python
MAINS := 0 1 2 3
# The specification's sentences are checked by the self-check (checker/),
# which the Keras 2 suite runs on the task files on both TensorFlow engines.
# Keras 3's JAX engine runs the saving and resuming tests of the task files
# (what make demo-fast needs of it); the Keras 3 / TensorFlow suite leaves
# the applications end to end and the engine-free tests to Keras 2.
JAX_TESTS := tests/test_saving.py

.PHONY: help venv venv-keras3 venv-core venv-keras3-core lock pythons autograder grade-cost check-profile torch check lint test test-keras2 test-keras3 test-jax demo demo-fast bench bench-keras3 bench-backends ablation applications learn interruption explore explore-bench clean

help:
	@echo "make demo [EPOCHS=N]  set up, then train the four models and write figures to $(OUT)/"
	@echo "make demo-fast        the same four mains, each on the engine fastest on this host (timed first)"
	@echo "make check DIR=PATH   grade the four task files in PATH as the school's checker would (scored on Keras 2, Keras 3 shown apart)"
	@echo "make test             lint, then the test suites on Keras 2, Keras 3 / TensorFlow and Keras 3 / JAX"
	@echo "make test-keras2      the test suite on TensorFlow 2.15 only"
	@echo "make test-keras3      the test suite on the newest TensorFlow only (applications end to end: Keras 2)"
	@echo "make test-jax         the task files saved, loaded and resumed on Keras 3's JAX engine only"
	@echo "make lint             pycodestyle, vermin (Python 3.9 syntax) and actionlint on the project's files"
	@echo "make bench            50-epoch reproduction run, writes results/ and docs/results.md"
	@echo "make bench-keras3     the same run on the newest TensorFlow"
	@echo "make bench-backends   each main on every engine (oneDNN off and on, JAX, PyTorch) against the host's floor,"
	@echo "                      then demo-fast beside make demo (EPOCHS), then the settings tried"
	@echo "make ablation         the VAE with its KL term summed and averaged, 50 epochs each"
	@echo "make applications     anomaly detection, compression, denoising, theory notes, H&S 2006:"
	@echo "                      results/, docs/NAME.md and the front page's table"
	@echo "                      (one of them: make applications APPS=denoising)"
	@echo "make learn            the specification's learning objectives and quiz, answered: docs/learn.md"
	@echo "make interruption     what an interruption costs: a main stopped halfway and resumed, against a whole run"
	@echo "                      (every training command resumes where it stopped; FRESH=1 starts afresh)"
	@echo "make explore [PORT=N] the explorer: a local page to play with the models (http://127.0.0.1:7860/)"
	@echo "make explore-bench    the explorer's endpoints timed, and its screenshots: results/, docs/explorer.md"
	@echo "make venv-core        the grader's environment, with what make check and make demo use"
	@echo "make venv             the same, with everything (the tests, the applications)"
	@echo "make venv-keras3-core the newest TensorFlow's environment, with what make check uses"
	@echo "make venv-keras3      the same, with everything (the tests, the explorer, JAX)"
	@echo "make pythons          make check's first set-up and verdict from each Python 3.9 to 3.13 here, and offline"
	@echo "make torch            PyTorch's CPU build in the Keras 3 environment (Keras 3's third engine)"
	@echo "make lock             resolve requirements*.txt into locks/, with hashes, for each Python"
	@echo "make autograder       the self-check as a Gradescope autograder: dist/gradescope-autograder.zip (KERAS3=1: both engines)"
	@echo "make grade-cost       what grading one folder and a class costs: time, CPU, peak memory (docs/self-check.md)"
	@echo "make check-profile    where the self-check's time goes: the file checks, one task, a folder on both engines [BASELINE=CHECKOUT]"
	@echo "make clean            remove the virtual environments, outputs and the data cache"

venv: $(VENV)/.installed
venv-keras3: $(VENV3)/.installed
# what make check and make demo use of each environment
venv-core: $(VENV)/.core
venv-keras3-core: $(VENV3)/.core

# The environments are made by uv (pinned), which the machine's python3
# puts in the project's own folder (pip --target: no system change, no
# root); tools/environment.py picks each one's Python (PYTHON where it fits,
# else one uv finds or fetches) and installs it from its lock in locks/,
# with hashes. (PyTorch, for make torch, stays with pip, which finds the CPU
# build on disk.)
UV_VERSION ?= 0.13.9
UV_HOME := .cache/uv-$(UV_VERSION)
UVBIN := $(UV_HOME)/bin/uv
ENVIRONMENT = $(PYTHON) tools/environment.py --uv $(UVBIN)

$(UVBIN):
	$(PYTHON) -m pip install $(PIP) --target $(UV_HOME) uv==$(UV_VERSION)

# (where the whole environment was installed, all of it again: syncing the
# core alone would remove what the tests and the applications use)
$(VENV)/.core: requirements-data.txt $(wildcard locks/keras2-core-*.txt) pyproject.toml | $(UVBIN)
	$(ENVIRONMENT) keras2 $(if $(wildcard $(VENV)/.installed),all,core) --folder $(VENV)
	touch $@

# everything: in one install where the core is not there yet (make test
# from a fresh clone); the all locks hold the core ones' pins
$(VENV)/.installed: requirements-data.txt $(wildcard locks/keras2-*.txt) pyproject.toml | $(UVBIN)
	$(ENVIRONMENT) keras2 all --folder $(VENV)
	touch $(VENV)/.core $@

$(VENV3)/.core: requirements-data.txt $(wildcard locks/keras3-core-*.txt) pyproject.toml | $(UVBIN)
	$(ENVIRONMENT) keras3 $(if $(wildcard $(VENV3)/.installed),all,core) --folder $(VENV3) $(if $(OPTIONAL),--optional)
	if [ ! -e $(VENV3).missing ]; then touch $@; fi

$(VENV3)/.installed: requirements-data.txt $(wildcard locks/keras3-*.txt) pyproject.toml | $(UVBIN)
	$(ENVIRONMENT) keras3 all --folder $(VENV3)
	touch $(VENV3)/.core $@

# The locks: requirements*.txt resolved for each Python each environment
# takes (x86_64 Linux, where tensorflow-cpu has wheels), with the hashes of
# every file (run after changing a pin; it needs the package index)
LOCK = $(UVBIN) pip compile --quiet --generate-hashes --no-header --python-platform x86_64-manylinux_2_28
lock: | $(UVBIN)
	mkdir -p locks
	for v in 3.9 3.10 3.11; do \
		$(LOCK) --python-version $$v requirements.txt -o locks/keras2-core-py$$v.txt && \
		$(LOCK) --python-version $$v requirements.txt requirements-extra.txt \
			-c locks/keras2-core-py$$v.txt -o locks/keras2-py$$v.txt || exit 1; \
	done
	for v in 3.11 3.12 3.13; do \
		$(LOCK) --python-version $$v requirements-keras3.txt -o locks/keras3-core-py$$v.txt && \
		$(LOCK) --python-version $$v requirements-keras3.txt requirements-keras3-extra.txt \
			-c locks/keras3-core-py$$v.txt -o locks/keras3-py$$v.txt || exit 1; \
	done

# make check's first-time set-up and its verdict on a learner-style folder,
# from each Python 3.9 to 3.13 this machine has (environments of their
# own, made afresh), then from 3.12 alone, offline: results/pythons.json
# and docs/pythons.md's table
pythons: venv | $(UVBIN)
	$(PY2) tools/pythons.py --readme

lint: venv
	$(PY2) -m pycodestyle $$(git ls-files '*.py' ':!tests/learners')
	$(VENV)/bin/vermin --target=3.9- --violations --no-tips --eval-annotations \
		$$(git ls-files '*.py' ':!tests/learners')
	$(VENV)/bin/actionlint .github/workflows/*.yml platforms/classroom/classroom.yml

test-keras2: venv
	$(PY2) -m pytest -q --durations=10 tests

test-keras3: venv-keras3
	XLA_FLAGS="$(TEST_XLA_FLAGS)" KERAS_BACKEND=tensorflow $(PY3) -m pytest -q --durations=10 -m "not application and not one_engine" tests

test-jax: venv-keras3
	XLA_FLAGS="$(TEST_XLA_FLAGS)" KERAS_BACKEND=jax $(PY3) -m pytest -q --durations=10 $(JAX_TESTS)

# the lint and the three suites side by side on the machine's cores, each
# starting as soon as its environment is installed, each one's output
# printed whole when it ends
test:
	$(MAKE) --no-print-directory -j3 --output-sync=target test-keras2 lint test-keras3 test-jax

# Each finished main is noted in .cache/make/; after an interruption `make
# demo` runs again from the main in progress (which resumes at its last
# finished epoch), and once all four have finished the next `make demo`
# starts afresh. An interrupted command exits with 130 (Ctrl-C) or 143.
DONE = .cache/make/$(1)
space := $(subst ,, )
demo: venv-core
	@done=$(call DONE,demo-$(EPOCHS)-$(subst /,_,$(OUT))); \
	if [ -n "$(FRESH)" ] || [ -f $$done/all ]; then rm -rf $$done; fi; \
	mkdir -p $$done; \
	for n in $(MAINS); do \
		if [ -f $$done/$$n ]; then \
			echo "== test_files/$$n-main.py: finished in an earlier run of make demo"; continue; \
		fi; \
		echo "== test_files/$$n-main.py --epochs $(EPOCHS)"; \
		$(PY2) test_files/$$n-main.py --epochs $(EPOCHS) --out $(OUT) $(FRESH_FLAG) || exit $$?; \
		touch $$done/$$n; \
	done; \
	touch $$done/all

# PyTorch for Keras 3's third engine: optional, so a failed install only
# leaves that engine out of the measurements
torch: venv-keras3
	$(PY3) -m pip install $(PIP) --no-compile -r requirements-torch.txt || \
		echo "PyTorch did not install: Keras 3 / PyTorch is left out"

demo-fast: venv venv-keras3 torch
	$(PY2) tools/backends.py --fastest --epochs $(EPOCHS) --out $(OUT) --json results/backends.json --readme docs/engines.md
	$(PY2) tools/glance.py

# the four mains on every engine, then on their fastest and on make demo's,
# side by side in one run (the "× floor" goal), then the settings tried
bench-backends: venv venv-keras3 torch
	$(PY2) tools/backends.py --epochs $(BENCH_EPOCHS) --json results/backends.json --readme docs/engines.md
	$(PY2) tools/backends.py --fastest --with-demo --epochs $(EPOCHS) --json results/backends.json --readme docs/engines.md
	$(PY2) tools/backends.py --trials --json results/backends.json --readme docs/engines.md
	$(PY2) tools/glance.py

bench: venv
	$(PY2) tools/bench.py --epochs $(EPOCHS) --json results/results.json --readme docs/results.md $(FRESH_FLAG)
	$(PY2) tools/glance.py

bench-keras3: venv-keras3
	$(PY3) tools/bench.py --epochs $(EPOCHS) --json results/results-keras3.json --readme docs/results.md

ablation: venv
	$(PY2) tools/vae_kl_ablation.py --epochs $(EPOCHS) --json results/vae-kl-ablation.json
	$(PY2) tools/bench.py --json results/results.json --readme docs/results.md --render

# each application as its page's run: the flags its record's command names
APP_FLAGS_denoising ?= --epochs 100
APP_FLAGS_dimensionality ?= --epochs 50 --rbm-epochs 30 --tune --tune-epochs 5
applications: venv
	@done=$(call DONE,applications-$(subst $(space),-,$(strip $(APPS)))); \
	if [ -n "$(FRESH)" ] || [ -f $$done/all ]; then rm -rf $$done; fi; \
	mkdir -p $$done; \
	for app in $(APPS); do \
		if [ -f $$done/$$app ]; then \
			echo "== applications/$$app.py: finished in an earlier run of make applications"; continue; \
		fi; \
		flags=$$(case $$app in \
			denoising) echo $(APP_FLAGS_denoising);; \
			dimensionality) echo $(APP_FLAGS_dimensionality);; esac); \
		echo "== applications/$$app.py $$flags"; \
		$(PY2) applications/$$app.py --readme $$flags $(FRESH_FLAG) || exit $$?; \
		touch $$done/$$app; \
	done; \
	touch $$done/all
	$(PY2) tools/glance.py

# the learning objectives and quiz, answered from the project's records;
# trains the vanilla model (twice) and the VAE for EPOCHS first
learn: venv
	$(PY2) tools/learn.py --epochs $(EPOCHS) --readme docs/learn.md

# the time an interruption costs: the convolutional main for 10 epochs,
# whole, then stopped by SIGINT halfway through epoch 5 and run again
interruption: venv
	$(PY2) tools/interruption.py --readme docs/resuming.md
	$(PY2) tools/glance.py

explore: venv-keras3
	$(PY3) -m explorer --host $(HOST) --port $(PORT)

explore-bench: venv-keras3
	$(PY3) -m explorer.bench --readme docs/explorer.md
	$(PY2) tools/glance.py

# the self-check as a Gradescope autograder: dist/gradescope-autograder.zip,
# setup.sh and run_autograder at its root beside what the grader runs (the
# files as they are in this folder); KERAS3=1 also sets up the newest
# TensorFlow there, whose checks show as zero-point tests
AUTOGRADER_FILES := 0-vanilla.py 1-sparse.py 2-convolutional.py 3-variational.py \
	Makefile pyproject.toml requirements-data.txt locks aelib checker test_files \
	tools/__init__.py tools/environment.py
autograder:
	rm -rf dist/autograder dist/gradescope-autograder.zip
	mkdir -p dist/autograder
	tar -c $$(git ls-files $(AUTOGRADER_FILES)) | tar -x -C dist/autograder
	cp -p platforms/gradescope/setup.sh platforms/gradescope/run_autograder dist/autograder/
	$(if $(KERAS3),touch dist/autograder/KERAS3)
	cd dist/autograder && $(PYTHON) -m zipfile -c ../gradescope-autograder.zip *
	@echo "wrote dist/gradescope-autograder.zip"

# what grading one folder and a class costs: time, CPU and peak memory
# (results/grading.json, docs/self-check.md)
grade-cost: venv venv-keras3-core
	$(PY2) tools/grade_cost.py --readme

# BASELINE=CHECKOUT: the same runs in a checkout of an earlier commit (with
# its own .venv and .venv-keras3), in turn with this one's
check-profile: venv venv-keras3-core
	$(PY2) tools/profile_check.py --readme $(if $(BASELINE),--baseline $(BASELINE))

clean:
	rm -rf $(VENV) $(VENV3) $(VENV).missing $(VENV3).missing $(OUT) data .cache dist

# the self-check: grades the four task files in DIR as the school's checker
# would: scored on Keras 2 (the grader's engine), Keras 3 shown apart
# (python -m checker -h for its flags). tests/learners holds learner-style
# folders, some with mistakes on purpose: the lint leaves them out
DIR ?= .
check: venv-core
	@$(MAKE) --no-print-directory venv-keras3-core OPTIONAL=1
	$(PY2) -m checker $(DIR) --environment keras2=$(VENV) --environment keras3=$(VENV3) $(CHECK_FLAGS)
