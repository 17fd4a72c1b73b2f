"""Stores that should exist, stores left behind, and the columns each convention writes itself."""

from __future__ import annotations

from collections.abc import Iterator

from chrono_cli.conventions.checkspec import FIT_FINDINGS, CheckContext, Drift, MetaColumn, Rule, StoreKind, Subject
from chrono_cli.conventions.remedy import AddColumn, AlterColumn, CreateHistory
from chrono_cli.conventions.types import Fit, type_fit
from chrono_cli.db.reflect import TableInfo
from chrono_cli.model import Severity
from chrono_cli.services.check.registry import comparator

_OK = (Fit.SAME, Fit.WIDER, Fit.LOOSER)


@comparator(Rule.STORE_EXISTS)
def missing_history(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """A versioned base table without its history table."""
    base = subject.base
    if base is None or subject.store is not None or subject.store_ref is None:
        return
    expected = subject.store_ref.name
    skip = subject.declared_columns if subject.spec.hides_columns else subject.config.excluded
    remedy = CreateHistory(base, subject.store_ref, subject.convention, tuple(skip), subject.spec.store_meta)
    if subject.declared:
        yield Drift("missing-history", Severity.ERROR,
                    f"config declares {base.ref.name} as versioned ({subject.convention}) but there is no table "
                    f"{expected}: the next update of {base.ref.name} fails", remedy=remedy,
                    target=subject.store_ref)
    else:  # a dropped history table must fail CI: the next update of the table fails in production
        yield Drift("missing-history", Severity.ERROR,
                    f"{base.ref.name} has an integer version column like this schema's {subject.convention} tables "
                    f"but no {expected}: if it is versioned its next update fails; if not, say so with "
                    f"{ctx.section(base.ref.name)} ignore = true in {ctx.config_file}", remedy=remedy,
                    target=subject.store_ref)


@comparator(Rule.STORE_EXISTS)
def orphan_history(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """A history table whose base table is gone: its versions can no longer be read against live rows."""
    store = subject.store
    if subject.base is not None or store is None:
        return
    if subject.base_ref is not None:
        why = f"has no base table {subject.base_ref.name} (dropped or renamed?)"
    else:
        why = (f"looks like a {subject.convention} history table but matches no base table: declare it with "
               f"{ctx.section('<base>')} history = \"{store.ref.name}\" in {ctx.config_file}")
    yield Drift("orphan-history", Severity.INFO, f"{store.ref.name} {why}", target=store.ref)


def _meta(table: TableInfo, metas: tuple[MetaColumn, ...], convention: str, ctx: CheckContext,
          role: str) -> Iterator[Drift]:
    for m in metas:
        col = table.columns.get(m.name)
        if col is None and m.optional:
            continue
        if col is None:
            want = ctx.type_name(ctx.native(m.type))
            yield Drift("missing-meta-column", m.missing,
                        f"{table.ref.name} has no {m.name} column: {convention} writes {m.name} ({want}) "
                        f"to {role}", m.name,
                        AddColumn(table.ref, m.name, ctx.native(m.type), m.nullable, m.server_default), table.ref)
            continue
        fit, reason = type_fit(m.type, col.type)
        if fit in _OK or (fit is Fit.TIMEZONE and not m.timezone_matters):
            continue
        found = FIT_FINDINGS[fit]
        assert found is not None
        severity = Severity.ERROR if m.exact else found[1]
        want = ctx.type_name(ctx.native(m.type))
        yield Drift("meta-type", severity,
                    f"{table.ref.name}.{m.name} is {ctx.type_name(col.type)} but {convention} writes {want}: "
                    f"{reason}", m.name,
                    AlterColumn(table.ref, m.name, col.type, col.nullable, type=ctx.native(m.type)), table.ref)


@comparator()
def store_meta(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The columns the convention writes into its store."""
    store = subject.store
    spec = subject.spec
    if store is None or store is subject.base or not spec.store_meta:
        return
    if spec.store is StoreKind.PAIRED and subject.base is None:
        return  # orphaned: nothing writes there any more
    if spec.store is not StoreKind.PAIRED and subject.base is not None:
        return  # shared store: checked once, on its own subject
    yield from _meta(store, spec.store_meta, subject.convention, ctx, "every history row")


@comparator()
def base_meta(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """The version column the convention keeps on the base table (joined subclasses keep it on the parent)."""
    base = subject.base
    spec = subject.spec
    if base is None or subject.joined_child or not spec.base_meta:
        return
    if spec.store is StoreKind.PAIRED and subject.store is None:
        return  # reported as missing-history already
    yield from _meta(base, spec.base_meta, subject.convention, ctx, "the base row on every change")
