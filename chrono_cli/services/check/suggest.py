"""--suggest: per finding, the DDL alembic compiles for the connected dialect and the matching ``op`` lines.

Every statement comes from alembic's operations run in offline (``as_sql``) mode: SQLAlchemy DDL constructs
compiled by the live dialect, never SQL assembled from strings. SQLite cannot alter columns or constraints,
so there (as alembic's batch mode does) a table is rebuilt once with all of its fixes.
"""

from __future__ import annotations

import textwrap
import warnings
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    Column,
    ForeignKeyConstraint,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    UniqueConstraint,
    cast,
    column,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.types import TypeEngine

from chrono_cli.conventions.checkspec import native
from chrono_cli.conventions.remedy import (
    AddColumn,
    AddVersioning,
    AlterColumn,
    CallTableFunction,
    CreateHistory,
    CreateTrigger,
    DropForeignKey,
    DropUnique,
    EnableTrigger,
    Remedy,
    SetPrimaryKey,
    SyncTrigger,
    VersionColumn,
    target,
)
from chrono_cli.conventions.types import type_family
from chrono_cli.errors import UsageError
from chrono_cli.model import Fix, TableRef
from chrono_cli.records import Struct, field


class _Plan(Struct):
    """The alembic operations for one remedy."""

    ops: list[Any]
    rebuild: bool = False                                   # SQLite: needs a table rebuild
    unnamed: list[tuple[str, ...]] = field(default_factory=list)  # unnamed unique constraints to leave out
    unnamed_fks: list[tuple[str, ...]] = field(default_factory=list)  # unnamed foreign keys to leave out
    python: str | None = None                               # op lines alembic cannot render itself
    notes: list[str] = field(default_factory=list)


class _Statements:
    """An output buffer for alembic's offline mode: one write per statement."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def write(self, text: str) -> None:
        text = "\n".join(line.rstrip() for line in text.strip().splitlines())
        if text:
            self.items.append(text.removesuffix(";").rstrip())

    def flush(self) -> None:
        pass


def suggest(remedies: Sequence[tuple[int, Remedy]], conn: Connection,
            default_schema: str | None) -> tuple[dict[int, Fix], Fix]:
    """A Fix per finding index, and the whole migration (every fix in order)."""
    try:
        import alembic  # noqa: F401
    except ImportError as exc:
        raise UsageError("--suggest needs alembic installed", hint="pip install alembic") from exc
    return _Suggester(conn, default_schema).run(remedies)


class _Suggester:
    def __init__(self, conn: Connection, default_schema: str | None) -> None:
        self.conn = conn
        self.dialect = conn.dialect
        self.sqlite = conn.dialect.name == "sqlite"
        self.default_schema = default_schema
        self._tables: dict[TableRef, Table] = {}

    def schema(self, ref: TableRef) -> str | None:
        return None if ref.schema == self.default_schema else ref.schema

    def _qualified(self, ref: TableRef) -> str:
        schema = self.schema(ref)
        return f"{schema}.{ref.name}" if schema else ref.name

    def full(self, ref: TableRef) -> Table:
        """The table as the database defines it (indexes, constraints, defaults): rebuilds must keep them."""
        if ref not in self._tables:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", SAWarning)
                self._tables[ref] = Table(ref.name, MetaData(), schema=ref.schema, autoload_with=self.conn)
        return self._tables[ref]

    def run(self, remedies: Sequence[tuple[int, Remedy]]) -> tuple[dict[int, Fix], Fix]:
        plans = [(idx, target(r), self.plan(r)) for idx, r in remedies]
        rebuilt = {ref for _, ref, p in plans if p.rebuild} if self.sqlite else set()
        fixes: dict[int, Fix] = {}
        groups: dict[TableRef, list[tuple[int, _Plan]]] = {}
        for idx, ref, plan in plans:
            if ref in rebuilt:
                groups.setdefault(ref, []).append((idx, plan))
            else:
                fixes[idx] = self.emit(ref, [plan], batch=False)
        for ref, items in groups.items():
            first = items[0][0]
            fixes[first] = self.emit(ref, [p for _, p in items], batch=True)
            for idx, _ in items[1:]:
                fixes[idx] = Fix(note=f"part of the single rebuild of {ref.name} shown with finding {first + 1}")
        ordered = [fixes[i] for i in sorted(fixes)]
        migration = Fix(ddl=tuple(s for f in ordered for s in f.ddl),
                        alembic="\n".join(f.alembic for f in ordered if f.alembic) or None)
        return fixes, migration

    # --- remedies to alembic operations ---

    def plan(self, remedy: Remedy) -> _Plan:
        from alembic.operations import ops

        ref = target(remedy)
        schema = self.schema(ref)
        if isinstance(remedy, AddColumn):
            notes = [] if remedy.nullable or remedy.server_default is not None else \
                ["NOT NULL without a default: fails if the table already has rows; backfill first"]
            col = Column(remedy.name, _fresh(remedy.type), nullable=remedy.nullable,
                         server_default=remedy.server_default)
            return _Plan([ops.AddColumnOp(ref.name, col, schema=schema)], notes=notes)
        if isinstance(remedy, AlterColumn):
            kw: dict[str, Any] = {}
            if remedy.type is not None and self.dialect.name == "postgresql" \
                    and type_family(remedy.type) != type_family(remedy.existing_type):
                kw["postgresql_using"] = str(cast(column(remedy.name), _fresh(remedy.type)).compile(
                    dialect=self.dialect))
            op = ops.AlterColumnOp(ref.name, remedy.name, schema=schema, existing_type=remedy.existing_type,
                                   existing_nullable=remedy.existing_nullable, modify_type=remedy.type,
                                   modify_nullable=remedy.nullable, **kw)
            return _Plan([op], rebuild=True)
        if isinstance(remedy, DropUnique):
            return self._drop_unique(remedy, schema)
        if isinstance(remedy, SetPrimaryKey):
            return self._primary_key(remedy, schema)
        if isinstance(remedy, DropForeignKey):
            if remedy.name:
                return _Plan([ops.DropConstraintOp(remedy.name, ref.name, type_="foreignkey", schema=schema)],
                             rebuild=self.sqlite)
            return _Plan([], rebuild=True, unnamed_fks=[remedy.columns],
                         notes=["the constraint has no name: alembic needs batch_alter_table(..., "
                                "naming_convention=...) to drop it"])
        if isinstance(remedy, EnableTrigger):
            from chrono_cli.db.ddl import EnableTrigger as EnableDDL

            return _Plan([ops.ExecuteSQLOp(EnableDDL(ref.name, remedy.trigger, schema))])
        if isinstance(remedy, CreateTrigger):
            from chrono_cli.db.ddl import CreateTrigger as CreateDDL

            return _Plan([ops.ExecuteSQLOp(CreateDDL(ref.name, remedy.name, remedy.timing, remedy.events,
                                                     remedy.function, remedy.args, schema))])
        if isinstance(remedy, CallTableFunction):
            from chrono_cli.db.ddl import CallTableFunction as CallDDL

            return _Plan([ops.ExecuteSQLOp(CallDDL(remedy.function, ref.name, schema, remedy.schema))])
        if isinstance(remedy, SyncTrigger):
            return _Plan([], notes=["the trigger function is generated by the library: run its sync_trigger"],
                         python=f"from {remedy.module} import sync_trigger\n"
                                f"sync_trigger(op.get_bind(), {self._qualified(remedy.version_table)!r})")
        if isinstance(remedy, VersionColumn):
            from chrono_cli.db.ddl import AllowVersionedAlter
            from chrono_cli.db.ddl import VersionColumn as VersionDDL

            return _Plan([ops.ExecuteSQLOp(AllowVersionedAlter()),
                          ops.ExecuteSQLOp(VersionDDL(self.full(ref).c[remedy.name]))],
                         notes=["its past stays unrecorded: history rows keep the values they had when closed"])
        if isinstance(remedy, AddVersioning):
            from chrono_cli.db.ddl import AddSystemVersioning

            return _Plan([ops.ExecuteSQLOp(AddSystemVersioning(self.full(ref)))],
                         notes=["history from before the versioning was dropped is gone; an explicit or "
                                "transaction-precise period needs its ROW START/END columns declared again"])
        return self._create_history(remedy, schema)

    def _drop_unique(self, remedy: DropUnique, schema: str | None) -> _Plan:
        from alembic.operations import ops

        table = self.full(remedy.table)
        name = remedy.table.name
        if remedy.name and any(ix.name == remedy.name for ix in table.indexes):
            # keep the lookup the index gave, without the uniqueness (the libraries copy indexes)
            return _Plan([ops.DropIndexOp(remedy.name, name, schema=schema),
                          ops.CreateIndexOp(remedy.name, name, list(remedy.columns), schema=schema, unique=False)])
        if remedy.name:
            return _Plan([ops.DropConstraintOp(remedy.name, name, type_="unique", schema=schema)], rebuild=True)
        return _Plan([], rebuild=True, unnamed=[remedy.columns],
                     notes=["the constraint has no name: alembic needs batch_alter_table(..., naming_convention=...) "
                            "to drop it"])

    def _primary_key(self, remedy: SetPrimaryKey, schema: str | None) -> _Plan:
        from alembic.operations import ops

        table = self.full(remedy.table)
        name = remedy.table.name
        current = table.primary_key
        new_name = current.name or (f"{name}_pkey" if self.dialect.name == "postgresql" else f"pk_{name}")
        steps: list[Any] = []
        if len(current.columns) and not self.sqlite:
            steps.append(ops.DropConstraintOp(current.name or "PRIMARY", name, type_="primary", schema=schema))
        steps.append(ops.CreatePrimaryKeyOp(new_name, name, list(remedy.columns), schema=schema))
        return _Plan(steps, rebuild=True, notes=["fails if existing rows repeat the new key"])

    def _create_history(self, remedy: CreateHistory, schema: str | None) -> _Plan:
        from alembic.operations import ops

        base = remedy.base
        cols: list[Any] = [Column(c.name, _fresh(c.type), nullable=c.nullable, autoincrement=False)
                           for c in base.columns.values() if c.name != "version" and c.name not in remedy.skip]
        for m in remedy.meta:
            cols.append(Column(m.name, native(m.type, self.dialect.name), nullable=m.nullable, autoincrement=False))
        cols.append(PrimaryKeyConstraint(*base.pk, "version"))
        return _Plan([ops.CreateTableOp(remedy.store.name, cols, schema=schema)],
                     notes=["indexes and foreign keys of the base table are not copied"])

    # --- alembic operations to DDL and op lines ---

    def emit(self, ref: TableRef, plans: list[_Plan], *, batch: bool) -> Fix:
        steps = [op for p in plans for op in p.ops]
        notes = [n for p in plans for n in p.notes]
        python = "\n".join([self._python(ref, steps, batch)] * bool(steps or batch)
                           + [p.python for p in plans if p.python])
        return Fix(ddl=tuple(self._ddl(ref, plans, steps, batch)) if steps or batch else (),
                   alembic=python or None, note="; ".join(notes) or None)

    def _ddl(self, ref: TableRef, plans: list[_Plan], steps: list[Any], batch: bool) -> list[str]:
        from alembic.migration import MigrationContext
        from alembic.operations import Operations

        out = _Statements()
        context = MigrationContext.configure(dialect=self.dialect, opts={"as_sql": True, "output_buffer": out})
        operations = Operations(context)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SAWarning)
            if not batch:
                for step in steps:
                    operations.invoke(step)
                return out.items
            copy = self._copy_without(self.full(ref), [cols for p in plans for cols in p.unnamed],
                                      [cols for p in plans for cols in p.unnamed_fks])
            with operations.batch_alter_table(ref.name, schema=self.schema(ref), copy_from=copy,
                                              recreate="always") as batch_ops:
                for step in steps:
                    batch_ops.invoke(step)
        return out.items

    @staticmethod
    def _copy_without(table: Table, unnamed: list[tuple[str, ...]], fks: Sequence[tuple[str, ...]] = ()) -> Table:
        copy = table.to_metadata(MetaData())
        for constraint in list(copy.constraints):
            if not isinstance(constraint, (UniqueConstraint, ForeignKeyConstraint)):
                continue
            columns = tuple(c.name for c in constraint.columns)
            if isinstance(constraint, UniqueConstraint) and constraint.name is None and columns in unnamed:
                copy.constraints.discard(constraint)
            if isinstance(constraint, ForeignKeyConstraint) and columns in fks:
                copy.constraints.discard(constraint)
                for c in constraint.columns:
                    c.foreign_keys.clear()
        return copy

    def _python(self, ref: TableRef, steps: list[Any], batch: bool) -> str:
        from alembic.migration import MigrationContext

        context = MigrationContext.configure(dialect=self.dialect)
        schema = self.schema(ref)
        if not batch:
            return "\n".join(_render(step, None, context) for step in steps)
        header = f"with op.batch_alter_table({ref.name!r}" + (f", schema={schema!r}" if schema else "") + \
            ") as batch_op:"
        body = [textwrap.indent(_render(step, (ref.name, schema), context), "    ") for step in steps] or ["    pass"]
        return "\n".join([header, *body])


def _render(step: Any, batch: tuple[str, str | None] | None, context: Any) -> str:
    """One alembic operation as the Python line(s) autogenerate would write."""
    from alembic.autogenerate import render_python_code
    from alembic.operations import ops

    if isinstance(step, ops.ExecuteSQLOp) and not isinstance(step.sqltext, str):  # autogenerate wants a string
        sql = str(step.sqltext.compile(dialect=context.dialect))  # type: ignore[attr-defined]
        return f"{'batch_op' if batch else 'op'}.execute({sql!r})"
    if isinstance(step, ops.CreatePrimaryKeyOp):  # alembic's autogenerate cannot render this one
        columns = list(step.columns)
        if batch:
            return f"batch_op.create_primary_key({step.constraint_name!r}, {columns!r})"
        schema = f", schema={step.schema!r}" if step.schema else ""
        return f"op.create_primary_key({step.constraint_name!r}, {step.table_name!r}, {columns!r}{schema})"
    if batch:
        code = render_python_code(ops.UpgradeOps(ops=[ops.ModifyTableOps(batch[0], [step], schema=batch[1])]),
                                  render_as_batch=True, migration_context=context)
        lines = [ln for ln in code.splitlines() if ln.strip() and not ln.strip().startswith(("#", "with "))]
    else:
        code = render_python_code(ops.UpgradeOps(ops=[step]), migration_context=context)
        lines = [ln for ln in code.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    text = textwrap.dedent("\n".join(lines))
    using = getattr(step, "kw", {}).get("postgresql_using") if isinstance(step, ops.AlterColumnOp) else None
    if using and text.endswith(")"):  # autogenerate does not render it, but the migration needs it
        text = text[:-1] + f",\n{' ' * 11}postgresql_using={using!r})"
    return text


def _fresh(t: TypeEngine[Any]) -> TypeEngine[Any]:
    """A copy of a reflected type that never tries to create a PostgreSQL enum or domain type again."""
    if hasattr(t, "create_type"):
        copy: Any = t.adapt(type(t))
        copy.create_type = False
        return copy  # type: ignore[no-any-return]
    return t
