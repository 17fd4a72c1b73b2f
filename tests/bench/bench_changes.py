"""Benchmark: `chrono changes` (first page, next page, a deep page) on PostgreSQL with millions of history rows.

Not a test: prints numbers. Usage: python tests/bench/bench_changes.py [--server URL] [--rows N] [--runs N]
Builds one throwaway database per layout with N history rows (default 10 million, 10 versions per record,
three changes a minute): a history_meta pair (appuser / appuser_history, timed by `changed`) and an
SQLAlchemy-Continuum store (article / article_version / "transaction", with the indexes Continuum 2.0 creates)
and a django-simple-history one (shop_item / shop_historicalitem, with the indexes its migration creates).
Cases: every table, one table, its second page (the `next_before` cursor `-f json` prints), and pages at
depths 50% and 99% back (the cursor such a page would print: a time, and for Continuum `#` and the transaction
id), and one table again after adding a record with --hot versions that are the newest changes (the first page
is then all that record's). history_meta runs without an index on `changed`, then after CREATE INDEX ON
appuser_history (changed).
Each case prints, side by side, chrono in process (list_changes through a fresh Workspace: connect, reflect,
query) and the floor: a fresh connection running the single keyset query by hand for the same page (the 20
newest changes below the cursor, by the store's index), taking turns, medians of --runs; their ratio (wall and
this process's CPU), the time chrono spent in SQL, and the CLI end to end in a subprocess with its peak RSS.
EXPLAIN ANALYZE of chrono's slowest statement is printed when a case takes more than --slow seconds in process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from measured import measured  # tests/bench, this script's folder
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

HISTORY_META = [
    "CREATE TABLE appuser (id integer PRIMARY KEY, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL)",
    "CREATE TABLE appuser_history (id integer NOT NULL, email varchar(120) NOT NULL, name varchar(80), "
    "version integer NOT NULL, changed timestamp)",
    "INSERT INTO appuser SELECT u, 'u' || u || '@example.com', 'name ' || u || ' v' || (:per + 1), :per + 1 "
    "FROM generate_series(1, :keys) u",
    # written in time order: version v of every user, then v + 1; change n = (v-1)*keys + (u-1) lands
    # at minute n/3, second n%3 -- three changes per inferred change set, a minute between sets
    "INSERT INTO appuser_history SELECT u, 'u' || u || '@example.com', 'name ' || u || ' v' || v, v, "
    "timestamp '2020-01-01' + (((v - 1)::bigint * :keys + u - 1) / 3) * interval '1 minute' "
    "+ (((v - 1)::bigint * :keys + u - 1) % 3) * interval '1 second' "
    "FROM generate_series(1, :per) v, generate_series(1, :keys) u",
    "ALTER TABLE appuser_history ADD PRIMARY KEY (id, version)",
]

CONTINUUM = [
    "CREATE TABLE article (id integer PRIMARY KEY, name varchar(255) NOT NULL)",
    "CREATE TABLE article_version (id integer NOT NULL, name varchar(255), transaction_id bigint NOT NULL, "
    "end_transaction_id bigint, operation_type smallint NOT NULL)",
    'CREATE TABLE "transaction" (id bigint NOT NULL, issued_at timestamp, remote_addr varchar(50))',
    "CREATE SEQUENCE transaction_id_seq",
    "INSERT INTO article SELECT a, 'article ' || a || ' v' || :per FROM generate_series(1, :keys) a",
    # version v of article a is change n = (v-1)*keys + (a-1), written by transaction n/3 + 1 (three per transaction)
    "INSERT INTO article_version SELECT a, 'article ' || a || ' v' || v, "
    "((v - 1)::bigint * :keys + a - 1) / 3 + 1, "
    "CASE WHEN v < :per THEN (v::bigint * :keys + a - 1) / 3 + 1 END, CASE WHEN v = 1 THEN 0 ELSE 1 END "
    "FROM generate_series(1, :per) v, generate_series(1, :keys) a",
    'INSERT INTO "transaction" SELECT t, timestamp \'2020-01-01\' + t * interval \'1 minute\', '
    "'10.0.' || (t % 200) || '.' || (t % 250) FROM generate_series(1, (CAST(:per AS bigint) * :keys + 2) / 3) t",
    "SELECT setval('transaction_id_seq', (CAST(:per AS bigint) * :keys + 2) / 3)",
    "ALTER TABLE article_version ADD PRIMARY KEY (id, transaction_id)",
    'ALTER TABLE "transaction" ADD PRIMARY KEY (id)',
    "CREATE INDEX ix_article_version_transaction_id ON article_version (transaction_id)",
    "CREATE INDEX ix_article_version_end_transaction_id ON article_version (end_transaction_id)",
    "CREATE INDEX ix_article_version_operation_type ON article_version (operation_type)",
    "CREATE INDEX ix_article_version_pk_transaction_id ON article_version (id, transaction_id DESC)",
    "CREATE INDEX ix_article_version_pk_validity ON article_version (id, transaction_id, end_transaction_id)",
]

SIMPLE_HISTORY = [  # the tables and indexes django-simple-history's migration creates for a model Item in app shop
    "CREATE TABLE shop_item (id integer PRIMARY KEY, name varchar(255) NOT NULL)",
    "CREATE TABLE shop_historicalitem (id integer NOT NULL, name varchar(255) NOT NULL, history_id serial PRIMARY KEY, "
    "history_date timestamptz NOT NULL, history_change_reason varchar(100), history_type varchar(1) NOT NULL, "
    "history_user_id integer)",
    "INSERT INTO shop_item SELECT a, 'item ' || a || ' v' || :per FROM generate_series(1, :keys) a",
    # the same clock as history_meta: change n = (v-1)*keys + (a-1) at minute n/3, second n%3
    "INSERT INTO shop_historicalitem (id, name, history_date, history_type) SELECT a, 'item ' || a || ' v' || v, "
    "timestamptz '2020-01-01 00:00:00+00' + (((v - 1)::bigint * :keys + a - 1) / 3) * interval '1 minute' "
    "+ (((v - 1)::bigint * :keys + a - 1) % 3) * interval '1 second', CASE WHEN v = 1 THEN '+' ELSE '~' END "
    "FROM generate_series(1, :per) v, generate_series(1, :keys) a ORDER BY v, a",
    "CREATE INDEX shop_historicalitem_history_date ON shop_historicalitem (history_date)",
    "CREATE INDEX shop_historicalitem_id ON shop_historicalitem (id)",
    "CREATE INDEX shop_historicalitem_history_user_id ON shop_historicalitem (history_user_id)",
]

LAYOUTS = {"history_meta": HISTORY_META, "continuum": CONTINUUM, "simple_history": SIMPLE_HISTORY}

# one record (id 0) with :hot versions, newer than every other change; :top is past the newest minute / transaction
HOT = {
    "history_meta": [
        "INSERT INTO appuser VALUES (0, 'hot@example.com', 'hot v' || (:hot + 1), :hot + 1)",
        "INSERT INTO appuser_history SELECT 0, 'hot@example.com', 'hot v' || v, v, "
        "timestamp '2020-01-01' + (:top + v) * interval '1 minute' FROM generate_series(1, :hot) v",
    ],
    "continuum": [
        "INSERT INTO article VALUES (0, 'hot v' || :hot)",
        'INSERT INTO "transaction" SELECT :top + v, timestamp \'2020-01-01\' + (:top + v) * interval \'1 minute\', '
        "'hot' FROM generate_series(1, :hot) v",
        "INSERT INTO article_version SELECT 0, 'hot v' || v, :top + v, CASE WHEN v < :hot THEN :top + v + 1 END, "
        "CASE WHEN v = 1 THEN 0 ELSE 1 END FROM generate_series(1, :hot) v",
    ],
}
HOT["simple_history"] = [
    "INSERT INTO shop_item VALUES (0, 'hot v' || :hot)",
    "INSERT INTO shop_historicalitem (id, name, history_date, history_type) SELECT 0, 'hot v' || v, "
    "timestamptz '2020-01-01 00:00:00+00' + (:top + v) * interval '1 minute', CASE WHEN v = 1 THEN '+' ELSE '~' END "
    "FROM generate_series(1, :hot) v",
]
UNHOT = {
    "simple_history": ["DELETE FROM shop_historicalitem WHERE id = 0", "DELETE FROM shop_item WHERE id = 0"],
    "history_meta": ["DELETE FROM appuser_history WHERE id = 0", "DELETE FROM appuser WHERE id = 0"],
    "continuum": ["DELETE FROM article_version WHERE id = 0", "DELETE FROM article WHERE id = 0",
                  "DELETE FROM \"transaction\" WHERE remote_addr = 'hot'"],
}
PER = 10  # versions per record
DEPTHS = (0.5, 0.99)  # pages this far back in the history
PLAN_LINES = 60  # longer EXPLAIN output is cut in the middle
TIME_INDEX = "appuser_history_changed_idx"  # the name CREATE INDEX ON appuser_history (changed) picks


def database_url(server: str, name: str) -> str:
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def build(server: str, layout: str, rows: int) -> str:
    name = f"chrono_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name}"))  # generated identifier
    admin.dispose()
    engine = create_engine(database_url(server, name))
    start = time.perf_counter()
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL maintenance_work_mem = '512MB'"))
            for stmt in LAYOUTS[layout]:
                conn.execute(text(stmt), {"keys": rows // PER, "per": PER})
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    except BaseException:
        engine.dispose()
        drop(server, name)
        raise
    engine.dispose()
    print(f"built {layout} in {name}: {rows // PER * PER:,} history rows in {time.perf_counter() - start:.0f} s",
          flush=True)
    return name


def drop(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def run_sql(url: str, *stmts: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for stmt in stmts:
            conn.execute(text(stmt))
    engine.dispose()


@dataclass
class Statements:
    """Every SQL statement the engines of this process run, with its time (to tell SQL from Python)."""

    seen: list[tuple[float, str, Any]] = field(default_factory=list)

    def install(self) -> None:
        @event.listens_for(Engine, "before_cursor_execute")
        def _start(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                   executemany: bool) -> None:
            conn.info["bench_started"] = time.perf_counter()

        @event.listens_for(Engine, "after_cursor_execute")
        def _end(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
            self.seen.append((time.perf_counter() - conn.info.pop("bench_started"), statement, parameters))


@dataclass
class Sample:
    """Medians of one side of a case."""

    wall: float
    cpu: float
    sql: float = 0.0
    slowest: float = 0.0
    slowest_sql: tuple[str, Any] = ("", None)
    notes: tuple[str, ...] = ()


def chrono_once(url: str, tables: list[str], before: str | None, log: Statements) -> Sample:
    """list_changes through a fresh Workspace (connect, reflect, query): no import cost."""
    from chrono_cli.services.changes import list_changes
    from chrono_cli.services.workspace import Settings, Workspace

    log.seen.clear()
    ws = Workspace(Settings(url))
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        page = list_changes(ws, tables, before=before)
    finally:
        ws.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    slow = max(log.seen, key=lambda seen: seen[0])
    return Sample(wall, cpu, sum(seen[0] for seen in log.seen), slow[0], (slow[1], slow[2]), page.notes)


FLOOR = {  # the page by hand: the 20 newest changes below the cursor, in the store's own index order
    "history_meta": ("SELECT * FROM appuser_history WHERE changed < %(at)s ORDER BY changed DESC, version DESC "
                     "LIMIT 20", "SELECT * FROM appuser_history ORDER BY changed DESC, version DESC LIMIT 20"),
    "simple_history": ("SELECT * FROM shop_historicalitem WHERE history_date < %(at)s "
                       "ORDER BY history_date DESC, history_id DESC LIMIT 20",
                       "SELECT * FROM shop_historicalitem ORDER BY history_date DESC, history_id DESC LIMIT 20"),
    "continuum": ("SELECT v.*, t.issued_at FROM article_version v JOIN transaction t ON t.id = v.transaction_id "
                  "WHERE v.transaction_id < %(tx)s AND t.id < %(tx)s ORDER BY v.transaction_id DESC LIMIT 20",
                  "SELECT v.*, t.issued_at FROM article_version v JOIN transaction t ON t.id = v.transaction_id "
                  "ORDER BY v.transaction_id DESC LIMIT 20"),
}


def floor_once(url: str, layout: str, before: str | None) -> Sample:
    """A fresh connection and the single keyset query (psycopg2 directly: the least a Python client can do)."""
    import psycopg2

    from chrono_cli.services.changes import parse_cursor

    cursor = parse_cursor(before) if before else None
    keyset, first = FLOOR[layout]
    naive = layout != "simple_history"  # history_date is a timestamptz
    params = {"at": cursor.at.replace(tzinfo=None) if naive else cursor.at, "tx": cursor.tx} if cursor else {}
    if cursor and layout == "continuum" and cursor.tx is None:  # a bare time: the transaction it falls in
        keyset = keyset.replace("v.transaction_id < %(tx)s AND t.id < %(tx)s", "t.issued_at < %(at)s")
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    wall, cpu = time.perf_counter(), time.process_time()
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute(keyset if cursor else first, params)
            cur.fetchall()
    finally:
        conn.close()
    return Sample(time.perf_counter() - wall, time.process_time() - cpu)


def side_by_side(url: str, layout: str, tables: list[str], before: str | None, runs: int,
                 log: Statements) -> tuple[Sample, Sample]:
    """chrono and the floor, taking turns (so load falls on both alike), after one warm-up each; medians."""
    chrono_once(url, tables, before, log)
    floor_once(url, layout, before)
    mine, floors = [], []
    for _ in range(runs):
        mine.append(chrono_once(url, tables, before, log))
        floors.append(floor_once(url, layout, before))
    mid = sorted(mine, key=lambda r: r.wall)[len(mine) // 2]
    return (Sample(mid.wall, statistics.median(r.cpu for r in mine), statistics.median(r.sql for r in mine),
                   statistics.median(r.slowest for r in mine), mid.slowest_sql, mid.notes),
            Sample(statistics.median(r.wall for r in floors), statistics.median(r.cpu for r in floors)))


def end_to_end(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, int]:
    """Median wall seconds of the CLI and its peak RSS (KiB), after one warm-up run."""
    walls, peak = [], 0
    for n in range(runs + 1):
        done = measured(cmd, env)
        if done.code:
            raise SystemExit(f"{' '.join(cmd)} failed ({done.code})")
        if n:
            walls.append(done.wall)
            peak = max(peak, done.rss_kib)
    return statistics.median(walls), peak


def cli_cursor(ctx: Context, url: str, tables: list[str]) -> str | None:
    """The cursor `chrono changes -f json` prints for the next page (what a user pastes into --before)."""
    done = subprocess.run([*ctx.chrono, "--db", url, "changes", *tables, "-f", "json"], capture_output=True,
                          text=True, env=ctx.env)
    if done.returncode:
        raise SystemExit(f"chrono changes -f json failed: {done.stderr.strip()}")
    cursor: str | None = json.loads(done.stdout)["next_before"]
    return cursor


def explain(url: str, statement: tuple[str, Any]) -> tuple[str, str]:
    """The statement with its parameters filled in, and its EXPLAIN ANALYZE."""
    engine = create_engine(url)
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        sql = cursor.mogrify(*statement).decode()
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")  # a statement chrono itself ran
        plan = [line for (line,) in cursor.fetchall()]
    engine.dispose()
    if len(plan) > PLAN_LINES:
        plan[PLAN_LINES - 5:-5] = [f"... ({len(plan) - PLAN_LINES + 1} lines left out)"]
    return " ".join(sql.split()), "\n".join(f"    {line}" for line in plan)


HEADER = (f"{'layout':<13} {'rows':>11} {'index':>5}  {'command':<50} {'chrono':>7} {'floor':>7} {'ratio':>6} "
          f"{'CPU x':>6} {'SQL':>6}  {'CLI':>6} {'RSS':>7}")


@dataclass
class Context:
    chrono: list[str]
    env: dict[str, str]
    runs: int
    help_time: float
    slow: float
    log: Statements


@dataclass(frozen=True)
class Case:
    tables: tuple[str, ...] = ()
    before: str | None = None  # "next": the cursor the first page prints; otherwise a time


def measure(layout: str, rows: int, indexed: str, url: str, case: Case, ctx: Context) -> None:
    tables = list(case.tables)
    before, shown_before = case.before, case.before
    if case.before == "next":
        before, shown_before = cli_cursor(ctx, url, tables), "<next_before>"
        if before is None:
            print(f"{layout:<13} {rows:>11,} {indexed:>5}  changes {' '.join(tables)}: no next_before printed")
            return
    opts = ["--before", before] if before else []
    mine, floor = side_by_side(url, layout, tables, before, ctx.runs, ctx.log)
    cli, rss = end_to_end([*ctx.chrono, "--db", url, "changes", *tables, *opts], ctx.runs, ctx.env)
    shown = " ".join(["changes", *tables, *(["--before", shown_before] if shown_before else [])])
    print(f"{layout:<13} {rows:>11,} {indexed:>5}  {shown:<50} {mine.wall:>7.3f} {floor.wall:>7.3f} "
          f"{mine.wall / floor.wall:>5.1f}x {mine.cpu / max(floor.cpu, 1e-6):>5.1f}x {mine.sql:>6.3f}  {cli:>6.2f} "
          f"{rss / 1024:>4.0f} MiB", flush=True)
    if mine.wall > ctx.slow:
        print(f"  slow (> {ctx.slow} s in process); notes: {'; '.join(mine.notes) or '-'}")
        sql, plan = explain(url, mine.slowest_sql)
        print(f"  slowest statement ({mine.slowest:.3f} s):\n    {sql[:2000]}")
        print(plan, flush=True)


def at_depth(layout: str, rows: int, depth: float) -> str:
    """The cursor a page ``depth`` of the way back would print (three changes a minute; Continuum: transaction
    t is at minute t - 1, three changes each)."""
    minutes = int(rows / 3 * (1 - depth))
    at = (datetime(2020, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)).isoformat()
    return f"{at}#{minutes + 1}" if layout == "continuum" else at


def add_hot(url: str, layout: str, rows: int, hot: int) -> str:
    """One record (id 0) with ``hot`` versions, all newer than the rest: it fills the first page."""
    start = time.perf_counter()
    params = {"hot": hot, "top": rows // 3 + 2}
    engine = create_engine(url)
    with engine.begin() as conn:
        for stmt in HOT[layout]:
            conn.execute(text(stmt), params)
    engine.dispose()
    run_sql(url, "VACUUM ANALYZE")
    return f"{time.perf_counter() - start:.0f} s"


def drop_hot(url: str, layout: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for stmt in UNHOT[layout]:
            conn.execute(text(stmt))
    engine.dispose()
    run_sql(url, "VACUUM ANALYZE")


def bench_history_meta(url: str, rows: int, hot: int, ctx: Context) -> None:
    drop_hot(url, "history_meta")
    run_sql(url, f"DROP INDEX IF EXISTS {TIME_INDEX}", "ANALYZE appuser_history")
    cases = [Case(), Case(("appuser",)), Case(("appuser",), "next"),
             *[Case(("appuser",), at_depth("history_meta", rows, d)) for d in DEPTHS]]
    for case in cases:
        measure("history_meta", rows, "no", url, case, ctx)
    start = time.perf_counter()
    run_sql(url, "CREATE INDEX ON appuser_history (changed)", "ANALYZE appuser_history")
    print(f"  (CREATE INDEX ON appuser_history (changed): {time.perf_counter() - start:.1f} s)", flush=True)
    for case in cases:
        measure("history_meta", rows, "yes", url, case, ctx)
    if hot:
        took = add_hot(url, "history_meta", rows, hot)
        print(f"  (+ appuser 0 with {hot:,} versions, the newest changes: {took})", flush=True)
        measure("history_meta", rows + hot, "yes", url, Case(("appuser",)), ctx)
        drop_hot(url, "history_meta")


def bench_indexed(layout: str, table: str) -> Callable[[str, int, int, Context], None]:
    """The cases of a store indexed on its order (Continuum's transaction ids, simple-history's history_date)."""
    def bench(url: str, rows: int, hot: int, ctx: Context) -> None:
        drop_hot(url, layout)
        for case in (Case(), Case((table,)), Case((table,), "next"),
                     *[Case((table,), at_depth(layout, rows, d)) for d in DEPTHS]):
            measure(layout, rows, "yes", url, case, ctx)
        if hot:
            took = add_hot(url, layout, rows, hot)
            print(f"  (+ {table} 0 with {hot:,} versions, the newest changes: {took})", flush=True)
            measure(layout, rows + hot, "yes", url, Case((table,)), ctx)
            drop_hot(url, layout)

    return bench


BENCHES: dict[str, Callable[[str, int, int, Context], None]] = {"history_meta": bench_history_meta,
                                                                "continuum": bench_indexed("continuum", "article"),
                                                                "simple_history": bench_indexed("simple_history",
                                                                                                "shop_item")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=10_000_000, help="history rows per layout (at least 30)")
    parser.add_argument("--runs", type=int, default=7, help="runs per case (the median is printed)")
    parser.add_argument("--slow", type=float, default=0.5, help="print EXPLAIN ANALYZE above this in-process time")
    parser.add_argument("--layout", choices=sorted(LAYOUTS), action="append", help="only these layouts")
    parser.add_argument("--reuse", action="append", default=[], metavar="LAYOUT=DATABASE",
                        help="measure an existing database built by an earlier --keep run instead of building one")
    parser.add_argument("--keep", action="store_true", help="do not drop the databases this run builds")
    parser.add_argument("--hot", type=int, default=None,
                        help="then add one record with this many versions, the newest changes, and time its first "
                             "page (default: --rows / 10; 0 skips it)")
    args = parser.parse_args()
    if args.rows < 30:
        parser.error("--rows must be at least 30")
    from chrono_cli.db.engine import resolve_url  # the driver chrono picks for a bare postgresql:// URL

    args.server = resolve_url(args.server).render_as_string(hide_password=False)
    reuse = dict(item.split("=", 1) for item in args.reuse)
    hot = args.rows // 10 if args.hot is None else args.hot
    chrono = [sys.executable, "-m", "chrono_cli"]
    # as installed: bytecode cached (kept out of the source tree), whatever this shell says
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = os.path.join(tempfile.gettempdir(), "chrono-bench-pycache")
    log = Statements()
    log.install()
    with create_engine(args.server).connect() as conn:
        server = conn.execute(text("SHOW server_version")).scalar()
    print(f"machine: nproc {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, PostgreSQL {server}, "
          f"runs per case {args.runs} (medians)")
    help_time, help_rss = end_to_end([*chrono, "--help"], args.runs, env)
    print(f"chrono --help: {help_time:.3f} s, peak RSS {help_rss / 1024:.0f} MiB")
    ctx = Context(chrono, env, args.runs, help_time, args.slow, log)
    print("seconds; chrono = list_changes in process with a fresh Workspace (connect + reflect + SQL); floor = a "
          "fresh psycopg2 connection + the keyset query for the page by hand; ratio = wall, CPU x = this process's "
          "CPU; SQL = chrono's time in statements; CLI = `chrono changes` end to end, RSS = its peak")
    for layout in args.layout or list(LAYOUTS):
        name = reuse.get(layout) or build(args.server, layout, args.rows)
        rows = args.rows // PER * PER
        try:
            print(HEADER)
            BENCHES[layout](database_url(args.server, name), rows, hot, ctx)
        finally:
            if layout not in reuse and not args.keep:
                drop(args.server, name)
            elif layout not in reuse:
                print(f"  kept database {name} (--reuse {layout}={name})")


if __name__ == "__main__":
    main()
