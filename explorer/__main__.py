"""Serves the explorer: python -m explorer [--host H] [--port N]."""
from explorer.app import main

main()
