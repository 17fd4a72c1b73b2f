"""Build a real django-pghistory history (PostgreSQL) and read it back through the library's event models.

Run in a subprocess (Django is configured once per process)::

    python -m tests.support.pghistory_story URL OUT.json [--build] [--save TABLE KEY]

The app is tests/support/djangoapp/pgshop; ``migrate --run-syncdb`` creates the tables and
``pgtrigger.install()`` the triggers (an app's migrations would carry them). ``--build`` runs the story
(below) first. The reading: for every tracked object, its event model's rows (``ItemEvent.objects.filter(
pgh_obj_id=key)`` ordered by ``pgh_id``) as ``{"timelines": {table: {key: [{"version": pgh_id, "op":
"insert" | "update" | "delete" | None (a custom label), "values": the event's tracked fields | None for a
delete, "at": pgh_created_at, "actor": username of pgh_context.metadata["user"] | None, "reason":
metadata["reason"] | None}]}}, "live": ..., "saved": ..., "after": ...}``. ``--save TABLE KEY`` then saves
that object once more (the library's next ordinary write) and reads again. Nothing here imports
``chrono_cli``.

The story: two items created in one transaction inside one ``pghistory.context`` (user and reason); an
update with unicode beyond the BMP, decimals and JSON; an update of the excluded field only (no event); a
timestamp with a +02:00 offset and a NULL foreign key; a queryset ``update()`` (triggers see every writer);
a manual ``checked`` event; item 2 deleted and created again under the same key; a part (custom table,
insert and update trackers only) changed and deleted (its deletion is not recorded).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from tests.support.django_shop import columns, configure, main, plain

TABLES = {"pgshop_item": "Item", "custom_pgpart": "Part"}
OPS = {"insert": "insert", "update": "update", "delete": "delete"}


def setup(url: str, create: bool, *, context_json: bool = False) -> dict[str, Any]:
    """Configure Django with pghistory and pgtrigger, install the triggers; the models by table name.
    ``context_json``: the context denormalized into each event (``PGHISTORY_CONTEXT_FIELD = ContextJSONField()``,
    a ``pgh_context`` JSON column instead of rows of ``pghistory_context``)."""
    extra: dict[str, Any] = {}
    if context_json:
        import pghistory

        extra["PGHISTORY_CONTEXT_FIELD"] = pghistory.ContextJSONField()
    configure(url, "pgtrigger pghistory", "pgshop", create=create, **extra)
    import pgtrigger

    from tests.support.djangoapp.pgshop import models

    if create:
        pgtrigger.install()
    return {t: getattr(models, name) for t, name in TABLES.items()}


def build() -> None:
    """The story (see the module docstring)."""
    import pghistory
    from django.contrib.auth.models import User
    from django.db import transaction

    from tests.support.djangoapp.pgshop.models import Item, Maker, Part

    alice = User.objects.create(username="alice", email="alice@example.com")
    bob = User.objects.create(username="bob")
    acme = Maker.objects.create(name="Acme")
    with pghistory.context(user=alice.pk, reason="first stock"), transaction.atomic():
        Item.objects.create(id=1, name="Lamp", price=Decimal("10.00"), meta={"k": [1]}, maker=acme)
        Item.objects.create(id=2, name="Chair", price=Decimal("0.10"))
    with pghistory.context(user=bob.pk, reason="reprice", url="/items/1"):  # url: as HistoryMiddleware adds it
        item = Item.objects.get(pk=1)
        item.name, item.price, item.meta = "Lamp \U0001d11e", Decimal("12.30"), {"ü": "\U0001d11e", "n": None}
        item.save()
    item.internal = "shelf 3"  # the excluded field only: no event
    item.save()
    with pghistory.context(user=bob.pk):
        item.seen = datetime(2026, 1, 5, 9, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
        item.maker = None
        item.save()
    Item.objects.filter(pk=1).update(price=Decimal("13.00"))  # a queryset update: the trigger records it
    pghistory.create_event(Item.objects.get(pk=1), label="checked")
    with pghistory.context(user=alice.pk, reason="gone"):
        Item.objects.get(pk=2).delete()
    Item.objects.create(id=2, name="Stool", price=Decimal("5.50"), meta=[1, "two"],
                        seen=datetime(2026, 2, 1, 12, 30, tzinfo=UTC))
    Part.objects.create(id=1, item_id=1, label="bulb")
    part = Part.objects.get(pk=1)
    part.label = "bulb 100W"
    part.save()
    Part.objects.create(id=2, item_id=2, label="leg")
    Part.objects.get(pk=2).delete()  # Part tracks no deletes


def read(models: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every tracked object's events through its event model, and its live row."""
    from django.contrib.auth.models import User

    users = {u.pk: u.username for u in User.objects.all()}
    timelines: dict[str, Any] = {}
    live: dict[str, Any] = {}
    for table, model in models.items():
        (event_model,) = set(model.pgh_event_models.values())
        tracked = {f.column: f for f in event_model._meta.concrete_fields if not f.name.startswith("pgh_")}
        cols = {c: f for c, f in columns(model).items() if c in tracked}
        out: dict[str, Any] = {}
        live[table] = {}
        for e in event_model.objects.order_by("pgh_obj_id", "pgh_id"):
            if isinstance(e.pgh_context, dict) or e.pgh_context is None:  # ContextJSONField: the metadata itself
                ctx = e.pgh_context or {}
            else:
                ctx = e.pgh_context.metadata
            values = None if e.pgh_label == "delete" else {c: plain(getattr(e, f.attname))
                                                            for c, f in tracked.items()}
            out.setdefault(str(e.pgh_obj_id), []).append(
                {"version": e.pgh_id, "op": OPS.get(e.pgh_label), "values": values,
                 "at": e.pgh_created_at.isoformat(), "actor": users.get(ctx.get("user"), ctx.get("user")),
                 "reason": ctx.get("reason")})
        for key in out:
            row = model.objects.filter(pk=int(key)).first()
            live[table][key] = None if row is None else {c: plain(getattr(row, f.attname)) for c, f in cols.items()}
        timelines[table] = out
    return timelines, live


if __name__ == "__main__":
    main(setup, build, read)
