"""Django set-up shared by the django-reversion and django-auditlog stories (tests/support/*_story.py).

Django is configured once per process with ``settings.configure()`` against the test database, with the
``shop`` app (tests/support/djangoapp/shop) and the library's own app; ``migrate`` creates the library's
tables with its real migrations and the shop's with ``--run-syncdb``. Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from tests.support.simple_history_story import _database


def configure(url: str, library_app: str, app: str = "shop") -> None:
    """Configure Django for the app ``app`` (tests/support/djangoapp/<app>) and ``library_app`` on ``url``,
    and create the tables."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", *library_app.split(),
                        f"tests.support.djangoapp.{app}"],
        DATABASES={"default": _database(url)}, USE_TZ=True, TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField", MIGRATION_MODULES={app: None})
    django.setup()
    call_command("migrate", verbosity=0)
    call_command("migrate", run_syncdb=True, verbosity=0)


def plain(value: Any) -> Any:
    """A field value as JSON-like data: Decimal and datetime as text, JSON as JSON."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def columns(model: Any) -> dict[str, Any]:
    """{column name: field} of a model's concrete fields."""
    return {f.column: f for f in model._meta.concrete_fields}
