"""The console script ``chrono`` (and ``python -m chrono_cli``).

Python's cyclic garbage collector is paused while the command line and the command run are imported and built:
the objects made then (modules, classes, functions) live as long as the process, and the collector kept scanning
them, about 4% of a one-record read (50 million instructions of 1.27 G). They are then frozen (``gc.freeze``: left
out of every later collection) and the collector runs as usual for the command's own work.
"""

import gc
import sys


def main() -> None:
    gc.disable()
    try:
        from chrono_cli.cli import app

        application = app.app_for(sys.argv[1:])
    finally:
        gc.freeze()
        gc.enable()
    app.run(application)
