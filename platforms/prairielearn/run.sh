#!/usr/bin/env bash
# PrairieLearn's external grader runs this in the image of
# platforms/Dockerfile: it grades /grade/student and writes
# /grade/results/results.json (PrairieLearn's schema), whatever the
# submission does (python -m checker.grade -h for the limits). The
# submission's code runs as one of the runner's users (autoencoders-runner
# and autoencoders-runner-1 to -15, made by the Dockerfile's
# checker.harden), in the sandbox the result's output names.
set -uo pipefail
cd /grader
exec .venv/bin/python -m checker.grade prairielearn --root "${GRADE_ROOT:-/grade}" \
  --engines keras2 ${GRADER_FLAGS:-}
