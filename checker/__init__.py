"""The self-check: grades a folder of the four task files as the school's
checker would, on Keras 2 and Keras 3, without running the learner's code in
this process.

    make check DIR=path/to/folder
    python -m checker path/to/folder --json results.json

- checker.tasks: the four tasks, their mains' arguments and the checks' ids
- checker.static: checks that read the files (shebang, pycodestyle, ...)
- checker.spec: the specification's sentences as functions of the models
- checker.probe: runs one task's file on one engine, in a subprocess
- checker.cli: the command: runs everything, prints the table, writes JSON
- checker.grade: the grader of the platforms (Gradescope, PrairieLearn,
  GitHub Classroom): their layouts, their results' schemas, the limits
- checker.batch: a class's folders graded N at a time, resumable
"""
