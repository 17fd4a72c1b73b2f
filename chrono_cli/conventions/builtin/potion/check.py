"""Flask-Potion's check-migrations spec (imported by check-migrations, not by reads)."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import types as sqltypes

from chrono_cli.conventions.builtin.potion.adapter import STORE
from chrono_cli.conventions.checkspec import JSON, CheckContext, CheckSpec, Drift, MetaColumn, StoreKind, Subject
from chrono_cli.conventions.types import is_integer
from chrono_cli.model import Severity


def integer_key(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The store records the base key in object_id integer: the base key must be one integer column."""
    base = subject.base
    if base is None:
        return
    if len(base.pk) != 1 or not is_integer(base.columns[base.pk[0]].type):
        shown = ", ".join(f"{c} {ctx.type_name(base.columns[c].type)}" for c in base.pk) or "none"
        yield Drift("primary-key", Severity.ERROR,
                    f"{base.ref.name}'s primary key ({shown}) is not one integer column: Potion stores it in "
                    f"{STORE}.object_id integer, so the next history write fails", target=base.ref)


CHECK = CheckSpec(
    StoreKind.SHARED, comparators=(integer_key,),
    store_meta=(MetaColumn("id", sqltypes.Integer(), nullable=False),
                MetaColumn("object_type", sqltypes.String(20), nullable=False, server_default=""),
                MetaColumn("object_id", sqltypes.Integer(), nullable=False, exact=True),
                MetaColumn("updated_at", sqltypes.DateTime(), nullable=False, timezone_matters=False),
                MetaColumn("changes", JSON)),
    lone_store=lambda t: t.ref.name == STORE and t.has("object_type", "object_id"))
