"""Benchmark: start-up time of `chrono --help` and `chrono --version` (the budget is 0.3 s for --help).

Not a test: prints numbers. Usage: python tests/bench/bench_startup.py [--runs N]
Runs the console script installed next to this interpreter (no shell shim in between), and
`python -m chrono_cli`, each N times (default 10) after one warm-up run, and prints the medians.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BUDGET = 0.3


def chrono_script() -> list[str]:
    beside = Path(sys.executable).with_name("chrono")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("chrono")
    return [found] if found else [sys.executable, "-m", "chrono_cli"]


def median_seconds(command: list[str], runs: int) -> float:
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)  # warm caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    baseline = median_seconds([sys.executable, "-c", "pass"], args.runs)
    print(f"python -c pass (interpreter alone): {baseline:.3f} s")
    for label, base in (("chrono", chrono_script()), ("python -m chrono_cli", [sys.executable, "-m", "chrono_cli"])):
        for flag in ("--help", "--version"):
            seconds = median_seconds([*base, flag], args.runs)
            verdict = "" if flag != "--help" else ("  (within 0.3 s)" if seconds < BUDGET else "  (OVER 0.3 s)")
            print(f"{label} {flag}: median of {args.runs} = {seconds:.3f} s{verdict}")


if __name__ == "__main__":
    main()
