"""Django set-up shared by the django-reversion and django-auditlog stories (tests/support/*_story.py).

Django is configured once per process with ``settings.configure()`` against the test database, with the
``shop`` app (tests/support/djangoapp/shop) and the library's own app; ``migrate`` creates the library's
tables with its real migrations and the shop's with ``--run-syncdb``. Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

from tests.support.simple_history_story import _database
from tests.support.values import plain  # noqa: F401  (the stories' value form, shared)


def configure(url: str, library_app: str, app: str = "shop", *, create: bool = True, **extra: Any) -> None:
    """Configure Django for the app ``app`` (tests/support/djangoapp/<app>) and ``library_app`` on ``url``
    (``extra``: more settings), and create the tables (``create``)."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", *library_app.split(),
                        f"tests.support.djangoapp.{app}"],
        DATABASES={"default": _database(url)}, USE_TZ=True, TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField", MIGRATION_MODULES={app: None}, **extra)
    django.setup()
    if create:
        call_command("migrate", verbosity=0)
        call_command("migrate", run_syncdb=True, verbosity=0)


def columns(model: Any) -> dict[str, Any]:
    """{column name: field} of a model's concrete fields."""
    return {f.column: f for f in model._meta.concrete_fields}


def main(setup: Callable[[str, bool], dict[str, Any]], build: Callable[[], None],
         read: Callable[[dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]],
         save: Callable[[Any], dict[str, Any]] | None = None) -> None:
    """``python -m tests.support.<library>_story URL OUT.json [--build] [--save TABLE KEY]``: configure Django
    (``setup(url, create)`` returns the models by table; it creates the tables with ``--build``), run the story
    first with ``--build``, read every record through the
    library (``read``), and with ``--save`` make the library's next ordinary save of that object (``save``,
    default: `` (saved)`` appended to its ``label`` or ``name``, inside ``save``'s own context) and read again."""
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--save", nargs=2, metavar=("TABLE", "KEY"))
    parser.add_argument("--build", action="store_true")
    args = parser.parse_args()
    models = setup(args.url, args.build)
    if args.build:
        build()
    timelines, live = read(models)
    record: dict[str, Any] = {"timelines": timelines, "live": live, "saved": None, "after": None,
                              "story": {"built": True} if args.build else None}
    if args.save:
        table, key = args.save
        obj = models[table].objects.get(pk=int(key))
        record["saved"] = (save or append_saved)(obj)
        record["after"] = read(models)[0]
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1, default=str)


def append_saved(obj: Any) -> dict[str, Any]:
    """The next ordinary save: `` (saved)`` appended to the object's ``label`` or ``name``; what it set."""
    field = "label" if hasattr(obj, "label") else "name"
    setattr(obj, field, getattr(obj, field) + " (saved)")
    obj.save()
    return {field: getattr(obj, field)}
