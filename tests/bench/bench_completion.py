"""Benchmark: one TAB press of KEY completion, answered from the cache and from the database (budget 0.2 s).

Not a test: prints numbers. Usage: python tests/bench/bench_completion.py [--runs N]
On a copy of examples/demo.sqlite, runs the completion the shell runs (`_CHRONO_COMPLETE=complete_bash chrono`
for `chrono --db DEMO history users 4`) N times each, interleaved so machine load hits every side alike:
  python      `python -c pass`: the interpreter's own start, which no completion can avoid;
  --help      `chrono --help`: importing the CLI;
  cached      the completion answered from the per-database cache (the second TAB within its 60 s);
  database    the same completion with CHRONO_COMPLETE_TTL=0: every TAB reads the history store.
Prints the median CPU time (user + system of the child) and wall time of each, and their ratios.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUDGET = 0.2


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """CPU seconds (user + system) and wall seconds of one run, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run(command, capture_output=True, text=True, env=env, check=True).stdout
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    chrono = [str(Path(sys.executable).with_name("chrono"))]
    if not Path(chrono[0]).is_file():
        chrono = [sys.executable, "-m", "chrono_cli"]
    with tempfile.TemporaryDirectory() as tmp:
        demo = Path(tmp) / "demo.sqlite"
        shutil.copy(ROOT / "examples" / "demo.sqlite", demo)
        line = f"chrono --db {demo} history users 4"
        base = {**os.environ, "XDG_STATE_HOME": tmp, "CHRONO_COMPLETE_TIMEOUT": "60",
                "_CHRONO_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(line.split(" ")) - 1)}
        plain = {k: v for k, v in base.items() if not k.startswith(("_CHRONO", "COMP_"))}
        sides = {"python": ([sys.executable, "-c", "pass"], plain), "--help": ([*chrono, "--help"], plain),
                 "cached": (chrono, {**base, "CHRONO_COMPLETE_TTL": "3600"}),
                 "database": (chrono, {**base, "CHRONO_COMPLETE_TTL": "0"})}
        expected = run(chrono, base)[2]  # fills the cache; every side must then offer the same keys
        assert "42" in expected.split(), expected
        cpu: dict[str, list[float]] = {name: [] for name in sides}
        wall: dict[str, list[float]] = {name: [] for name in sides}
        for _ in range(args.runs):
            for name, (command, env) in sides.items():
                c, w, out = run(command, env)
                if name in ("cached", "database"):
                    assert sorted(out.split()) == sorted(expected.split()), (name, out)
                cpu[name].append(c)
                wall[name].append(w)
    load = os.getloadavg()[0]
    print(f"{args.runs} runs each, interleaved; load average {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'side':10} {'cpu s':>8} {'wall s':>8}")
    med = {name: (statistics.median(cpu[name]), statistics.median(wall[name])) for name in sides}
    for name, (c, w) in med.items():
        print(f"{name:10} {c:8.3f} {w:8.3f}")
    print(f"cached / database CPU: {med['cached'][0] / med['database'][0]:.2f}")
    print(f"cached / --help CPU:   {med['cached'][0] / med['--help'][0]:.2f}")
    verdict = "within" if med["cached"][0] <= BUDGET else "over"
    print(f"cached completion CPU {med['cached'][0]:.3f} s: {verdict} the {BUDGET} s budget")


if __name__ == "__main__":
    main()
