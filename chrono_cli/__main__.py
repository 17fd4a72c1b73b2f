"""python -m chrono_cli."""

from chrono_cli.cli.app import main

main()
