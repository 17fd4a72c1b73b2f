"""check-migrations for system-versioned tables: the history is the table itself, so what can drift is a column
taken out of versioning (``WITHOUT SYSTEM VERSIONING``: its changes are no longer recorded). A table whose
versioning was dropped altogether leaves nothing in the schema: the baseline reports it (versioning-lost), and
``reinstate`` gives its fix."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, StoreKind, Subject
from chrono_cli.conventions.remedy import AddVersioning, VersionColumn
from chrono_cli.db.facts import SYSTEM_VERSIONING, SystemVersioning
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity


def unversioned_columns(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """A column WITHOUT SYSTEM VERSIONING that the configuration does not declare unrecorded."""
    t = subject.base
    fact = None if t is None else t.facts.get(SYSTEM_VERSIONING)
    if t is None or not isinstance(fact, SystemVersioning):
        return
    for name in fact.unversioned:
        if name in subject.config.unrecorded:
            continue
        yield Drift("missing-column", Severity.WARNING,  # the history lacks it, as a paired store would
                    f"{t.ref.name}.{name} is WITHOUT SYSTEM VERSIONING: the server records none of its changes and "
                    f"history rows keep a stale value; if intended, declare it: {ctx.section(t.ref.name)} "
                    f"excluded = [\"{name}\"]", name, remedy=VersionColumn(t.ref, name), target=t.ref)


def reinstate(table: TableInfo) -> AddVersioning | None:
    """A table the baseline records as system-versioned that no longer is: ``ADD SYSTEM VERSIONING``."""
    return None if isinstance(table.facts.get(SYSTEM_VERSIONING), SystemVersioning) else AddVersioning(table.ref)


def versioned_columns(subject: Subject) -> tuple[str, ...] | None:
    """The columns the server versions: every user column but the period and WITHOUT SYSTEM VERSIONING ones."""
    t = subject.base
    fact = None if t is None else t.facts.get(SYSTEM_VERSIONING)
    if t is None or not isinstance(fact, SystemVersioning):
        return None
    skip = {fact.row_start, fact.row_end, *fact.unversioned}
    return tuple(c for c in t.columns if c not in skip)


def reinstate_column(table: TableInfo, name: str) -> VersionColumn | None:
    """A column taken out of versioning: ``MODIFY ... WITH SYSTEM VERSIONING``."""
    fact = table.facts.get(SYSTEM_VERSIONING)
    return VersionColumn(table.ref, name) if isinstance(fact, SystemVersioning) and name in fact.unversioned else None


CHECK = CheckSpec(StoreKind.IN_TABLE, comparators=(unversioned_columns,), reinstate=reinstate,
                  versioned_columns=versioned_columns, reinstate_column=reinstate_column)
