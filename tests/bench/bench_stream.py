"""Benchmark: `chrono history` prints while it reads (issue 15: output streams).

Not a test: prints numbers. Usage: python tests/bench/bench_stream.py [--server URL] [--big N] [--skip-big]

Builds a history_meta pair (appuser / appuser_history) where user 1 has N versions, on PostgreSQL and on
SQLite, and measures, side by side in one run:

- first screen: seconds from starting `chrono history appuser 1` on a 160x24 pseudo-terminal (pager: less) until
  the terminal shows a full screen, streamed (the default) against the same history read whole first
  (`--limit N`, which keeps every version before printing, as every `history` did before streaming);
- memory: peak RSS of `chrono -f jsonl history appuser 1 > /dev/null` at 10 thousand and 1 million versions
  (`--big`), next to the history's size in the database, and the same read whole (`--limit N`) for contrast.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import termios
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
CHRONO = [sys.executable, "-m", "chrono_cli"]
ROWS, COLS = 24, 160

TABLES = [
    "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL)",
    "CREATE TABLE appuser_history (id integer NOT NULL, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL, changed timestamp, PRIMARY KEY (id, version))",
]
# user 1 with :n - 1 history rows (versions 1 .. n-1) and its live row at version n
FILL = {
    "postgresql": [
        "INSERT INTO appuser VALUES (1, 'u1@example.com', 'name v' || :n, :n)",
        "INSERT INTO appuser_history SELECT 1, 'u1@example.com', 'name v' || v, v, "
        "timestamp '2026-01-01' + v * interval '1 second' FROM generate_series(1, :n - 1) v",
    ],
    "sqlite": [
        "INSERT INTO appuser VALUES (1, 'u1@example.com', 'name v' || :n, :n)",
        "WITH RECURSIVE s(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM s WHERE v < :n - 1) "
        "INSERT INTO appuser_history SELECT 1, 'u1@example.com', 'name v' || v, v, "
        "datetime('2026-01-01', '+' || v || ' seconds') FROM s",
    ],
}


class Store:
    """One throwaway database holding a user with ``n`` versions."""

    def __init__(self, kind: str, server: str, n: int, tmp: Path) -> None:
        self.kind, self.server, self.n = kind, server, n
        if kind == "sqlite":
            self.path = tmp / f"stream_{n}.sqlite"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"chrono_bench_{uuid.uuid4().hex[:8]}"
            admin = create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f"CREATE DATABASE {self.name}"))  # generated identifier
            admin.dispose()
            self.url = make_url(server).set(database=self.name).render_as_string(hide_password=False)
        engine = create_engine(self.url)
        with engine.begin() as conn:
            for statement in [*TABLES, *FILL[kind]]:
                conn.execute(text(statement), {"n": n})
        if kind == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
                self.size = conn.execute(text("SELECT pg_total_relation_size('appuser_history')")).scalar_one()
        engine.dispose()
        if kind == "sqlite":
            self.size = self.path.stat().st_size

    def drop(self) -> None:
        if self.kind == "sqlite":
            self.path.unlink(missing_ok=True)
            return
        admin = create_engine(self.server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"))
        admin.dispose()


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("NO_COLOR", "PAGER", "LESS", "COLUMNS", "LINES", "CHRONO_FORMAT")
    }
    env.update(PYTHONPATH=str(ROOT), TERM="xterm-256color", **extra)
    return env


def _cpu(pid: int) -> float:
    """CPU seconds (user + system) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def first_screen(args: list[str]) -> tuple[float, float]:
    """Seconds (wall clock, and CPU time chrono used) until a 160x24 terminal running ``chrono args`` (through
    less) shows a full screen. CPU time does not depend on how many other processes share the machine."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [*CHRONO, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=_env(PAGER="less"),
        close_fds=True,
        start_new_session=True,
    )
    os.close(slave)
    seen, elapsed, cpu = b"", None, 0.0
    try:
        while elapsed is None:
            ready, _, _ = select.select([master], [], [], 300)
            if not ready:
                raise SystemExit(f"no full screen after 300 s: {args}")
            try:
                data = os.read(master, 65536)
            except OSError:
                data = b""
            if not data:
                raise SystemExit(f"chrono ended before a full screen ({seen[-500:]!r}): {args}")
            seen += data
            if seen.count(b"\n") >= ROWS - 1:
                elapsed = time.perf_counter() - start
                cpu = _cpu(proc.pid)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait()
        os.close(master)
    return elapsed, cpu


def peak_rss(args: list[str]) -> tuple[float, float]:
    """Peak resident memory (MB) and CPU seconds of ``chrono args`` writing to /dev/null."""
    with open(os.devnull, "wb") as null:
        proc = subprocess.Popen([*CHRONO, *args], stdout=null, stderr=subprocess.PIPE, env=_env())
        _, status, usage = os.wait4(proc.pid, 0)
    if status:
        raise SystemExit(f"chrono {' '.join(args)} failed: {proc.stderr.read().decode() if proc.stderr else ''}")
    return usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def _median(pairs: list[tuple[float, float]]) -> tuple[float, float]:
    """The median wall-clock time and the median CPU time of alternating runs."""
    return sorted(p[0] for p in pairs)[len(pairs) // 2], sorted(p[1] for p in pairs)[len(pairs) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--big", type=int, default=1_000_000, help="versions of the large history")
    parser.add_argument("--skip-big", action="store_true", help="measure memory at 10 thousand versions only")
    args = parser.parse_args()
    if not shutil.which("less"):
        raise SystemExit("less is needed for the first-screen measurement")
    load = os.getloadavg()
    print(f"load average: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} cores)")
    tmp = Path(tempfile.mkdtemp(prefix="chrono_stream_"))
    try:
        print(
            "\nfirst screen of `chrono history appuser 1` on a 160x24 terminal (less): CPU seconds chrono used "
            "until then (wall-clock seconds), median of 3"
        )
        print(f"{'db':<11} {'versions':>9} {'streamed':>16} {'read whole':>16} {'cpu ratio':>9}")
        for kind in ("postgresql", "sqlite"):
            for n in (20, 2_000):
                store = Store(kind, args.server, n, tmp)
                try:
                    db = ["--db", store.url]
                    runs = [
                        (
                            first_screen([*db, "history", "appuser", "1"]),
                            first_screen([*db, "history", "appuser", "1", "--limit", str(n)]),
                        )
                        for _ in range(3)
                    ]
                    (s_wall, s_cpu), (w_wall, w_cpu) = (_median([r[i] for r in runs]) for i in (0, 1))
                    print(
                        f"{kind:<11} {n:>9,} {s_cpu:>7.2f} ({s_wall:>5.2f}) {w_cpu:>7.2f} ({w_wall:>5.2f}) "
                        f"{w_cpu / s_cpu:>8.1f}x"
                    )
                finally:
                    store.drop()
        print("\npeak RSS of `chrono -f jsonl history appuser 1 > /dev/null`")
        print(
            f"{'db':<11} {'versions':>9} {'history size':>13} {'streamed':>9} {'cpu s':>7} "
            f"{'read whole':>11} {'cpu s':>7}"
        )
        sizes = (10_000,) if args.skip_big else (10_000, args.big)
        for kind in ("postgresql", "sqlite"):
            for n in sizes:
                store = Store(kind, args.server, n, tmp)
                try:
                    db = ["--db", store.url, "-f", "jsonl"]
                    rss, cpu = peak_rss([*db, "history", "appuser", "1"])
                    whole = (
                        ""
                        if n > 10_000
                        else "{:>9.0f} MB {:>7.1f}".format(
                            *peak_rss([*db, "history", "appuser", "1", "--limit", str(n)])
                        )
                    )
                    print(f"{kind:<11} {n:>9,} {store.size / 2**20:>10.1f} MB {rss:>6.0f} MB {cpu:>7.1f} {whole}")
                finally:
                    store.drop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
