"""Build a real django-reversion history and read it back through the library (the conformance reading).

Run in a subprocess (Django is configured once per process)::

    python -m tests.support.reversion_story URL OUT.json [--build] [--save TABLE KEY]

``--build`` runs the story (below) first. The reading: for every object with versions,
``Version.objects.get_for_object(obj)`` oldest first (the library orders newest first), as
``{"timelines": {table: {key: [{"version": revision id, "op": None, "values": field_dict, "at":
revision.date_created, "actor": username | None, "reason": revision.comment}]}}, "live": {table: {key: row |
None}}, "saved": {...} | None, "after": timelines | None}``. A deleted object's versions are read with
``Version.objects.get_deleted(Model)``'s manager filter (``get_for_object_reference``). ``--save TABLE KEY``
then saves that object once more inside ``create_revision()`` (the library's next ordinary write) and reads
again. Nothing here
imports ``chrono_cli``.

The story: one revision creating a maker and an item (several objects in one transaction); a revision
changing the item that also holds the maker's unchanged version (``follow``); a save that changes only the
excluded field ``internal`` (a version equal to the previous one); a timestamp with a +02:00 offset, a NULL
foreign key, unicode beyond the BMP, decimals and JSON; an item deleted (not recorded) and its key created
again; a part in the table ``custom_part`` (``db_table``); then crates registered with ``follow=["bottles"]``
and ``"stickers"`` (a reverse foreign key, a many-to-many field) and bottles with ``follow=["crate"]``: a revision
creating two crates, two bottles and two stickers, one on a crate; one saving a crate (its bottles and sticker
follow), one saving a bottle (its crate follows, and that crate's other bottle and sticker), and one creating a
bottle without a crate; stickers follow their crates (``follow=["crate_set"]``, the reverse side of the
many-to-many field), and a sticker is renamed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from tests.support.django_shop import append_saved, columns, configure, main, plain

TABLES = {"shop_maker": "Maker", "shop_item": "Item", "custom_part": "Part", "shop_crate": "Crate",
          "shop_bottle": "Bottle", "shop_sticker": "Sticker"}


def setup(url: str, create: bool, serializer: str = "json") -> dict[str, Any]:
    """Configure Django and register the shop's models with reversion (``serializer``: the format its versions
    are serialized in); the models by table name."""
    configure(url, "reversion", create=create)
    import reversion

    from tests.support.djangoapp.shop import models

    reversion.register(models.Maker, format=serializer)
    reversion.register(models.Item, exclude=["internal"], follow=["maker"], format=serializer)
    reversion.register(models.Part, format=serializer)
    reversion.register(models.Sticker, follow=["crate_set"], format=serializer)
    reversion.register(models.Crate, follow=["bottles", "stickers"], format=serializer)
    reversion.register(models.Bottle, follow=["crate"], format=serializer)
    return {t: getattr(models, name) for t, name in TABLES.items()}


def build() -> None:
    """The story (see the module docstring)."""
    import reversion
    from django.contrib.auth.models import User

    from tests.support.djangoapp.shop.models import Bottle, Crate, Item, Maker, Part, Sticker

    alice = User.objects.create(username="alice", email="alice@example.com")
    bob = User.objects.create(username="bob", email="")
    plus2 = timezone(timedelta(hours=2))

    with reversion.create_revision():
        reversion.set_user(alice)
        reversion.set_comment("first stock")
        acme = Maker.objects.create(name="Acme")
        Item.objects.create(name="Lamp", price=Decimal("10.00"), meta={"k": [1]}, maker=acme)
    with reversion.create_revision():
        reversion.set_user(bob)
        reversion.set_comment("reprice")
        item = Item.objects.get(pk=1)
        item.name, item.price, item.meta = "Lamp \U0001d11e", Decimal("12.30"), {"ü": "\U0001d11e", "n": None}
        item.save()
    with reversion.create_revision():  # only the excluded field: still a version, equal to the last one
        item.internal = "shelf 3"
        item.save()
    with reversion.create_revision():
        reversion.set_comment("seen abroad")
        item.seen = datetime(2026, 1, 5, 9, 0, 0, 123000, tzinfo=plus2)
        item.secret, item.maker = "s3cret", None
        item.save()
    with reversion.create_revision():
        reversion.set_user(alice)
        Item.objects.create(id=2, name="Chair", price=Decimal("0.10"), meta=None)
    Item.objects.get(pk=2).delete()  # reversion records no deletion
    with reversion.create_revision():
        reversion.set_user(bob)
        reversion.set_comment("again")
        Item.objects.create(id=2, name="Stool", price=Decimal("5.50"), meta=[1, "two"],
                            seen=datetime(2026, 2, 1, 12, 30, tzinfo=UTC))
    with reversion.create_revision():
        Part.objects.create(id=1, item_id=1, label="bulb")
    with reversion.create_revision():
        reversion.set_comment("brighter")
        part = Part.objects.get(pk=1)
        part.label = "bulb 100W"
        part.save()
    with reversion.create_revision():
        reversion.set_comment("crates")
        red = Crate.objects.create(id=1, label="red")
        Bottle.objects.create(id=1, crate=red, name="water")
        Bottle.objects.create(id=2, crate=red, name="juice")
        Crate.objects.create(id=2, label="blue")
        red.stickers.add(Sticker.objects.create(id=1, label="fragile"))
        Sticker.objects.create(id=2, label="glass")
    with reversion.create_revision():  # the bottles follow
        red.label = "red crate"
        red.save()
    with reversion.create_revision():  # the crate follows, then its other bottle
        bottle = Bottle.objects.get(pk=2)
        bottle.name = "orange juice"
        bottle.save()
    with reversion.create_revision():
        Bottle.objects.create(id=3, name="loose")
    with reversion.create_revision():  # its crates follow (the reverse side of their many-to-many field)
        sticker = Sticker.objects.get(pk=1)
        sticker.label = "very fragile"
        sticker.save()


def read(models: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every object's versions through the library, and its live row."""
    from reversion.models import Version

    timelines: dict[str, Any] = {}
    live: dict[str, Any] = {}
    for table, model in models.items():
        cols = columns(model)
        keys = sorted({int(k) for k in Version.objects.get_for_model(model).values_list("object_id", flat=True)})
        out: dict[str, list[dict[str, Any]]] = {}
        live[table] = {}
        for key in keys:
            entries = []
            for v in reversed(Version.objects.get_for_object_reference(model, key)):
                data = v.field_dict
                values = {f.column: plain(data[f.attname]) for f in cols.values() if f.attname in data}
                user = v.revision.user
                entries.append({"version": v.revision_id, "op": None, "values": values,
                                "at": v.revision.date_created.isoformat(),
                                "actor": None if user is None else user.username, "reason": v.revision.comment})
            out[str(key)] = entries
            row = model.objects.filter(pk=key).first()
            live[table][str(key)] = None if row is None else {
                c: plain(getattr(row, f.attname)) for c, f in cols.items() if c != "internal"}
        timelines[table] = out
    return timelines, live


def _save_in_revision(obj: Any) -> dict[str, Any]:
    """reversion records only saves inside a revision block."""
    import reversion

    with reversion.create_revision():
        return append_saved(obj)


if __name__ == "__main__":
    main(setup, build, read, _save_in_revision)
