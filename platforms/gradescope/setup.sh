#!/usr/bin/env bash
# Gradescope runs this once, as root, in its image (Ubuntu 22.04, from
# /autograder/source, where the autograder's zip is unpacked): it makes the
# grader's environment (TensorFlow 2.15.1, numpy 1.25.2, from the hashed
# locks, with uv) beside the image's python3, which it leaves as it is.
# KERAS3=1 (in the zip: make autograder KERAS3=1) also makes the newest
# TensorFlow's, whose checks the results show as zero-point tests.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v make >/dev/null || ! python3 -m pip --version >/dev/null 2>&1
then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq make python3-pip
fi
# a Python uv fetches for an environment (where the image's python3 does
# not fit it) goes where the runner's users can read it, not under /root
export UV_PYTHON_INSTALL_DIR="${UV_PYTHON_INSTALL_DIR:-/opt/autoencoders/python}"
make venv-core
if [ -e KERAS3 ]; then
  make venv-keras3-core OPTIONAL=1
fi
# the learners' code runs as users of its own (autoencoders-runner and
# autoencoders-runner-1 to -15, one per job at once), in the sandbox; the
# reference task files are root's alone, the MNIST cache the mains read is
# made and left readable; where an environment's Python is out of those
# users' reach (pyenv's under /root, say), the environment runs a copy of
# it in .venv-python/; where nothing works, it stops with one line that
# says what to do
.venv/bin/python -m checker.harden
