"""Set-based ``chrono revert`` of Continuum change sets with association rows, on histories the real
SQLAlchemy-Continuum wrote (tests/support/continuum_links.py: the story of continuum_story.py, then ``link``,
``swap`` and ``later``), planned both ways and read back through Continuum's own API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sqlalchemy_continuum  # noqa: F401  (a test-extra library: an import error fails the run)
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import (
    checksum,
    chrono,
    revert_both_ways,
    reverts_agree,
    rows,
    run_support,
    support_clone,
)

LINKS = "continuum_links"
TABLES = ["article", "article_tag", "article_version", "article_tag_version", "transaction_changes",
          "transaction_meta"]


def _links(story_clone: StoryClone, backend: str) -> tuple[str, dict[str, Any]]:
    url, record = support_clone(story_clone, backend, LINKS)
    return url, record["tx"]


def _top_tx(url: str) -> int:
    return max(r["id"] for r in rows(url, "transaction"))


def test_association_change_sets_are_planned_set_based_as_row_by_row(sqlite_or_pg_backend: str,
                                                                     story_clone: StoryClone) -> None:
    """The change sets with association rows: links added (1's tags, 3, 4, link), removed (9, 10), both (swap), with
    their parents (1, 3, 9, 10, link, swap) or alone (4, later)."""
    url, tx = _links(story_clone, sqlite_or_pg_backend)
    ws = Workspace(Settings(url, (), Config()))
    try:
        planned = {ident: reverts_agree(ws, ident, 5.0) for ident in ["1", "3", "4", "9", "10", *map(str, tx.values())]}
    finally:
        ws.close()
    assert [ident for ident, plan in planned.items() if plan is None] == []
    swap = planned[str(tx["swap"])]
    assert sorted((p.table.split(".")[-1], r.key, r.action) for p in swap.parts for r in p.rows) == [
        ("article", (2,), "restore"), ("article", (3,), "restore"),
        ("article_tag", (2, 3), "undelete"), ("article_tag", (3, 3), "delete")]
    # article 3's links changed after the set (tag 5 added by ``later``): a conflict, as row by row
    assert [(c.table.split(".")[-1], dict(c.key)) for c in swap.conflicts] == [("article", {"id": 3})]


def test_links_added_and_removed_are_reverted_set_based(runner: CliRunner, sqlite_or_pg_backend: str,
                                                        story_clone: StoryClone, tmp_path: Path) -> None:
    url, tx = _links(story_clone, sqlite_or_pg_backend)
    other, _ = _links(story_clone, sqlite_or_pg_backend)
    done = revert_both_ways(runner, url, other, str(tx["swap"]), tmp_path, TABLES, "issued_at")
    assert sorted((i["table"].split(".")[-1], i["action"]) for i in json.loads(done.stdout)["items"]) == [
        ("article", "restore"), ("article", "restore"), ("article_tag", "delete"), ("article_tag", "undelete")]
    x = _top_tx(url)
    assert x == tx["later"] + 1  # one transaction row for the parents and the links
    assert [r["entity_name"] for r in rows(url, "transaction_changes", transaction_id=x)] == ["Article"]
    assert sorted((r["article_id"], r["tag_id"], r["operation_type"], r["end_transaction_id"])
                  for r in rows(url, "article_tag_version", transaction_id=x)) == [(2, 3, 0, None), (3, 3, 2, None)]

    seen = run_support(LINKS, url, tmp_path, "--read")
    assert seen["live"] == {"2": {"name": "Second linked", "score": "None", "tags": [3, 5]},
                            "3": {"name": "Third", "score": "0.00", "tags": [5]}}  # tag 5 of ``later`` stays
    for key in ("2", "3"):
        versions = seen["versions"][key]
        assert [v["end"] for v in versions] == [v["tx"] for v in versions[1:]] + [None]  # the validity chain holds
        assert (versions[-1]["tx"], versions[-1]["op"], versions[-1]["changeset"]) == (x, 1, ["score"])
    # Continuum's own reading of the links at each version: the revert's version of 2 has tags 3 and 5 again
    assert [v["tags"] for v in seen["versions"]["2"][-3:]] == [[3, 5], [5], [3, 5]]
    assert [v["tags"] for v in seen["versions"]["3"][-2:]] == [[3], [5]]


def test_a_later_membership_change_refuses_a_set_based_revert(runner: CliRunner, sqlite_or_pg_backend: str,
                                                              story_clone: StoryClone) -> None:
    """Article 3 has no version row after ``swap``, only a link row (``later``): the revert is refused unless forced,
    and the forced one keeps that link."""
    url, tx = _links(story_clone, sqlite_or_pg_backend)
    untouched = checksum(url)
    refused = chrono(runner, url, "revert", str(tx["swap"]), "--yes")
    assert refused.exit_code == 6, refused.output
    assert "1 later change would be overwritten" in refused.stderr
    assert "changed again after the change set" in refused.stderr
    assert checksum(url) == untouched

    forced = chrono(runner, url, "-f", "json", "revert", str(tx["swap"]), "--force", "--yes")
    assert forced.exit_code == 0, forced.output
    assert json.loads(forced.stdout)["set_based"] is True
    assert [(r["article_id"], r["tag_id"]) for r in rows(url, "article_tag")] == [(2, 3), (2, 5), (3, 5)]
