"""``chrono revert`` set-based (``BulkWriter.undo``) on change sets the real Django libraries wrote: a
django-reversion revision, a django-auditlog ``cid`` and a django-pghistory context, each holding updates and
creations (and, but for reversion, which records none, deletions), one of its rows changed again since.

Each starts from the conformance story (tests/support/*_story.py); the change set and the later change are made
by the library in a subprocess (``SCRIPT``). The set-based plan must be taken and agree with the row-by-row one
(``reverts_agree``); the revert then runs through the CLI (forced over the later change) and the library reads
the result back: the rows as before the change set, the revert in its history.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import auditlog  # noqa: F401  (test-extra libraries: an import error fails the run)
import pghistory  # noqa: F401
import pytest
import reversion  # noqa: F401
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from chrono_cli.config import Config
from chrono_cli.services.changes import list_changes
from chrono_cli.services.workspace import Settings, Workspace
from tests.conftest import StoryClone
from tests.integration.restore_support import chrono, reverts_agree, rows
from tests.integration.test_django_libraries import _story
from tests.support import forkserver

SCRIPT = """
import importlib, json, sys
from decimal import Decimal

library, url, step = sys.argv[1:4]
story = importlib.import_module(f"tests.support.{library}_story")
models = story.setup(url, False)


def reversion_change():
    import reversion
    from tests.support.djangoapp.shop.models import Item, Maker

    with reversion.create_revision():
        reversion.set_comment("batch")
        item = Item.objects.get(pk=2)
        item.name = "Stool (batch)"
        item.save()
        bolt = Maker.objects.create(id=7, name="Bolt")
        Item.objects.create(id=5, name="Desk", price=Decimal("3.00"), maker=bolt)
    with reversion.create_revision():
        reversion.set_comment("later")
        bolt.name = "Bolt (later)"
        bolt.save()


def auditlog_change():
    from auditlog.cid import correlation_id
    from django.db import transaction
    from tests.support.djangoapp.shop.models import Item, Maker, Part

    token = correlation_id.set("batch-1")
    with transaction.atomic():
        item = Item.objects.get(pk=2)
        item.name = "Stool (batch)"
        item.save()
        bolt = Maker.objects.create(id=7, name="Bolt")
        Item.objects.create(id=5, name="Desk", price=Decimal("3.00"), maker=bolt)
        Part.objects.get(pk=1).delete()
    correlation_id.reset(token)
    bolt.name = "Bolt (later)"
    bolt.save()


def pghistory_change():
    import pghistory
    from django.db import transaction
    from tests.support.djangoapp.pgshop.models import Item

    with pghistory.context(user=1, reason="batch"), transaction.atomic():
        item = Item.objects.get(pk=1)
        item.name = "Lamp (batch)"
        item.save()
        Item.objects.get(pk=2).delete()
        desk = Item.objects.create(id=5, name="Desk", price=Decimal("3.00"))
    with pghistory.context(user=2, reason="later"):
        desk.name = "Desk (later)"
        desk.save()


if step == "change":
    globals()[f"{library}_change"]()
timelines, live = story.read(models)
print(json.dumps({"timelines": timelines, "live": live}, default=str))
"""


def _library(library: str, url: str, step: str = "read") -> dict[str, Any]:
    """Run ``SCRIPT``: make the change set (``step`` "change") and read every record back through the library."""
    proc = forkserver.run_code(SCRIPT, library, url, step)
    assert proc.returncode == 0, proc.stderr
    out: dict[str, Any] = json.loads(proc.stdout.splitlines()[-1])
    return out


def _set_based(url: str, ident: str, changed: str) -> set[tuple[str, Any, str]]:
    """Plan the revert both ways; they agree and the set-based plan is taken, with one conflict (``changed``, the
    row changed again since). Its rows: (table, id, action)."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        plan = reverts_agree(ws, ident, 5.0)
    finally:
        ws.close()
    assert plan is not None, "the revert went row by row"
    assert [f"{c.table.split('.')[-1]} {c.key['id']}" for c in plan.conflicts] == [changed]
    return {(i["table"].split(".")[-1], i["key"]["id"], i["action"]) for p in plan.parts for i in p.items()}


def _revert(runner: CliRunner, url: str, ident: str) -> dict[str, Any]:
    refused = chrono(runner, url, "revert", ident, "--yes")
    assert refused.exit_code == 6 and "changed again after the change set" in refused.stderr, refused.output
    done = chrono(runner, url, "-f", "json", "revert", ident, "--force", "--actor", "2", "--yes")
    assert done.exit_code == 0, done.output
    doc: dict[str, Any] = json.loads(done.stdout)
    assert doc["set_based"] is True
    return doc


def test_reversion_revision(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    url = _story(story_clone, backend, "reversion_story")
    before = _library("reversion", url, "change")
    (revision,) = [r["id"] for r in rows(url, "reversion_revision") if r["comment"] == "batch"]
    ident = str(revision)
    assert _set_based(url, ident, "shop_maker 7") == {("shop_item", 2, "restore"), ("shop_item", 5, "delete"),
                                                      ("shop_maker", 7, "delete")}
    revisions = len(rows(url, "reversion_revision"))
    _revert(runner, url, ident)
    after = _library("reversion", url)
    assert after["live"]["shop_item"]["5"] is None and after["live"]["shop_maker"]["7"] is None
    assert after["live"]["shop_item"]["2"]["name"] == "Stool"
    restored = after["timelines"]["shop_item"]["2"][-1]  # one new revision, holding the restored state
    assert (restored["actor"], restored["reason"]) == ("bob", f"chrono revert: change set {ident}")
    assert restored["values"] == before["timelines"]["shop_item"]["2"][-2]["values"]
    assert len(rows(url, "reversion_revision")) == revisions + 1  # the deletions record nothing


def test_auditlog_cid(runner: CliRunner, backend: str, story_clone: StoryClone) -> None:
    url = _story(story_clone, backend, "auditlog_story")
    before = _library("auditlog", url, "change")
    ident = str(uuid.uuid5(uuid.NAMESPACE_URL, "auditlog-cid:batch-1"))
    assert _set_based(url, ident, "shop_maker 7") == {("shop_item", 2, "restore"), ("shop_item", 5, "delete"),
                                                      ("shop_maker", 7, "delete"), ("custom_part", 1, "undelete")}
    entries = len(rows(url, "auditlog_logentry"))
    _revert(runner, url, ident)
    after = _library("auditlog", url)
    assert after["live"]["shop_item"]["5"] is None and after["live"]["shop_maker"]["7"] is None
    assert after["live"]["custom_part"]["1"] == before["timelines"]["custom_part"]["1"][-2]["values"]
    assert after["live"]["shop_item"]["2"] == before["timelines"]["shop_item"]["2"][-2]["values"]
    logged = rows(url, "auditlog_logentry")[entries:]
    item, maker, part = (_ct(url, "shop", m) for m in ("item", "maker", "part"))
    assert sorted((e["content_type_id"], e["object_pk"], e["action"], e["actor_id"]) for e in logged) \
        == sorted([(item, "2", 1, 2), (item, "5", 2, 2), (maker, "7", 2, 2), (part, "1", 0, 2)])
    deleted = next(e for e in logged if e["object_pk"] == "5")
    changes = deleted["changes"] if isinstance(deleted["changes"], dict) else json.loads(deleted["changes"])
    assert changes["name"] == ["Desk", "None"] and changes["maker"] == ["7", "None"]
    assert after["timelines"]["shop_item"]["5"][-1]["op"] == "delete"  # the library reads the deletion


def test_pghistory_context(runner: CliRunner, story_clone: StoryClone) -> None:
    url = _story(story_clone, "postgresql", "pghistory_story")
    engine = create_engine(url)  # a database default (as db_default gives one): the deleted item can come back
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE pgshop_item ALTER COLUMN internal SET DEFAULT ''"))
    engine.dispose()
    before = _library("pghistory", url, "change")
    (context,) = [r["id"] for r in rows(url, "pghistory_context") if r["metadata"].get("reason") == "batch"]
    ident = str(context)
    assert _set_based(url, ident, "pgshop_item 5") == {("pgshop_item", 1, "restore"), ("pgshop_item", 2, "undelete"),
                                                       ("pgshop_item", 5, "delete")}
    _revert(runner, url, ident)
    after = _library("pghistory", url)
    live, timelines = after["live"]["pgshop_item"], after["timelines"]["pgshop_item"]
    assert live["5"] is None and timelines["5"][-1]["op"] == "delete"
    was = before["timelines"]["pgshop_item"]["1"][-2]["values"]
    assert live["1"] == {c: v for c, v in was.items() if c in live["1"]}
    assert live["2"]["name"] == "Stool"
    reverted = [timelines[k][-1] for k in ("1", "2", "5")]
    assert [e["op"] for e in reverted] == ["update", "insert", "delete"]
    assert {(e["actor"], e["reason"]) for e in reverted} == {("bob", f"chrono revert: change set {ident}")}


def _ct(url: str, app: str, model: str) -> int:
    (found,) = [r["id"] for r in rows(url, "django_content_type") if (r["app_label"], r["model"]) == (app, model)]
    return int(found)


def _every_set(url: str) -> dict[str, bool]:
    """Every change set of the story, exact or inferred: planned both ways, alike; whether set-based."""
    ws = Workspace(Settings(url, (), Config()))
    try:
        return {cs.id: reverts_agree(ws, cs.id, 5.0) is not None for cs in list_changes(ws, limit=50).changesets}
    finally:
        ws.close()


@pytest.mark.parametrize(("backend", "story"), [("sqlite", "auditlog_story"), ("postgresql", "pghistory_story")])
def test_every_story_set(backend: str, story: str, story_clone: StoryClone) -> None:
    """Every change set of a story, exact or inferred (auditlog's entries without a cid, pghistory's events
    without a context), planned set-based as the row-by-row revert plans it; pghistory's parts have no DELETE
    trigger: the creations of its last set are refused by both."""
    found = _every_set(_story(story_clone, backend, story))
    assert len(found) == 6 and all(found.values()), found
