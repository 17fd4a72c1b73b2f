"""check-migrations for PaperTrail: the version table's own columns, the base key item_id can hold, and the
artefacts of PaperTrail 12.0.0's install template on Ruby 3 (pointed out, never reported as drift)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import types as sqltypes

from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, MetaColumn, StoreKind, Subject
from chrono_cli.conventions.types import col_is, is_integer, is_json, is_text, is_timestamp
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity

BROKEN = "{:null=>false"  # t.string :item_type, { null: false } on Ruby 3: a column of that name (PR #1327)


def is_store(t: TableInfo) -> bool:
    """A PaperTrail version table: item_type, item_id, event, object, created_at of the install migration."""
    return (t.has("item_type", "item_id", "event", "object", "created_at") and col_is(t, "item_type", is_text)
            and col_is(t, "event", is_text) and col_is(t, "created_at", is_timestamp)
            and col_is(t, "object", lambda x: is_json(x) or is_text(x)))


def item_id_fits(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """item_id must hold the base key: bigint for integer keys, a string column for uuid/text keys."""
    base, store = subject.base, subject.store
    if base is None or store is None or "item_id" not in store.columns or len(base.pk) != 1:
        return
    key = base.columns[base.pk[0]].type
    if is_integer(key) or is_integer(store.columns["item_id"].type) is False:
        return
    yield Drift("primary-key", Severity.ERROR,
                f"{base.ref.name}'s primary key ({ctx.type_name(key)}) is not an integer but "
                f"{store.ref.name}.item_id is: PaperTrail's next version of it fails (install with --uuid)",
                target=store.ref)


def template_artefacts(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Point out the Ruby 3 install-template artefacts: they are how real databases look, not drift."""
    store = subject.store
    if store is None or subject.base is not None:
        return
    seen = [f"a column named {c!r}" for c in store.columns if c.startswith(BROKEN)]
    if "item_type" in store.columns and store.columns["item_type"].nullable:
        seen.append("a nullable item_type")
    if seen:
        ctx.notes.append(f"{store.ref.name} has {' and '.join(seen)}: PaperTrail 12.0.0's install migration on "
                         "Ruby 3 (PR #1327); harmless, drop the column and set item_type NOT NULL when convenient")
    yield from ()


CHECK = CheckSpec(
    StoreKind.SHARED, comparators=(item_id_fits, template_artefacts),
    # the install migration's strings: varchar(255) on MySQL (item_type limit 191), unbounded elsewhere
    store_meta=(MetaColumn("item_type", sqltypes.String(191), nullable=True),
                MetaColumn("item_id", sqltypes.BigInteger(), nullable=False, exact=True),
                MetaColumn("event", sqltypes.String(255), nullable=False),
                MetaColumn("whodunnit", sqltypes.String(255), missing=Severity.WARNING),
                MetaColumn("created_at", sqltypes.DateTime(), timezone_matters=False)),
    lone_store=is_store)
