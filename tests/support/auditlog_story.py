"""Build a real django-auditlog history and read it back through the library (the conformance reading).

Run in a subprocess (Django is configured once per process)::

    python -m tests.support.auditlog_story URL OUT.json [--build] [--save TABLE KEY]

``--build`` runs the story (below) first. The reading: for every object with log entries,
``LogEntry.objects.get_for_objects``' manager filter (``content_type``, ``object_pk``) oldest first
(``timestamp, id``; the library orders newest first), as ``{"timelines": {table: {key: [{"version": entry
id, "op": "insert" | "update" | "delete", "values": {...} | None, "at": timestamp, "actor": username |
None}]}}, "live": ..., "saved": ..., "after": ...}``. auditlog stores differences, not states: the state
after an entry is rebuilt the way its own documentation reads ``changes`` (``changes_dict``): backwards
from the live row, each entry's ``old`` side undoing it, with ``"None"`` as NULL and every value as the
string auditlog stored, cast by the field (``to_python``; JSON parsed). A field the library masks or
excludes is left out. A deleted object's last state is its delete entry's ``old`` side.
``--save TABLE KEY`` then saves that object once more (the library's next ordinary write) and reads again.
Nothing here imports ``chrono_cli``.

The story: a maker and an item created in one transaction under one correlation id (``cid``); the item
repriced with unicode beyond the BMP, decimals and JSON; a save changing only the excluded field
``internal`` (no entry); a timestamp with a +02:00 offset, the masked field ``secret`` and a NULL foreign
key; a second item created, deleted and created again under the same key; a part in the table
``custom_part`` (``db_table``) changed twice.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from tests.support.django_shop import columns, configure, main, plain

TABLES = {"shop_maker": "Maker", "shop_item": "Item", "custom_part": "Part"}
OPS = {0: "insert", 1: "update", 2: "delete"}
HIDDEN = {"shop_item": {"internal", "secret"}}  # exclude_fields and mask_fields


def setup(url: str, create: bool) -> dict[str, Any]:
    """Configure Django and register the shop's models with auditlog; the models by table name."""
    configure(url, "auditlog", create=create)
    from auditlog.registry import auditlog

    from tests.support.djangoapp.shop import models

    auditlog.register(models.Maker)
    auditlog.register(models.Item, exclude_fields=["internal"], mask_fields=["secret"])
    auditlog.register(models.Part)
    return {t: getattr(models, name) for t, name in TABLES.items()}


def build() -> None:
    """The story (see the module docstring)."""
    from auditlog.cid import correlation_id
    from auditlog.context import set_actor
    from django.contrib.auth.models import User
    from django.db import transaction

    from tests.support.djangoapp.shop.models import Item, Maker, Part

    alice = User.objects.create(username="alice", email="alice@example.com")
    bob = User.objects.create(username="bob", email="")
    plus2 = timezone(timedelta(hours=2))
    token = correlation_id.set("req-1")
    with set_actor(alice, remote_addr="192.0.2.1"), transaction.atomic():
        acme = Maker.objects.create(name="Acme")
        Item.objects.create(name="Lamp", price=Decimal("10.00"), meta={"k": [1]}, maker=acme)
    correlation_id.reset(token)
    item = Item.objects.get(pk=1)
    with set_actor(bob):
        item.name, item.price, item.meta = "Lamp \U0001d11e", Decimal("12.30"), {"ü": "\U0001d11e", "n": None}
        item.save()
    item.internal = "shelf 3"  # only the excluded field: no entry
    item.save()
    item.seen = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=plus2)
    item.secret, item.maker = "s3cret", None
    item.save()
    with set_actor(alice):
        Item.objects.create(id=2, name="Chair", price=Decimal("0.10"), meta=None)
        Item.objects.get(pk=2).delete()
    with set_actor(bob):
        Item.objects.create(id=2, name="Stool", price=Decimal("5.50"), meta=[1, "two"],
                            seen=datetime(2026, 2, 1, 12, 30, tzinfo=UTC))
    Part.objects.create(id=1, item_id=1, label="bulb")
    part = Part.objects.get(pk=1)
    part.label = "bulb 100W"
    part.save()


def _cast(field: Any, text: Any) -> Any:
    """A value as auditlog stored it, back to the field's Python value (``"None"`` is NULL)."""
    if text == "None" or text is None:
        return None
    if field.get_internal_type() == "JSONField":
        return json.loads(text)
    if field.is_relation:
        return field.target_field.to_python(text)
    return field.to_python(text)


def _norm(field: Any, value: Any) -> Any:
    """One form per value, whichever side it came from: decimals at the field's scale, times as aware UTC."""
    if value is None:
        return None
    if field.get_internal_type() == "DecimalField":
        return str(Decimal(value).quantize(Decimal(1).scaleb(-field.decimal_places)))
    if field.get_internal_type() == "DateTimeField":
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    return plain(value)


def read(models: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every object's entries through the library, each with the state it left, and the live row."""
    from auditlog.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    timelines: dict[str, Any] = {}
    live: dict[str, Any] = {}
    for table, model in models.items():
        cols = {c: f for c, f in columns(model).items() if f.name not in HIDDEN.get(table, ())}
        by_name = {f.name: c for c, f in cols.items()}
        ct = ContentType.objects.get_for_model(model)
        keys = sorted({int(k) for k in LogEntry.objects.filter(content_type=ct).values_list("object_pk", flat=True)})
        out: dict[str, Any] = {}
        live[table] = {}
        for key in keys:
            row = model.objects.filter(pk=key).first()
            state: dict[str, Any] | None = None if row is None else {c: getattr(row, f.attname)
                                                                     for c, f in cols.items()}
            entries = list(LogEntry.objects.filter(content_type=ct, object_pk=str(key)).order_by("timestamp", "id"))
            shown: list[dict[str, Any]] = []
            for e in reversed(entries):  # newest first: each entry's old side is the state before it
                diff = {by_name[n]: pair for n, pair in e.changes_dict.items() if n in by_name}
                if e.action == LogEntry.Action.DELETE:
                    values, state = None, {c: _cast(cols[c], old) for c, (old, _) in diff.items()}
                else:
                    values = dict(state or {})
                    state = None if e.action == LogEntry.Action.CREATE else {
                        **(state or {}), **{c: _cast(cols[c], old) for c, (old, _) in diff.items()}}
                shown.append({"version": e.pk, "op": OPS[e.action],
                              "values": None if values is None else {c: _norm(cols[c], v) for c, v in values.items()},
                              "at": e.timestamp.isoformat(),
                              "actor": None if e.actor is None else e.actor.username})
            out[str(key)] = list(reversed(shown))
            live[table][str(key)] = None if row is None else {c: _norm(f, getattr(row, f.attname))
                                                              for c, f in cols.items()}
        timelines[table] = out
    return timelines, live


if __name__ == "__main__":
    main(setup, build, read)
