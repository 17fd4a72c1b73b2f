"""Archive columns (``is_archived``, ``deleted_at``, ...): a row is hidden, not removed."""

from __future__ import annotations

from chrono_cli.conventions.api import Convention, Signature, TableSign, Traits

ARCHIVE_COLUMNS = ("deleted_at", "archived_at", "discarded_at", "removed_at", "deleted", "is_archived", "is_deleted",
                   "archived")  # the names its detector looks for

CONVENTION = Convention.declare(
    Signature("chrono_cli.conventions.builtin.soft_delete.convention:CONVENTION",
              tables=tuple(TableSign(columns=(c,)) for c in ARCHIVE_COLUMNS)),
    name="soft-delete", title="soft-delete / archive column", shape="archive",
    traits=Traits(records_inserts=False, records_deletes=False, archive=True), after=("*",))
