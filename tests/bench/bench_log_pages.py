"""Benchmark: the newest page of a long trigger-log record read by window, against the whole timeline.

Not a test: prints numbers. Usage: python tests/bench/bench_log_pages.py [--versions N] [--runs N] [--server URL]
Throwaway PostgreSQL databases: the suite's own supa_audit and audit trigger (tests/browse/test_timeline_pages.py
``fill_audit_log``: N writes of one record with unrecorded changes, deletions, a TRUNCATE and a column added),
postgresql-audit's story written by the library (tests/support/postgresql_audit_story.py) followed by N
updates of one article through its triggers, Flask-Potion and django-auditlog records of N changes with gaps
(``fill_potion``, ``fill_auditlog``; on SQLite too, auditlog on MariaDB too). Each store: ``load_page`` (the newest
200 versions, what ``chrono browse`` shows first) and ``load_timeline`` (what it read before), alternately, the
median wall time of each.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from chrono_cli.services.history import load_page, load_timeline  # noqa: E402
from chrono_cli.services.target import open_target  # noqa: E402
from tests.browse.pilot import workspace  # noqa: E402
from tests.browse.test_timeline_pages import fill_audit_log, fill_auditlog, fill_potion  # noqa: E402


def fresh(server: str, name: str) -> str:
    drop(server, name)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {admin.dialect.identifier_preparer.quote(name)}"))
    admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def drop(server: str, name: str) -> None:
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {admin.dialect.identifier_preparer.quote(name)}"))
    admin.dispose()


def fill_postgresql_audit(url: str, n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "tests.support.postgresql_audit_story", url,
                        str(Path(tmp) / "out.json"), "--build"], check=True, cwd=ROOT)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f"DO $$ BEGIN FOR v IN 1..{n} LOOP UPDATE article SET name = 'n' || v, "
                          "price = v % 100 WHERE id = 1; END LOOP; END $$"))
    engine.dispose()


def measure(url: str, table: str, runs: int) -> tuple[float, float, int, int]:
    """(median ms of the newest page, of the whole timeline, versions shown, versions in all)."""
    ws = workspace(url)
    paged, whole = [], []
    shown = total = 0
    try:
        for _ in range(runs):
            with ws.catalog() as cat:
                target = open_target(cat, table)
                start = time.perf_counter()
                page = load_page(cat, target, "1", None, None, 200)
                paged.append(time.perf_counter() - start)
                start = time.perf_counter()
                tl = load_timeline(cat, target, "1")
                whole.append(time.perf_counter() - start)
            assert page is not None and page.versions == tl.versions[-200:]
            shown, total = len(page.versions), len(tl.versions)
    finally:
        ws.close()
    return statistics.median(paged) * 1000, statistics.median(whole) * 1000, shown, total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--server", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--mariadb", default="mysql+pymysql://root@127.0.0.1:3306/mysql")
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stores = (("supa-audit", "article", lambda url: fill_audit_log(url, "supa", args.versions)),
              ("audit-trigger", "article", lambda url: fill_audit_log(url, "audit-trigger", args.versions)),
              ("postgresql-audit", "article", lambda url: fill_postgresql_audit(url, args.versions)),
              ("potion", "article", lambda url: fill_potion(url, args.versions)),
              ("auditlog", "shop_item", lambda url: fill_auditlog(url, args.versions)))
    for name, table, fill in stores:
        url = fresh(args.server, "chrono_bench_log_pages")
        fill(url)
        page_ms, whole_ms, shown, total = measure(url, table, args.runs)
        drop(args.server, "chrono_bench_log_pages")
        print(f"{name:18} {total:6} versions: newest page of {shown} {page_ms:7.1f} ms, whole {whole_ms:7.1f} ms "
              f"({whole_ms / page_ms:4.1f}x)")
    with tempfile.TemporaryDirectory() as tmp:
        for name, server, table, fill_other in (("potion (SQLite)", None, "article", fill_potion),
                                                ("auditlog (SQLite)", None, "shop_item", fill_auditlog),
                                                ("auditlog (MariaDB)", args.mariadb, "shop_item", fill_auditlog)):
            url = f"sqlite:///{tmp}/{name[:6]}.db" if server is None else fresh(server, "chrono_bench_log_pages")
            fill_other(url, args.versions)
            page_ms, whole_ms, shown, total = measure(url, table, args.runs)
            if server is not None:
                drop(server, "chrono_bench_log_pages")
            print(f"{name:18} {total:6} versions: newest page of {shown} {page_ms:7.1f} ms, whole {whole_ms:7.1f} ms "
                  f"({whole_ms / page_ms:4.1f}x)")
    with open("/proc/loadavg") as f:
        print("load average", f.read().split()[0])


if __name__ == "__main__":
    main()
