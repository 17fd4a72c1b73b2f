"""Benchmark: `chrono browse` first screens (issue 16: responsive on a 10,000-version record; startup).

Not a test: prints numbers. Usage: python tests/bench/bench_browse.py [--server URL] [--versions N] [--runs K]
                                   [--tables N] [--before PATH]

Each measurement runs the browser headless (Textual's pilot, 160x48) in a child process under GNU time and
prints, side by side in one run:

- timeline: seconds from starting the child until the timeline of a history_meta record with N versions (user 1
  of tests/bench/bench_stream.py's tables, on SQLite and PostgreSQL) shows its first rows, the child's CPU
  seconds until then, and its peak RSS; the same for a SQLAlchemy-Continuum and a PaperTrail record with N
  versions (article 1 and widget 1 of tests/browse/test_timeline_pages.py's ``fill_continuum`` and
  ``fill_paper_trail``);
- demo: the same for `chrono --db examples/demo.sqlite browse` (the tables screen);
- tables: the tables screen of a SQLite database with ``--tables`` history_meta pairs.

``--before PATH``: also run every measurement against the chrono_cli of another checkout (e.g. /work/main, the
code before a change), alternating, and print the ratio of the CPU seconds (steadier than wall-clock time on a
shared machine).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if __name__ == "__main__" and sys.argv[1:2] != ["--child"]:
    sys.path.insert(0, str(ROOT))
    from tests.bench.bench_stream import Store
    from tests.bench.measured import measured
    from tests.browse.test_timeline_pages import fill_continuum, fill_paper_trail


def child(spawned: float, url: str, table: str | None, key: str | None) -> None:
    """In the measured process: open the browser, wait for the first rows, print the seconds since the parent
    started this process (the interpreter's start and every import included), quit."""
    from textual.widgets import DataTable

    from chrono_cli.browse.app import BrowseApp
    from chrono_cli.config import Config
    from chrono_cli.services.workspace import Settings, Workspace

    async def main() -> tuple[float, float]:
        app = BrowseApp(Workspace(Settings(url, (), Config())), table=table, key=key)
        async with app.run_test(size=(160, 48)) as pilot:
            while True:
                tables = list(app.screen.query(DataTable)) if len(app.screen_stack) > 1 else []
                if tables and tables[0].row_count:
                    shown = time.time() - spawned
                    usage = os.times()
                    cpu = usage.user + usage.system
                    break
                await pilot.pause(0.005)
            await pilot.press("q")
        return shown, cpu

    shown, cpu = asyncio.run(main())
    print(json.dumps({"first_screen": shown, "cpu": cpu}))


def run(code: Path, url: str, table: str | None, key: str | None) -> tuple[float, float, float]:
    """Seconds until the first screen (wall clock, and the child's CPU), and its peak RSS (MB), of one run."""
    env = {**os.environ, "PYTHONPATH": f"{code}{os.pathsep}{ROOT}"}
    args = [sys.executable, str(Path(__file__).resolve()), "--child", str(time.time()), url,
            *([table] if table else []), *([key] if key else [])]
    m = measured(args, env)
    if m.code:
        raise SystemExit(f"child failed ({m.code}): {args}")
    doc = json.loads(m.stdout.strip().splitlines()[-1])
    return doc["first_screen"], doc["cpu"], m.rss_kib / 1024


def many_tables(url: str, n: int) -> None:
    """``n`` history_meta pairs (t0001 / t0001_history ...), each with one record of three versions."""
    from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine

    meta = MetaData()
    pairs = []
    for i in range(1, n + 1):
        live = Table(f"t{i:04d}", meta, Column("id", Integer, primary_key=True), Column("name", String(40)),
                     Column("version", Integer, nullable=False))
        history = Table(f"t{i:04d}_history", meta, Column("id", Integer, primary_key=True),
                        Column("name", String(40)), Column("version", Integer, primary_key=True),
                        Column("changed", DateTime))
        pairs.append((live, history))
    engine = create_engine(url)
    meta.create_all(engine)
    with engine.begin() as conn:
        for live, history in pairs:
            conn.execute(live.insert(), {"id": 1, "name": "v3", "version": 3})
            conn.execute(history.insert(), [{"id": 1, "name": f"v{v}", "version": v,
                                             "changed": datetime(2026, 1, v, tzinfo=UTC)} for v in (1, 2)])
    engine.dispose()


def _median(values: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return tuple(sorted(v[i] for v in values)[len(values) // 2] for i in range(3))  # type: ignore[return-value]


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        rest = sys.argv[2:]
        child(float(rest[0]), rest[1], rest[2] if len(rest) > 2 else None, rest[3] if len(rest) > 3 else None)
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--tables", type=int, default=500, help="history_meta pairs of the wide database")
    parser.add_argument("--before", type=Path, help="another checkout's root: measure its chrono_cli too")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    codes = [("this", ROOT), *([("before", args.before)] if args.before else [])]
    print(f"first screen: wall-clock s, CPU s until then, and the peak RSS of the headless browser, "
          f"median of {args.runs}")
    head = " ".join(f"{name:>26}" for name, _ in codes)
    print(f"{'what':<28} {head}" + ("  CPU before/this" if args.before else ""))
    tmp = Path(tempfile.mkdtemp(prefix="chrono_browse_"))
    cases: list[tuple[str, str, str | None, str | None, Any]] = [
        ("demo: tables screen", f"sqlite:///{ROOT / 'examples' / 'demo.sqlite'}", None, None, None)]
    for kind in ("sqlite", "postgresql"):
        store = Store(kind, args.server, args.versions, tmp)
        cases.append((f"{kind}: {args.versions:,} versions", store.url, "appuser", "1", store))
        continuum = Store(kind, args.server, 1, tmp)  # a throwaway database; the article is all that is opened
        fill_continuum(continuum.url, args.versions)
        cases.append((f"{kind}: Continuum {args.versions:,}", continuum.url, "article", "1", continuum))
        paper_trail = Store(kind, args.server, 2, tmp)
        fill_paper_trail(paper_trail.url, args.versions - 1)
        cases.append((f"{kind}: PaperTrail {args.versions:,}", paper_trail.url, "widgets", "1", paper_trail))
    wide = tmp / "wide.sqlite"
    many_tables(f"sqlite:///{wide}", args.tables)
    cases.append((f"sqlite: {args.tables} tables", f"sqlite:///{wide}", None, None, None))
    try:
        for label, url, table, key, _ in cases:
            runs = [[run(code, url, table, key) for _name, code in codes] for _ in range(args.runs)]  # alternating
            results = [_median([r[i] for r in runs]) for i in range(len(codes))]
            cells = " ".join(f"{s:>8.2f} {c:>7.2f} {r:>8.0f} MB" for s, c, r in results)
            ratio = f"  {results[1][1] / results[0][1]:>5.2f}x" if args.before else ""  # CPU: the steadier one
            print(f"{label:<28} {cells}{ratio}", flush=True)
    finally:
        for *_, store in cases:
            if store is not None:
                store.drop()


if __name__ == "__main__":
    main()
