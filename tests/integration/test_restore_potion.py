"""Restore, archive and unarchive on a database written by Flask-Potion's HistoryMixin / ArchivingResource.

chrono's ``history_record`` rows are compared with the ones Potion wrote for ordinary PATCHes in the
fixture: attribute names (``author``, not ``author_id``), ``{"$ref": ...}`` and ``{"$date": ms}`` values,
naive ``updated_at``. Where the fixture's virtualenv exists, Potion then PATCHes the row and serves
``/article/1/history`` over the records chrono wrote.
"""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text

from tests.integration.restore_support import chrono, load_fixture, rows, run_library


def entries(record: dict) -> list[tuple]:
    return sorted((e["attribute"], json.dumps(e["old"]), json.dumps(e["new"])) for e in record["changes"])


def test_restore_writes_a_potion_diff_record(runner, pg_url: str) -> None:
    load_fixture(pg_url, "potion")
    before = rows(pg_url, "history_record", order_by="id")
    result = chrono(runner, pg_url, "restore", "article", "1", "--version", "4", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    after = rows(pg_url, "history_record", order_by="id")
    assert after[:-1] == before
    new = after[-1]
    lib = before[5]  # record 6: Potion's PATCH of author and published_at, the exact reverse of this restore
    assert set(new) == set(lib) and {k for k, v in new.items() if v is not None} == set(lib)
    assert (new["object_type"], new["object_id"]) == ("article", 1)
    assert entries(new) == sorted((a, n, o) for a, o, n in entries(lib))
    assert new["updated_at"].tzinfo is None and new["updated_at"] > lib["updated_at"]
    article = rows(pg_url, "article", id=1)[0]
    assert (article["author_id"], article["published_at"].isoformat()) == (2, "2024-03-01T10:00:00")

    library = run_library("potion", pg_url, """
patch = app_mod.client.open("/article/1", method="PATCH", data=json.dumps({"title": "Sketch"}),
                            content_type="application/json")
history = app_mod.client.get("/article/1/history")
print(json.dumps({"patch": patch.status_code, "status": history.status_code, "history": history.get_json()}))
""")
    assert (library["patch"], library["status"]) == (200, 200)
    assert len(library["history"]) == len(after) - 2 + 1  # article 1's eight records, chrono's, Potion's new one
    served = library["history"][-2]
    assert sorted(c["attribute"] for c in served["changes"]) == ["author", "published_at"]
    assert rows(pg_url, "history_record", order_by="id")[-1]["changes"] == [
        {"attribute": "title", "old": article["title"], "new": "Sketch"}]


def test_archive_and_unarchive_match_potions_records(runner, pg_url: str) -> None:
    load_fixture(pg_url, "potion")
    before = rows(pg_url, "history_record", order_by="id")
    archived, restored = before[6], before[7]  # Potion's DELETE (archive) and restore of article 1
    result = chrono(runner, pg_url, "archive", "article", "1", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert rows(pg_url, "history_record", order_by="id")[-1]["changes"] == archived["changes"]
    listed = json.loads(chrono(runner, pg_url, "-f", "json", "archived", "article").stdout)
    assert [r["key"] for r in listed["rows"]] == [{"id": 1}, {"id": 2}]
    result = chrono(runner, pg_url, "restore", "article", "1", "--yes", catch_exceptions=False)  # = unarchive
    assert result.exit_code == 0, result.output
    assert rows(pg_url, "history_record", order_by="id")[-1]["changes"] == restored["changes"]
    assert rows(pg_url, "article", id=1)[0]["is_archived"] is False
    result = chrono(runner, pg_url, "unarchive", "article", "2", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert rows(pg_url, "article", id=2)[0]["is_archived"] is False


def test_undelete_writes_no_history_record(runner, pg_url: str) -> None:
    load_fixture(pg_url, "potion")
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM article WHERE id = 1"))  # Potion's recipe has no delete route
    engine.dispose()
    records = rows(pg_url, "history_record", order_by="id")
    listed = json.loads(chrono(runner, pg_url, "-f", "json", "deleted", "article").stdout)
    assert [r["key"] for r in listed["rows"]] == [{"id": 1}]
    result = chrono(runner, pg_url, "restore", "article", "1", "--yes", catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Potion records nothing on create" in result.stderr
    assert rows(pg_url, "history_record", order_by="id") == records
    row = rows(pg_url, "article", id=1)[0]
    assert (row["author_id"], row["is_archived"], row["published_at"].isoformat()) == (1, False,
                                                                                       "2024-02-15T09:30:00")
