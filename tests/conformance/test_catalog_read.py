"""PostgreSQL's catalog read directly (chrono_cli/db/pgcatalog.py) gives what SQLAlchemy's reflection gives.

Column by column (name, the type's compiled form and repr, nullable, default), primary keys, indexes, unique
constraints and foreign keys, on every schema of: a database of awkward types and keys, and every conformance
story that runs on PostgreSQL. The snapshot chrono builds from either read must be the same.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SAWarning
from sqlalchemy.types import NullType, TypeEngine

from chrono_cli.db import pgcatalog
from chrono_cli.db.reflect import inspected, reflect
from tests.conformance.cases import CASES
from tests.conformance.conftest import StoryClone
from tests.conformance.test_conformance import _built

AWKWARD = """
CREATE SCHEMA other;
CREATE TYPE mood AS ENUM ('sad', 'ok');
CREATE DOMAIN posint AS integer DEFAULT 1 NOT NULL CHECK (VALUE > 0);
CREATE TABLE other.ref (id serial PRIMARY KEY, code text UNIQUE);
CREATE TABLE parent (a integer, b varchar(10), PRIMARY KEY (b, a));
CREATE TABLE edge (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, s serial, sb bigserial,
  n numeric, n2 numeric(12, 3), f double precision, r real, fl float(20), sm smallint,
  ts timestamp, ts3 timestamp(3) with time zone, t time, tz time(2) with time zone,
  iv interval, ivd interval day to second(3), ivy interval year,
  bv bit varying(5), bvn bit varying, b bit(3), bo boolean NOT NULL DEFAULT false,
  ch char(4), vc varchar, vc9 varchar(9) DEFAULT 'x', tx text DEFAULT 'a''b',
  arr integer[], arr2 varchar(5)[][], barr boolean[], tsarr timestamp(2) with time zone[],
  j json, jb jsonb DEFAULT '{}', u uuid DEFAULT gen_random_uuid(), ip inet, cidr cidr, mac macaddr,
  mo money, by bytea, tsv tsvector, oi oid, d8 date DEFAULT now(), "Mixed Case" integer,
  g integer GENERATED ALWAYS AS (s * 2) STORED,
  pa integer, pb varchar(10),
  rid integer REFERENCES other.ref (id) ON DELETE CASCADE,
  FOREIGN KEY (pb, pa) REFERENCES parent (b, a),
  CONSTRAINT uq_edge UNIQUE (n2, ch) INCLUDE (vc),
  CONSTRAINT uq_edge_u UNIQUE NULLS NOT DISTINCT (u),
  CONSTRAINT ck_edge CHECK (sm > 0)
);
CREATE INDEX ix_expr ON edge (lower(vc), ts);
CREATE INDEX ix_partial ON edge (u) WHERE bo;
CREATE UNIQUE INDEX ix_cover ON edge (r DESC) INCLUDE (f);
CREATE INDEX ix_gin ON edge USING gin (jb);
CREATE TABLE named (id integer PRIMARY KEY, m mood, m2 mood[], d posint, x xid8, c text COLLATE "C",
                    pt point, other_ok integer);
CREATE TABLE empty_cols ();
CREATE TABLE other.edge_ref (id integer PRIMARY KEY, e bigint REFERENCES public.edge (id),
                             r integer REFERENCES other.ref (id), s serial);
CREATE TABLE part (id integer, k integer, PRIMARY KEY (id, k)) PARTITION BY RANGE (k);
CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (10);
CREATE TABLE "odd name" ("Weird ""col"" 1" integer PRIMARY KEY, "b.c" text UNIQUE);
CREATE UNLOGGED TABLE unlogged_t (id integer);
CREATE VIEW v AS SELECT 1 AS x;
"""


def _type(t: TypeEngine[Any], conn: Connection) -> tuple[str, str]:
    return (repr(t), "" if isinstance(t, NullType) else str(t.compile(dialect=conn.dialect)))


def _canon(parts: pgcatalog.Parts, conn: Connection) -> dict[str, Any]:
    """What chrono keeps of a catalog read, as plain values (types by compiled form and repr)."""
    columns, pks, indexes, uniques, fks = parts
    return {
        "columns": {k: [(c["name"], _type(c["type"], conn), c["nullable"], c.get("default")) for c in cols]
                    for k, cols in columns.items()},
        "pks": {k: (pk.get("name"), list(pk.get("constrained_columns") or ())) for k, pk in pks.items()},
        "indexes": {k: [(i["name"], bool(i.get("unique")), list(i["column_names"])) for i in ix]
                    for k, ix in indexes.items()},
        "uniques": {k: [(u["name"], list(u["column_names"])) for u in us] for k, us in uniques.items()},
        "fks": {k: [(f["name"], list(f["constrained_columns"]), f.get("referred_schema"), f["referred_table"],
                     list(f["referred_columns"])) for f in fs] for k, fs in fks.items()},
    }


def _snapshot(conn: Connection, schema: str) -> dict[str, Any]:
    snap = reflect(conn, {schema: None}, ())
    return {str(t.ref): ([(c.name, _type(c.type, conn), c.nullable, c.default) for c in t.columns.values()],
                         t.pk, t.indexes, t.foreign_keys) for t in snap}


def assert_same_read(url: str) -> int:
    """Compare both reads on every non-system schema of ``url``; returns how many tables were compared."""
    engine = create_engine(url)
    compared = 0
    try:
        with engine.connect() as conn, warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Did not recognize type 'xid8'", category=SAWarning)
            insp = inspect(conn)
            assert pgcatalog.supported(conn)
            for schema in insp.get_schema_names():
                if schema.startswith("pg_") or schema == "information_schema":
                    continue
                direct = _canon(pgcatalog.read(conn, insp, schema, None), conn)
                reflected = _canon(inspected(insp, {"schema": schema}, False), conn)
                for part in reflected:
                    assert direct[part] == reflected[part], (schema, part)
                assert list(direct["columns"]) == list(reflected["columns"]), schema  # the same table order
                some = sorted(name for _, name in reflected["columns"])[::2]
                picked = _canon(pgcatalog.read(conn, insp, schema, some), conn)
                assert picked == _canon(inspected(insp, {"schema": schema, "filter_names": some}, False), conn)
                compared += len(reflected["columns"])
    finally:
        engine.dispose()
    return compared


def test_awkward_types_and_keys_read_as_sqlalchemy_reflects_them(pg_url: str) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(AWKWARD)
        types = conn.exec_driver_sql("SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
                                     "WHERE attrelid = 'edge'::regclass AND attnum > 0").scalars().all()
    engine.dispose()
    assert len(types) == 44 and all(pgcatalog.column_type(t) for t in types)  # edge: read without SQLAlchemy's help
    assert assert_same_read(pg_url) == 10  # the view is no table; part_1 is one


def test_the_snapshot_is_the_same_as_from_sqlalchemys_reflection(pg_url: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.exec_driver_sql(AWKWARD)
    with engine.connect() as conn, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Did not recognize type 'xid8'", category=SAWarning)
        direct = {s: _snapshot(conn, s) for s in ("public", "other")}
        monkeypatch.setattr(pgcatalog, "supported", lambda conn: False)  # SQLAlchemy's reflection instead
        reflected = {s: _snapshot(conn, s) for s in ("public", "other")}
    engine.dispose()
    # other.edge_ref.e refers to public.edge, on the search path: SQLAlchemy then names the referring table's schema
    # (other.edge, which does not exist); the direct read names the table's own
    def referred(snap: dict[str, Any]) -> list[str]:
        return [str(f.referred) for f in snap["other"]["other.edge_ref"][3]]

    assert referred(direct) == ["public.edge", "other.ref"] and referred(reflected) == ["other.edge", "other.ref"]
    fixed = {s: {t: (*v[:3], tuple(f for f in v[3] if str(f.referred) != "other.edge")) for t, v in snap.items()}
             for s, snap in reflected.items()}
    ours = {s: {t: (*v[:3], tuple(f for f in v[3] if str(f.referred) != "public.edge")) for t, v in snap.items()}
            for s, snap in direct.items()}
    assert ours == fixed  # and everything else the same


PG_CASES = [pytest.param(case, id=case.name) for case in CASES if "postgresql" in case.backends]


@pytest.mark.parametrize("case", PG_CASES)
def test_story_catalog_reads_as_sqlalchemy_reflects_it(case: Any, story_clone: StoryClone) -> None:
    url, _ = story_clone("postgresql", case.name, _built(case))
    assert assert_same_read(url) > 0
