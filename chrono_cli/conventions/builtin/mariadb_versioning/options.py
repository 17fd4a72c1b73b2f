"""What detection learns about one system-versioned table, and the tables its reads address."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, MetaData, Table

from chrono_cli.conventions.base import Options
from chrono_cli.db.reflect import TableInfo

IMPLICIT = ("row_start", "row_end")  # how queries address the invisible pseudo-columns of the implicit form


class VersioningOptions(Options, frozen=True):
    """The period columns (implicit or explicit), their precision, partitioning and unversioned columns."""

    row_start: str = IMPLICIT[0]
    row_end: str = IMPLICIT[1]
    implicit: bool = True
    transaction_precise: bool = False
    partitioned: bool = False
    unversioned: tuple[str, ...] = ()  # WITHOUT SYSTEM VERSIONING: not recorded, history keeps a stale value

    def bookkeeping(self) -> tuple[str, ...]:
        return () if self.implicit else (self.row_start, self.row_end)


def read_table(info: TableInfo, opts: VersioningOptions) -> Table:
    """The live table with its period columns addressable (the implicit ones appear in no listing)."""
    base = info.table()
    if not opts.implicit:
        return base
    cols = [Column(c.name, c.type, primary_key=c.primary_key) for c in base.columns]
    kind = BigInteger if opts.transaction_precise else DateTime
    cols += [Column(opts.row_start, kind()), Column(opts.row_end, kind())]
    return Table(base.name, MetaData(), *cols, schema=base.schema)


REGISTRY = Table("transaction_registry", MetaData(), Column("transaction_id", BigInteger),
                 Column("commit_id", BigInteger), Column("commit_timestamp", DateTime), schema="mysql")
