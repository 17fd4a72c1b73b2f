"""django-reversion: ``reversion_version`` rows of Django-serialized states, grouped by ``reversion_revision``."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.reversion.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.reversion.convention:bulk",
              tables=(TableSign(name="reversion_version",
                                columns=("object_id", "format", "serialized_data", "object_repr", "content_type_id",
                                         "revision_id", "db")),),
              singleton_stores=("reversion_version", "reversion_revision", "django_content_type")),
    name="reversion", title="django-reversion", shape="json-snapshot",
    traits=Traits(records_deletes=False, records_actor=True, exact_changesets=True))
