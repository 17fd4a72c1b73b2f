"""Readings of the library-written PostgreSQL dumps (Chrononaut 0.2 / 0.4, Flask-Potion), by the libraries.

The story is the dump in tests/fixtures (the library wrote it; see its README). The reading runs the real
library in its pinned virtualenv (``run_library``, with the generator's app imported as ``app_mod``) and
returns the shape of readers.py. The library's next ordinary save runs there too.
"""

from __future__ import annotations

import ast
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.conformance.readers import Reading, Save
from tests.integration.restore_support import FIXTURES, load_fixture, run_library


def load(name: str) -> Any:
    """The story of a dump: load it into the empty database, return its .expected.json."""
    def build(url: str, _workdir: Path) -> dict[str, Any]:
        return load_fixture(url, name)

    return build


_SAVE = """
out = {{"timelines": tl, "live": live, "saved": None, "after": None}}
SAVE = {save!r}
if SAVE:
{save_code}
print(json.dumps(out, default=str))
"""

_CHRONONAUT_02 = """
MODELS = {"appuser": app_mod.User, "note": app_mod.Note}
def read():
    tl, live = {}, {}
    with app_mod.app.app_context():
        for table, model in MODELS.items():
            hist = model.__history_mapper__.class_
            ids = sorted({h.id for h in hist.query.all()} | {o.id for o in model.query.all()})
            tl[table], live[table] = {}, {}
            for pk in ids:
                d = app_mod.describe(model, pk)  # obj.versions() and the live row
                tl[table][str(pk)] = [{"version": v["version"], "values": v["values"], "changed": v["changed"],
                                       "change_info": v["change_info"]} for v in d["versions"]]
                live[table][str(pk)] = d["current_row"]
    return tl, live
tl, live = read()
"""
_CHRONONAUT_02_SAVE = """    with app_mod.acting_as("admin@example.com", "203.0.113.10"):
        obj = MODELS[SAVE[0]].query.get(int(SAVE[1]))
        obj.name = obj.name + " (saved)"
        app_mod.db.session.commit()
        out["saved"] = {"name": obj.name}
    out["after"] = read()[0]"""


def chrononaut_02(url: str, _workdir: Path, save: Save = None) -> Reading:
    """Chrononaut 0.2: ``obj.versions()`` (history rows) then the live row, for every appuser and note."""
    code = _CHRONONAUT_02 + _SAVE.format(save=save, save_code=_CHRONONAUT_02_SAVE)
    raw = run_library("chrononaut_02", url, code)

    def entries(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        # a history row is the state a change superseded: its changed/change_info describe the change that
        # made the next version
        out: list[dict[str, Any]] = []
        prev: dict[str, Any] | None = None
        for row in rows:
            info = (prev or {}).get("change_info") or {}
            out.append({"version": row["version"], "op": None, "values": row["values"],
                        "at": None if prev is None else prev["changed"], "actor": info.get("user_id"),
                        "reason": (info.get("extra") or {}).get("rationale")})
            prev = row
        return out

    for part in ("timelines", "after"):
        if raw[part] is not None:
            raw[part] = {t: {k: entries(rows) for k, rows in keys.items()} for t, keys in raw[part].items()}
    return raw  # type: ignore[no-any-return]


_CHRONONAUT_04 = """
def read():
    tl, live = {"appuser": {}}, {"appuser": {}}
    with app_mod.app.app_context():
        ids = sorted(r[0] for r in app_mod.db.session.execute(
            "SELECT DISTINCT (key->>'id')::int FROM chrononaut_activity WHERE table_name = 'appuser'"))
        for pk in ids:
            d = app_mod.describe(pk)  # User.versions(): one snapshot per activity row
            tl["appuser"][str(pk)] = [{"version": v["version"], "changed": v["changed"], "values": v["data"],
                                       "user_info": v["user_info"], "extra_info": v["extra_info"]}
                                      for v in d["versions"]]
            live["appuser"][str(pk)] = d["current_row"]
    return tl, live
tl, live = read()
"""
_CHRONONAUT_04_SAVE = """    with app_mod.acting_as("admin@example.com", "203.0.113.10"):
        obj = app_mod.User.query.get(int(SAVE[1]))
        obj.name = obj.name + " (saved)"
        app_mod.db.session.commit()
        out["saved"] = {"name": obj.name}
    out["after"] = read()[0]"""


def _snapshot_values(data: dict[str, Any]) -> dict[str, Any]:
    """A snapshot's data as the columns hold it: Chrononaut 0.4 stores enums and JSON as ``repr()`` text."""
    out = {}
    for attr, value in data.items():
        if attr == "version":
            continue
        if attr == "role" and isinstance(value, str) and value.startswith("Role."):
            value = value[len("Role."):]
        if attr == "prefs" and isinstance(value, str):
            value = ast.literal_eval(value)
        out["nick_name" if attr == "nickname" else attr] = value
    return out


def chrononaut_04(url: str, _workdir: Path, save: Save = None) -> Reading:
    """Chrononaut 0.4: ``User.versions()`` snapshots, each marked with what the story did at its time.

    A snapshot does not say whether it was written by an insert, an update or a delete; the story's step
    whose commit brackets the snapshot's ``changed`` does (snapshots written later: no operation).
    """
    code = _CHRONONAUT_04 + _SAVE.format(save=save, save_code=_CHRONONAUT_04_SAVE)
    raw = run_library("chrononaut_04", url, code)
    steps = json.loads((FIXTURES / "chrononaut_04.expected.json").read_text(encoding="utf-8"))["steps"]

    def op(changed: str) -> str | None:
        for step in steps:
            if step["started_at"] <= changed <= step["finished_at"]:
                return str(step["action"])
        return None

    def entries(snaps: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for snap in snaps:
            action = op(snap["changed"])
            values = None if action == "delete" else _snapshot_values(snap["values"])
            out.append({"version": snap["version"], "op": action, "values": values, "at": snap["changed"],
                        "actor": (snap["user_info"] or {}).get("user_id"),
                        "reason": (snap["extra_info"] or {}).get("rationale")})
        return out

    for part in ("timelines", "after"):
        if raw[part] is not None:
            raw[part] = {t: {k: entries(s) for k, s in keys.items()} for t, keys in raw[part].items()}
    raw["live"] = {t: {k: None if v is None else _snapshot_values(v) for k, v in keys.items()}
                   for t, keys in raw["live"].items()}
    if raw["saved"] is not None:
        raw["saved"] = _snapshot_values(raw["saved"])
    return raw  # type: ignore[no-any-return]


_POTION = """
def read():
    tl, live = {"article": {}}, {"article": {}}
    for pk in sorted(a.id for a in app_mod.Article.query.all()):
        records = app_mod.HistoryRecord.query.filter_by(object_type="article", object_id=pk).all()  # the route's query
        item = app_mod.client.get("/article/%d" % pk).get_json()
        tl["article"][str(pk)] = [{"id": r.id, "changes": r.changes, "updated_at": r.updated_at.isoformat()}
                                  for r in records]
        live["article"][str(pk)] = item
    return tl, live
with app_mod.app.app_context():
    tl, live = read()
"""
_POTION_SAVE = """    with app_mod.app.app_context():
        title = live["article"][SAVE[1]]["title"] + " (saved)"
        patch = app_mod.client.open("/article/%s" % SAVE[1], method="PATCH", data=json.dumps({"title": title}),
                                    content_type="application/json")
        assert patch.status_code == 200, patch.get_data(as_text=True)
        out["saved"] = {"title": title}
        out["after"], out["after_live"] = read()"""


def _potion_value(attribute: str, value: Any) -> tuple[str, Any]:
    """Potion's wire form as the column holds it: ``{"$ref": "/author/2"}`` is author_id 2, ``$date`` ms."""
    if isinstance(value, dict) and "$ref" in value:
        return f"{attribute}_id", int(value["$ref"].rsplit("/", 1)[-1])
    if isinstance(value, dict) and "$date" in value:
        return attribute, datetime.fromtimestamp(value["$date"] / 1000, UTC).replace(tzinfo=None).isoformat()
    return ("author_id" if attribute == "author" else attribute), value


def potion(url: str, _workdir: Path, save: Save = None) -> Reading:
    """Flask-Potion's HistoryMixin: the change records of an article, walked back from the item it serves.

    Each record holds the old and new value of what one PATCH changed; the state after record i is the
    served item with every later record's old values put back. The state before the first record has no
    version (Potion records nothing on create).
    """
    code = _POTION + _SAVE.format(save=save, save_code=_POTION_SAVE)
    raw = run_library("potion", url, code)
    def served(items: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {k: dict(_potion_value(a, v) for a, v in item.items() if a != "$uri") | {"id": int(k)}
                for k, item in items.items()}

    live = served(raw["live"]["article"])

    def entries(records: list[dict[str, Any]], state: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        for record in reversed(records):
            out.append({"version": record["id"], "op": None, "values": dict(state), "at": record["updated_at"],
                        "actor": None, "reason": None})
            for change in record["changes"]:
                column, old = _potion_value(change["attribute"], change["old"])
                state[column] = old
        out.append({"version": None, "op": None, "values": dict(state), "at": None, "actor": None, "reason": None})
        return out[::-1]

    reading: Reading = {"timelines": {"article": {k: entries(r, dict(live[k]))
                                                  for k, r in raw["timelines"]["article"].items()}},
                        "live": {"article": live}, "saved": raw["saved"], "after": None}
    if raw["after"] is not None:
        after_live = served(raw["after_live"]["article"])
        reading["after"] = {"article": {k: entries(r, dict(after_live[k]))
                                        for k, r in raw["after"]["article"].items()}}
    return reading
