"""python -m checker FOLDER: see checker.cli; with --batch, checker.batch."""
from checker import cli

ARGS = cli.parse_args()
if ARGS.batch:
    from checker import batch
    batch.main(ARGS)
else:
    cli.main(args=ARGS)
