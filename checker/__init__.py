"""The self-check: grades a folder of the four task files as the school's
checker would, on Keras 2 and Keras 3, without running the learner's code in
this process.

Two roles, two processes. The runner (checker.runner) is the only code that
imports a learner's file; it runs in a sandbox (checker.sandbox) and reports
what it finds as plain data (checker.protocol), and what the learner's
code prints goes to pipes the judge reads. The judge (checker.judge,
with checker.cli, checker.grade and checker.batch around it) never runs
the learner's code: it checks what the runner reports against its own
computation and decides every verdict; only it writes results.

    make check DIR=path/to/folder
    python -m checker path/to/folder --json results.json

- checker.tasks: the four tasks, their mains' arguments and the checks' ids
- checker.static: checks that read the files (shebang, pycodestyle, ...)
- checker.spec: the specification's sentences as functions of the models'
  descriptions
- checker.align: a model's layers aligned with the specification's, the
  whole difference told with the lines that made each layer
- checker.runner: runs the task files on one engine (the learner's side):
  a zygote that forks each task's import, checks and main processes
- checker.probes, checker.vae_probes, checker.variants: what the runner
  does for each check and what it finds
- checker.describe: the models as data for the judge
- checker.explain: crashes told in the learner's terms
- checker.sandbox: what the runner's processes can reach, and their end
- checker.protocol: the frames the runner sends over its pipe
- checker.judge: what the judge read of the runner, and every verdict
- checker.recompute: the judge's numpy forward pass of the reported models
- checker.measures: the judge's own measures of the evidence
- checker.engines: each engine's runner started in its sandbox, what the
  judge reads of it, the verdicts per folder and task
- checker.cli: the command: runs everything, prints the table, writes JSON
- checker.grade: the grader of the platforms (Gradescope, PrairieLearn,
  GitHub Classroom): their layouts, their results' schemas, the limits
- checker.batch: a class's folders graded N at a time, resumable
"""
