"""Benchmark: where a one-record read's work goes, in instructions (valgrind's callgrind counts them exactly).

Not a test: prints numbers. Usage: python tests/bench/read_instructions.py [--server URL]
CPU seconds move with the machine's load; instruction counts do not (the same run twice differs by well under
1%), so this splits `chrono -f json history appuser 42` on PostgreSQL (the history_meta pair bench_read.py
uses) into what the floor pays too and what only chrono pays, each part measured as the difference between two
processes that import or run one thing more:

- the floor (floor_read.py), and the imports it needs (SQLAlchemy, psycopg2 and its dialect);
- chrono's modules a read imports (services, the detected conventions, rendering), the conventions' registry
  (entry points), the read itself (the services called directly), and the command line (typer and chrono's cli).

Needs valgrind (each process runs about 30 times slower under it: the script takes a minute or two).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_history import build, drop  # noqa: E402 - a sibling script, not a package

GOAL = 1.3
FLOOR_IMPORTS = "import sqlalchemy, psycopg2, sqlalchemy.dialects.postgresql.psycopg2"
# what a history_meta read on PostgreSQL imports of chrono (the conventions its detection asks on this database)
READ_IMPORTS = FLOOR_IMPORTS + """
from chrono_cli.config import Config
from chrono_cli.services import read
from chrono_cli.services.workspace import Settings, Workspace
from chrono_cli.render import render
from chrono_cli.render.formats import OutputFormat
import chrono_cli.render.output, chrono_cli.render.documents
import chrono_cli.conventions.builtin.history_meta.convention, chrono_cli.conventions.builtin.chrononaut.convention
import chrono_cli.conventions.builtin.temporal_tables.convention
"""
REGISTRY = READ_IMPORTS + "from chrono_cli.conventions.registry import default\ndefault()\n"
DIRECT = READ_IMPORTS + """
import sys
ws = Workspace(Settings(sys.argv[1], (), Config()))
with read.history_stream(ws, "appuser", "42") as ts:
    render(ts, OutputFormat.JSON, sys.stdout)
"""


def instructions(command: list[str]) -> int:
    """Instructions one run of ``command`` executes (its output thrown away)."""
    done = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", *command],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    found = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if done.returncode or found is None:
        raise SystemExit(f"{' '.join(command)} failed: {done.stderr.strip()[-2000:]}")
    return int(found.group(1).replace(",", ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed to count instructions")
    chrono = Path(sys.executable).with_name("chrono")
    name = build(args.server, 10_000, 10)
    try:
        url = make_url(args.server).set(database=name).render_as_string(hide_password=False)
        python = [sys.executable, "-c"]
        floor = instructions([sys.executable, str(HERE / "floor_read.py"), url, "appuser", "appuser_history", "id",
                              "42"])
        floor_imports = instructions([*python, FLOOR_IMPORTS])
        read_imports = instructions([*python, READ_IMPORTS])
        registry = instructions([*python, REGISTRY])
        direct = instructions([*python, DIRECT, url])
        whole = instructions([str(chrono) if chrono.is_file() else sys.executable, *([] if chrono.is_file() else
                              ["-m", "chrono_cli"]), "--db", url, "-f", "json", "history", "appuser", "42"])
    finally:
        drop(args.server, name)
    g = 1e9
    rows = [
        ("the floor: SQLAlchemy, psycopg2 and its dialect imported", floor_imports),
        ("the floor: connecting, the two queries, JSON", floor - floor_imports),
        ("chrono: its modules a read imports", read_imports - floor_imports),
        ("chrono: the conventions' registry (entry points)", registry - read_imports),
        ("chrono: the read (reflection, detection, queries, JSON)", direct - registry),
        ("chrono: the command line (typer and chrono's cli)", whole - direct),
    ]
    print("instructions of `chrono -f json history appuser 42` on PostgreSQL (valgrind callgrind), in G")
    for label, count in rows:
        print(f"  {label:<58} {count / g:6.3f}  ({count / floor:5.1%} of the floor)")
    print(f"floor {floor / g:.3f} G, chrono {whole / g:.3f} G: {whole / floor:.2f}x (goal {GOAL}x: chrono may add "
          f"{(GOAL - 1) * floor / g:.3f} G, it adds {(whole - floor) / g:.3f} G)")


if __name__ == "__main__":
    main()
