"""SQLAlchemy's versioned_rows_w_versionid example: every version is a row of the live table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from chrono_cli.config import Layout, Shape
from chrono_cli.conventions.base import ConventionAdapter, Detection, Options, ReadContext
from chrono_cli.conventions.checkrules import columns_text, uniques
from chrono_cli.conventions.checkspec import CheckContext, CheckSpec, Drift, StoreKind, Subject
from chrono_cli.conventions.remedy import SetPrimaryKey
from chrono_cli.conventions.shapes.common import Declared
from chrono_cli.conventions.shapes.in_table import page_rows, read_rows
from chrono_cli.conventions.types import col_is, is_boolean, is_integer
from chrono_cli.db.reflect import SchemaSnapshot
from chrono_cli.model import Op, RowKey, Severity, Version

VERSION = "version_id"
CURRENT = "is_current_version"


class VersionedRowsOptions(Options, frozen=True):
    """The boolean column marking the current row, if the table has one."""

    current_col: str | None = None

    def bookkeeping(self) -> tuple[str, ...]:
        return (self.current_col,) if self.current_col else ()


def layout(det: Detection) -> Declared:
    """The table as an in-table layout: ``version_id`` numbers the rows, ``is_current_version`` (if any) marks one."""
    current = det.opts(VersionedRowsOptions).current_col
    roles = {"version": VERSION} | ({"current": current} if current else {})
    return Declared(Layout(Shape.IN_TABLE, roles, det.key), det.live.name, det.key)


def keys(subject: Subject, ctx: CheckContext) -> Iterator[Drift]:
    """Versioned rows insert a new row per change: the key needs version_id, uniques must include it."""
    t = subject.base
    if t is None:
        return
    version = t.columns.get(VERSION)
    if version is None or not is_integer(version.type):
        what = f"has no {VERSION} column" if version is None else f"has a non-integer {VERSION}"
        yield Drift("missing-meta-column" if version is None else "meta-type", Severity.ERROR,
                    f"{t.ref.name} {what}: versioned rows number each row's versions with it", VERSION,
                    target=t.ref)
        return
    if VERSION not in t.pk:
        key = tuple(c for c in t.pk if c != VERSION) or ("id",)
        yield Drift("primary-key", Severity.ERROR,
                    f"{t.ref.name}'s primary key {columns_text(t.pk)} lacks {VERSION}: the second version of a row "
                    "violates it", remedy=SetPrimaryKey(t.ref, (*key, VERSION)), target=t.ref)
    yield from uniques(t, VERSION, "the next version of a row repeats the value and violates it")


class VersionedRowsAdapter(ConventionAdapter):
    """Versions live in the table itself, keyed by (id, version_id); the newest is current."""

    name = "versioned-rows"
    title = "SQLAlchemy versioned rows"
    check = CheckSpec(StoreKind.IN_TABLE, comparators=(keys,))

    def detect(self, snapshot: SchemaSnapshot) -> Iterator[Detection]:
        for t in snapshot:
            if VERSION not in t.pk or len(t.pk) < 2 or not col_is(t, VERSION, is_integer):
                continue
            key = tuple(c for c in t.pk if c != VERSION)
            evidence = [f"primary key ({', '.join(t.pk)}) includes integer {VERSION}"]
            has_current = col_is(t, CURRENT, is_boolean)
            if has_current:
                evidence.append(f"{CURRENT} boolean marks the current row")
            yield Detection(self.name, t.ref, t.ref, key, version_col=VERSION, score=len(evidence),
                            evidence=tuple(evidence), options=VersionedRowsOptions(CURRENT if has_current else None))

    def versions(self, ctx: ReadContext, det: Detection, key: RowKey) -> list[Version]:
        return read_rows(ctx, det, key, layout(det), first=_first, deleted=DELETED)

    def versions_page(self, ctx: ReadContext, det: Detection, key: RowKey, before: int | None,
                      size: int) -> list[Version] | None:
        return page_rows(ctx, det, key, layout(det), before, size, first=_first, deleted=DELETED)


DELETED = f"no row has {CURRENT} set: the current version was deleted"


def _first(number: Any) -> Op:
    """The first row is the insert when it is version 1 (older versions may have been purged)."""
    return Op.INSERT if number == 1 else Op.UNKNOWN
