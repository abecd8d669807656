"""python -m checker FOLDER: see checker.cli."""
from checker.cli import main

main()
