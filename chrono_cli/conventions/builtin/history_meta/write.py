"""history_meta (SQLAlchemy examples/versioned_history): the pre-change state under its version, then version+1.

Write-set of an update, as the example's ``before_flush`` does it: INSERT into ``<table>_history`` every
column of the current row with its ``version`` and ``changed`` = now (naive UTC, or the configured zone),
then UPDATE the live row with the new values and ``version + 1``. Undelete: INSERT the live row with
``version = max(history.version) + 1`` (what the example's column default computes since SQLAlchemy 2.0.32)
and no history row. The store has no place for an actor or a reason.
"""

from __future__ import annotations

from chrono_cli.conventions.shapes.old_state_write import OldStateWriter


class HistoryMetaWriter(OldStateWriter):
    """SQLAlchemy's history_meta example."""

    meta_columns = frozenset({"version", "changed"})
