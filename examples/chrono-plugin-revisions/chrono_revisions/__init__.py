"""A complete chrono plugin: the ``<table>_revisions`` tables of a home-grown revision log.

The application (say, an in-house Flask app) keeps, for every versioned table ``T``:

- ``T.revision``: an integer it increments on every update;
- ``T_revisions``: every column of ``T`` plus ``replaced_at`` (timestamp) and ``replaced_by`` (text): before
  each update or delete, the row as it was, under its old ``revision``.

That is an *old-state* store (like SQLAlchemy's history_meta, plus who made the change), so the plugin brings
only what is its own: how to recognise the pair, where the actor is, and which columns are metadata. chrono's
old-state engine does the reading, the change listing and the writing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from chrono_cli.conventions.api import Convention, Detection, Traits
from chrono_cli.conventions.shapes import OldStateAdapter, OldStateLayout, OldStateWriter
from chrono_cli.conventions.types import col, col_is, is_integer, is_text, is_timestamp
from chrono_cli.conventions.writes.base import WriteContext
from chrono_cli.db.reflect import SchemaSnapshot

SUFFIX = "_revisions"
VERSION, TIME, ACTOR = "revision", "replaced_at", "replaced_by"
META = frozenset({VERSION, TIME, ACTOR})


def who(row: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    """Actor, reason and note of the change that ended this state (the log keeps no reason)."""
    actor = row.get(ACTOR)
    return (None if actor is None else str(actor)), None, None


LAYOUT = OldStateLayout(meta_columns=META, first_version=1, meta=who)


class RevisionsAdapter(OldStateAdapter):
    """Finds ``T`` + ``T_revisions`` pairs; chrono's old-state engine reads and lists them by ``layout``."""

    name = "revisions"
    title = "acme revision log (<table>_revisions)"
    paired_suffixes = (SUFFIX,)  # chrono reflects T_revisions along with T when one record is asked for
    layout = LAYOUT

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for store in snapshot:
            if not store.ref.name.endswith(SUFFIX):
                continue
            base = snapshot.sibling(store.ref, store.ref.name[: -len(SUFFIX)])
            if base is None or not base.pk:
                continue
            version = col(store, VERSION)
            if version is None or not is_integer(version.type) or set(store.pk) != set(base.pk) | {VERSION}:
                continue
            if not (col_is(store, TIME, is_timestamp) and col_is(store, ACTOR, is_text)
                    and col_is(base, VERSION, is_integer)):
                continue
            evidence = [f"{store.ref.name}: primary key of {base.ref.name} + {VERSION}",
                        f"{store.ref.name}.{TIME} timestamp, {store.ref.name}.{ACTOR} text",
                        f"{base.ref.name}.{VERSION} integer"]
            missing = [c for c in base.columns if c not in store.columns]
            if missing:
                evidence.append(f"not in the log: {', '.join(missing)}")
            yield Detection(self.name, base.ref, store.ref, base.pk, version_col=VERSION, time_col=TIME,
                            score=len(evidence), evidence=tuple(evidence))


class RevisionsWriter(OldStateWriter):
    """Writes what the application writes: the old state under its revision, stamped, with who replaced it."""

    meta_columns = META

    def extra_values(self, ctx: WriteContext, hidden_changed: Sequence[str]) -> dict[str, Any]:
        return {ACTOR: ctx.meta.actor}


ADAPTER = RevisionsAdapter()
CONVENTION = Convention(
    name=ADAPTER.name, title=ADAPTER.title, shape="old-state", detector=ADAPTER, reader=ADAPTER, lister=ADAPTER,
    writer=RevisionsWriter(), traits=Traits(records_inserts=False, records_actor=True),
    after=("history-meta",))
