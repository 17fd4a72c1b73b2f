"""Benchmark: one-record reads (history, show, diff, blame) against the floor, in CPU time, on SQLite and PostgreSQL.

Not a test: prints numbers. Usage: python tests/bench/bench_read.py [--runs N] [--server URL]
The floor (floor_read.py) is a Python process that imports SQLAlchemy and the driver, connects and runs the two
point queries a history_meta record needs (its live row, its history rows), printing JSON. chrono and the floor
run alternately, N times each (default 10), and the medians of their CPU time (user + system of the process) are
compared, so the machine's load weighs on both sides alike. Peak RSS is the largest resident set of the process.
SQLite reads the demo database (examples/demo.sqlite, user 42: 10 versions); PostgreSQL a throwaway database
with a history_meta pair of 1,000 records of 10 versions each (tests/bench/bench_history.py builds it).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from bench_history import build, drop  # noqa: E402 - a sibling script, not a package

GOAL = 1.3
COMMANDS = ("history", "show", "diff", "blame")


def chrono_script() -> list[str]:
    beside = Path(sys.executable).with_name("chrono")
    return [str(beside)] if beside.is_file() else [sys.executable, "-m", "chrono_cli"]


def measure(command: list[str]) -> tuple[float, int]:
    """(CPU seconds, peak RSS in KiB) of one run; the output is read and thrown away."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    error = process.stderr.read().decode() if process.stderr else ""
    if status:
        raise SystemExit(f"{' '.join(command)} failed: {error.strip()}")
    return usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def compare(label: str, chrono: list[str], floor: list[str], runs: int, *, key: tuple[str, str]) -> None:
    """Each read command on ``key`` (table, key) against the floor, alternating; one line per command."""
    for name in COMMANDS:
        command = [*chrono, "-f", "json", name, *key]
        measure(command)  # warm the page cache
        ours: list[tuple[float, int]] = []
        base: list[tuple[float, int]] = []
        for _ in range(runs):
            ours.append(measure(command))
            base.append(measure(floor))
        cpu, floor_cpu = statistics.median(c for c, _ in ours), statistics.median(c for c, _ in base)
        ratio = cpu / floor_cpu
        verdict = "" if ratio <= GOAL else f"(over {GOAL}x)"
        print(
            f"{label:<10} {name:<8} {cpu:>10.3f} {floor_cpu:>10.3f} {ratio:>6.2f}x {verdict:<13}"
            f" {max(r for _, r in ours) / 1024:>9.1f} {max(r for _, r in base) / 1024:>9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    chrono = chrono_script()
    floor = [sys.executable, str(HERE / "floor_read.py")]
    print(
        f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; median of {args.runs} "
        f"alternating runs; goal: chrono within {GOAL}x of the floor"
    )
    print(
        f"{'backend':<10} {'command':<8} {'chrono s':>10} {'floor s':>10} {'ratio':>7} {'':<13}"
        f" {'chrono MB':>9} {'floor MB':>9}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.sqlite"
        shutil.copy(HERE.parent.parent / "examples" / "demo.sqlite", demo)
        compare(
            "sqlite",
            [*chrono, "--db", str(demo)],
            [*floor, f"sqlite:///{demo}", "users", "users_history", "id", "42"],
            args.runs,
            key=("users", "42"),
        )
    name = build(args.server, 10_000, 10)
    try:
        url = make_url(args.server).set(database=name).render_as_string(hide_password=False)
        compare(
            "postgresql",
            [*chrono, "--db", url],
            [*floor, url, "appuser", "appuser_history", "id", "42"],
            args.runs,
            key=("appuser", "42"),
        )
    finally:
        drop(args.server, name)
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
