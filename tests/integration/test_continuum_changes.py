"""Change sets from Continuum are exact: one per transaction, with its actor and reason."""

from __future__ import annotations

import simple_history  # noqa: F401  (test-extra libraries: an import error fails the run)
import sqlalchemy_continuum  # noqa: F401
from typer.testing import CliRunner

from tests.conftest import StoryClone
from tests.integration.restore_support import support_clone
from tests.integration.test_continuum import _json


def test_continuum_change_sets_are_transactions(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    db_url, record = support_clone(story_clone, backend, "continuum_story")
    doc = _json(runner, db_url, "changes", "article", "-n", "100")
    sets = doc["changesets"]
    assert sets and all(s["exact"] for s in sets)
    by_tx = {str(s["tx"]): s for s in record["steps"] if s["tx"] is not None}
    for s in sets:
        step = by_tx[s["id"]]
        assert s["actor"] == step["actor"]
        assert s["reason"] == (step["meta"].get("reason") or step["meta"].get("comment"))
        assert {c["key"]["id"] for c in s["changes"]} <= {int(k) for k in step["ops"]}
    versioned = {str(s["tx"]) for s in record["steps"] if s["tx"] is not None and s["ops"]}
    assert {s["id"] for s in sets} <= versioned
    shown = _json(runner, db_url, "changes", "show", sets[-1]["id"])
    assert shown["id"] == sets[-1]["id"] and shown["exact"] is True
    history = _json(runner, db_url, "history", "article", "1")["versions"]
    for v in history:  # each version of article 1 appears, with the same field changes, in its transaction
        if v["operation"] == "update" and [c for c in v["changes"] if c["column"] != "tag"]:
            s = next(x for x in sets if x["id"] == str(v["version"]))
            row = next(c for c in s["changes"] if c["key"] == {"id": 1})
            assert [c for c in row["changes"] if c["column"] != "tag"] == \
                [c for c in v["changes"] if c["column"] != "tag"]


def test_simple_history_change_sets_agree_with_history(runner: CliRunner, backend: str,
                                                        story_clone: StoryClone) -> None:
    from tests.integration.test_simple_history import _json as sh_json

    db_url, _ = support_clone(story_clone, backend, "simple_history_story")
    tables = [t["table"] for t in sh_json(runner, db_url, "tables")["tables"]
              if "simple-history" in t["conventions"]]
    assert tables
    name = tables[0].rsplit(".", 1)[-1]
    sets = sh_json(runner, db_url, "changes", name, "-n", "500", "--window", "0")["changesets"]
    assert sets and not any(s["exact"] for s in sets)
    rows = [(tuple(c["key"].values()), c["at"], c["operation"]) for s in sets for c in s["changes"]]
    keys = {k for k, _, _ in rows}
    for key in keys:
        versions = sh_json(runner, db_url, "history", name, ",".join(
            f"{k}={v}" for k, v in zip(sets[0]["changes"][0]["key"], key, strict=True)))["versions"]
        recorded = sorted((v["valid_from"], v["operation"]) for v in versions if v["operation"] != "unknown")
        assert sorted((at, op) for k, at, op in rows if k == key) == recorded


def test_changes_by_actor_name_or_user_id(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    # Continuum's sets are exact, so --actor is filtered in SQL (on PostgreSQL and MariaDB by the user's name
    # too): the answer must be exactly the unfiltered listing's sets of that actor, by name in any case or by id
    db_url, record = support_clone(story_clone, backend, "continuum_story")
    every = _json(runner, db_url, "changes", "article", "-n", "100")["changesets"]
    for uid, name in ((1, "alice"), (2, "bob")):
        expected = [s["id"] for s in every if s["actor"] == name]
        assert expected and expected == [str(s["tx"]) for s in reversed(record["steps"])
                                         if s["actor"] == name and s["tx"] is not None and str(s["tx"]) in
                                         {x["id"] for x in every}]
        for wanted in (name, name.upper(), str(uid)):
            shown = _json(runner, db_url, "changes", "article", "--actor", wanted, "-n", "100")["changesets"]
            assert [s["id"] for s in shown] == expected, wanted
        first = _json(runner, db_url, "changes", "article", "--actor", str(uid), "-n", "1")
        assert [s["id"] for s in first["changesets"]] == expected[:1]
    for nobody in ("carol", "3", "01"):
        assert _json(runner, db_url, "changes", "article", "--actor", nobody)["changesets"] == []
