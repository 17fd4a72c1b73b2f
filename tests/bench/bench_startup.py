"""Benchmark: start-up time of `chrono --help`, `--version` and shell completion (the budget is 0.15 s).

Not a test: prints numbers. Usage: python tests/bench/bench_startup.py [--runs N]
Runs the console script installed next to this interpreter (no shell shim in between), and
`python -m chrono_cli`, each N times (default 10) after one warm-up run, and prints the medians of the wall
time (and of the CPU time, which the machine's load disturbs less). Completion is invoked the way the
committed scripts in completions/ do it: `_CHRONO_COMPLETE=complete_bash` with COMP_WORDS and COMP_CWORD set,
for a command name and for an option name (TABLE completion reads the database and is not start-up).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BUDGET = 0.15
COMPLETIONS = {  # what a TAB press runs: (COMP_WORDS, COMP_CWORD)
    "complete a command (chrono hi<TAB>)": ("chrono hi", "1"),
    "complete an option (chrono history --<TAB>)": ("chrono history --", "2"),
}


def chrono_script() -> list[str]:
    beside = Path(sys.executable).with_name("chrono")
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("chrono")
    return [found] if found else [sys.executable, "-m", "chrono_cli"]


def median_seconds(command: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    """Medians of (wall seconds, CPU seconds) over ``runs`` runs after a warm-up run."""
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)  # warm caches
    walls, cpus = [], []
    for _ in range(runs):
        start = time.perf_counter()
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        _, status, usage = os.wait4(process.pid, 0)
        walls.append(time.perf_counter() - start)
        cpus.append(usage.ru_utime + usage.ru_stime)
        if status:
            raise SystemExit(f"{' '.join(command)} failed")
    return statistics.median(walls), statistics.median(cpus)


def editable_install() -> bool:
    """Whether this interpreter's chrono_cli is an editable install (a finder module in site-packages)."""
    import sysconfig

    return any(Path(sysconfig.get_paths()["purelib"]).glob("__editable__*chrono_cli*"))


def line(label: str, seconds: tuple[float, float], runs: int, budget: bool) -> str:
    wall, cpu = seconds
    verdict = "" if not budget else (f"  (within {BUDGET} s)" if wall <= BUDGET else f"  (OVER {BUDGET} s)")
    return f"{label}: median of {runs} = {wall:.3f} s wall, {cpu:.3f} s CPU{verdict}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if editable_install():
        print("note: chrono is installed editable (pip install -e): its import finder adds 10-15 ms to every start; "
              "measure a `pip install .` for what users get")
    print(
        line(
            "python -c pass (interpreter alone)",
            median_seconds([sys.executable, "-c", "pass"], args.runs),
            args.runs,
            False,
        )
    )
    for label, base in (("chrono", chrono_script()), ("python -m chrono_cli", [sys.executable, "-m", "chrono_cli"])):
        for flag in ("--help", "--version"):
            print(line(f"{label} {flag}", median_seconds([*base, flag], args.runs), args.runs, flag == "--help"))
    for label, (words, cword) in COMPLETIONS.items():
        env = dict(os.environ, _CHRONO_COMPLETE="complete_bash", COMP_WORDS=words, COMP_CWORD=cword)
        print(line(label, median_seconds(chrono_script(), args.runs, env), args.runs, True))


if __name__ == "__main__":
    main()
