"""django-auditlog: ``auditlog_logentry`` rows of ``{field: [old, new]}`` string differences."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.auditlog.convention:CONVENTION",
              bulk="chrono_cli.conventions.builtin.auditlog.convention:bulk",
              tables=(TableSign(name="auditlog_logentry",
                                columns=("object_pk", "object_id", "object_repr", "action", "changes", "timestamp",
                                         "content_type_id", "actor_id")),),
              singleton_stores=("auditlog_logentry", "django_content_type")),
    name="auditlog", title="django-auditlog", shape="json-diff", traits=Traits(records_actor=True))
