"""Benchmark: set-based `chrono restore TABLE --at T --all-changed-since T` of 100,000 rows, against hand SQL.

Not a test: prints numbers. Usage: python tests/bench/bench_bulk_restore.py [--backend pg mariadb sqlite]
[--rows N] [--runs N]
Builds a history_meta pair (appuser / appuser_history, 3 history rows per user, every user changed after T)
once per backend as a template (a template database on PostgreSQL, a database copied table by table on MariaDB,
a file on SQLite), then per run takes a fresh copy and times, on the copy, alternating:
  chrono     `chrono restore appuser --at T --all-changed-since T --yes` end to end (a subprocess: wall time,
             its CPU time and peak RSS), and the plan / apply split measured in process;
  hand SQL   the same restore written by hand: one INSERT ... SELECT of the pre-restore states into the
             history and one UPDATE ... FROM the first history row after T, in one transaction.
Every way ends with the same live rows (checked: the live table's checksum after chrono = after the hand SQL).
Ratios are medians measured side by side in one run: wall time, and CPU time of the client plus its server
session (the PostgreSQL backend process, the MariaDB connection thread, read from /proc; SQLite runs in the
client), which the load of other processes on the machine does not inflate.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, create_engine, event, insert, text
from sqlalchemy.engine import make_url

T = datetime(2026, 1, 1, 12, 0, 0)
SERVERS = {
    "pg": "postgresql+psycopg2://postgres@127.0.0.1:5432/postgres",
    "mariadb": "mysql+pymysql://root@127.0.0.1:3306/mysql",
}
BATCH = 10_000

md = MetaData()
APPUSER = Table(
    "appuser",
    md,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(120), nullable=False, unique=True),
    Column("name", String(80)),
    Column("plan", String(20)),
    Column("version", Integer, nullable=False),
)
HISTORY = Table(
    "appuser_history",
    md,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("email", String(120), nullable=False),
    Column("name", String(80)),
    Column("plan", String(20)),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("changed", DateTime, index=True),
)

# the hand-written restore: the live rows into the history (stamped now), then each row set to its first
# history row after T (the rows just written have a higher version, so the first one stays the old one)
FIRST_AFTER = (
    "SELECT h.* FROM appuser_history h JOIN (SELECT id, MIN(version) AS v FROM appuser_history "
    "WHERE changed > :t GROUP BY id) f ON h.id = f.id AND h.version = f.v"
)
TO_HISTORY = (
    "INSERT INTO appuser_history (id, email, name, plan, version, changed) "
    "SELECT a.id, a.email, a.name, a.plan, a.version, {now} FROM appuser a "
    "WHERE a.id IN (SELECT id FROM appuser_history WHERE changed >= :t)"
)
HAND = {
    "pg": [
        TO_HISTORY.format(now="now() AT TIME ZONE 'UTC'"),
        "UPDATE appuser a SET email = h.email, name = h.name, plan = h.plan, version = a.version + 1 "
        "FROM (SELECT DISTINCT ON (id) * FROM appuser_history WHERE changed > :t ORDER BY id, version) h "
        "WHERE a.id = h.id",
    ],
    "mariadb": [
        TO_HISTORY.format(now="UTC_TIMESTAMP()"),
        f"UPDATE appuser a JOIN ({FIRST_AFTER}) h ON a.id = h.id SET a.email = h.email, a.name = h.name, "
        "a.plan = h.plan, a.version = a.version + 1",
    ],
    "sqlite": [
        TO_HISTORY.format(now="strftime('%Y-%m-%d %H:%M:%f', 'now')"),
        f"UPDATE appuser SET email = h.email, name = h.name, plan = h.plan, version = appuser.version + 1 "
        f"FROM ({FIRST_AFTER}) h WHERE appuser.id = h.id",
    ],
}


@dataclass
class Backend:
    """Where the template lives and how a run gets a fresh copy of it."""

    name: str
    build: Callable[[int], None]
    copy: Callable[[], str]  # a fresh copy's URL
    drop: Callable[[str], None]  # drop a copy
    close: Callable[[], None]  # drop the template


def fill(url: str, users: int) -> None:
    """The tables and rows: user u has v1 (changed 10:00), v2 (13:00, after T), v3 (14:00); the live row is v4."""
    engine = create_engine(url)
    md.create_all(engine)
    with engine.begin() as conn:
        for start in range(1, users + 1, BATCH):
            ids = range(start, min(start + BATCH, users + 1))
            conn.execute(
                insert(APPUSER),
                [
                    {"id": u, "email": f"u{u}@example.com", "name": f"name {u} v4", "plan": "team", "version": 4}
                    for u in ids
                ],
            )
            conn.execute(
                insert(HISTORY),
                [
                    {
                        "id": u,
                        "email": f"u{u}@example.com",
                        "name": f"name {u} v{v}",
                        "plan": "pro" if v == 2 else "free",
                        "version": v,
                        "changed": datetime(2026, 1, 1, 9) + timedelta(hours=v + (2 if v > 1 else 0)),
                    }
                    for u in ids
                    for v in (1, 2, 3)
                ],
            )
    engine.dispose()


def admin(server: str, *statements: str) -> None:
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for statement in statements:
            conn.execute(text(statement))  # generated identifiers only
    engine.dispose()


def url_for(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def postgresql(server: str) -> Backend:
    template = f"chrono_bench_bulk_{uuid.uuid4().hex[:8]}"

    def build(users: int) -> None:
        admin(server, f"CREATE DATABASE {template}")
        fill(url_for(server, template), users)
        admin(url_for(server, template), "VACUUM ANALYZE")

    def copy() -> str:
        name = f"{template}_c{uuid.uuid4().hex[:6]}"
        admin(server, f"CREATE DATABASE {name} TEMPLATE {template}")
        return url_for(server, name)

    def drop(url: str) -> None:
        admin(server, f"DROP DATABASE IF EXISTS {make_url(url).database} WITH (FORCE)")

    return Backend("PostgreSQL", build, copy, drop, lambda: drop(url_for(server, template)))


def mariadb(server: str) -> Backend:
    template = f"chrono_bench_bulk_{uuid.uuid4().hex[:8]}"

    def build(users: int) -> None:
        admin(server, f"CREATE DATABASE {template}")
        fill(url_for(server, template), users)

    def copy() -> str:
        name = f"{template}_c{uuid.uuid4().hex[:6]}"
        admin(
            server,
            f"CREATE DATABASE {name}",
            *(
                s
                for t in ("appuser", "appuser_history")
                for s in (
                    f"CREATE TABLE {name}.{t} LIKE {template}.{t}",
                    f"INSERT INTO {name}.{t} SELECT * FROM {template}.{t}",
                )
            ),
            f"ANALYZE TABLE {name}.appuser, {name}.appuser_history",
        )
        return url_for(server, name)

    def drop(url: str) -> None:
        admin(server, f"DROP DATABASE IF EXISTS {make_url(url).database}")

    return Backend("MariaDB", build, copy, drop, lambda: drop(url_for(server, template)))


def sqlite() -> Backend:
    folder = tempfile.mkdtemp(prefix="chrono_bench_bulk_")
    template = os.path.join(folder, "template.db")

    def build(users: int) -> None:
        fill(f"sqlite:///{template}", users)

    def copy() -> str:
        path = os.path.join(folder, f"c{uuid.uuid4().hex[:6]}.db")
        shutil.copy(template, path)
        return f"sqlite:///{path}"

    def drop(url: str) -> None:
        os.unlink(make_url(url).database or "")

    return Backend("SQLite", build, copy, drop, lambda: shutil.rmtree(folder, ignore_errors=True))


def checksum(url: str) -> str:
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, email, name, plan, version FROM appuser ORDER BY id")).all()
    engine.dispose()
    return hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()


def run_cli(url: str, *args: str) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one `chrono --db URL ARGS --yes` in a subprocess."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "chrono_cli", "--db", url, *args, "--yes"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    err = proc.stderr.read() if proc.stderr else ""
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own CPU time and peak RSS
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(err)
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


RESTORE = ("restore", "appuser", "--at", T.isoformat() + "Z", "--all-changed-since", T.isoformat() + "Z")


class SessionCpu:
    """CPU seconds used by an engine's server sessions (PostgreSQL backends, MariaDB threads) and this process."""

    def __init__(self, engine: Engine) -> None:
        self.dialect = engine.dialect.name
        self.stats: list[str] = []
        self.client = time.process_time()
        event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_conn: object, _record: object) -> None:
        cur = dbapi_conn.cursor()  # type: ignore[attr-defined]
        if self.dialect == "postgresql":
            cur.execute("SELECT pg_backend_pid()")
            self.stats.append(f"/proc/{cur.fetchone()[0]}/stat")
        elif self.dialect in ("mysql", "mariadb"):
            cur.execute("SELECT TID FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")
            self.stats.append(f"/proc/{_mariadbd()}/task/{cur.fetchone()[0]}/stat")
        cur.close()
        dbapi_conn.rollback()  # type: ignore[attr-defined]  # end the transaction the query began

    def seconds(self) -> float:
        """Client CPU since creation plus the sessions' CPU so far (read while they are still open)."""
        total = time.process_time() - self.client
        for path in self.stats:
            with open(path) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        return total


def _mariadbd() -> int:
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/comm") as f:
                if f.read().strip() in ("mariadbd", "mysqld"):
                    return int(pid)
        except OSError:
            continue
    raise SystemExit("no mariadbd process on this machine: cannot read the server's CPU time")


def run_in_process(url: str) -> tuple[float, float, float]:
    """Plan seconds, apply seconds, CPU seconds (client + server sessions)."""
    from chrono_cli.services.bulk_restore import apply_bulk_restore, plan_bulk_restore
    from chrono_cli.services.workspace import Settings, Workspace

    ws = Workspace(Settings(url=url))
    cpu = SessionCpu(ws.engine)
    started = time.perf_counter()
    plan = plan_bulk_restore(ws, "appuser", at=T.isoformat() + "Z", since=T.isoformat() + "Z")
    planned = time.perf_counter()
    apply_bulk_restore(ws, plan)
    applied = time.perf_counter()
    used = cpu.seconds()
    ws.close()
    return planned - started, applied - planned, used


def run_hand(url: str, dialect: str) -> tuple[float, float]:
    """Wall seconds and CPU seconds (client + server session)."""
    engine = create_engine(url)
    cpu = SessionCpu(engine)
    t = T.isoformat(sep=" ") if dialect == "sqlite" else T  # SQLite compares the stored text
    started = time.perf_counter()
    with engine.begin() as conn:
        for stmt in HAND[dialect]:
            conn.execute(text(stmt), {"t": t})
    elapsed = time.perf_counter() - started
    used = cpu.seconds()
    engine.dispose()
    return elapsed, used


def bench(backend: Backend, dialect: str, rows: int, runs: int) -> None:
    print(f"{backend.name}: building {rows:,} users x 3 history rows ... ({datetime.now(UTC):%H:%M:%S})", flush=True)
    backend.build(rows)
    try:
        results: dict[str, list[float]] = {
            "chrono end to end": [],
            "chrono plan (in process)": [],
            "chrono apply (in process)": [],
            "hand-written SQL": [],
        }
        cpu: dict[str, list[float]] = {"cli": [], "inproc": [], "hand": []}
        rss: list[float] = []
        sums = set()
        for _ in range(runs):
            for kind in ("cli", "hand", "inproc"):
                url = backend.copy()
                try:
                    if kind == "cli":
                        wall, seconds, peak = run_cli(url, *RESTORE)
                        results["chrono end to end"].append(wall)
                        rss.append(peak)
                    elif kind == "inproc":
                        plan_s, apply_s, seconds = run_in_process(url)
                        results["chrono plan (in process)"].append(plan_s)
                        results["chrono apply (in process)"].append(apply_s)
                    else:
                        wall, seconds = run_hand(url, dialect)
                        results["hand-written SQL"].append(wall)
                    cpu[kind].append(seconds)
                    sums.add(checksum(url))
                finally:
                    backend.drop(url)
        med = {k: statistics.median(v) for k, v in results.items()}
        cpu_med = {k: statistics.median(v) for k, v in cpu.items()}
        print(
            f"{backend.name}: rows restored {rows:,}; runs {runs}; same final rows every way: {len(sums) == 1}; "
            f"load average {os.getloadavg()[0]:.1f}"
        )
        for label, values in results.items():
            print(f"  {label:28s} median {med[label]:6.2f} s   (min {min(values):.2f}, max {max(values):.2f})")
        print(
            f"  CPU time medians: chrono CLI process {cpu_med['cli']:.2f} s (peak RSS {max(rss):.0f} MiB); "
            f"chrono in process + server session {cpu_med['inproc']:.2f} s; "
            f"hand SQL client + server session {cpu_med['hand']:.2f} s"
        )
        hand = med["hand-written SQL"]
        inproc = med["chrono plan (in process)"] + med["chrono apply (in process)"]
        print(
            f"  ratio to the hand SQL: wall, end to end {med['chrono end to end'] / hand:.2f}x; "
            f"wall, in process {inproc / hand:.2f}x; CPU, in process {cpu_med['inproc'] / cpu_med['hand']:.2f}x",
            flush=True,
        )
    finally:
        backend.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    names = ["pg", "mariadb", "sqlite"]
    parser.add_argument("--backend", nargs="+", choices=names, default=names)
    parser.add_argument("--pg", default=SERVERS["pg"], help="PostgreSQL server URL")
    parser.add_argument("--mariadb", default=SERVERS["mariadb"], help="MariaDB server URL")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    makers = {"pg": lambda: postgresql(args.pg), "mariadb": lambda: mariadb(args.mariadb), "sqlite": sqlite}
    for name in args.backend:
        bench(makers[name](), name, args.rows, args.runs)


if __name__ == "__main__":
    main()
