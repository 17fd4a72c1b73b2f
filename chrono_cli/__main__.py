"""python -m chrono_cli."""

from chrono_cli.cli.launch import main

main()
