"""A real SQLAlchemy-Continuum history of two tables joined by a foreign key, and Continuum's own reading of it.

Run in a subprocess (Continuum's ``make_versioned()`` is process-global)::

    python -m tests.support.continuum_orders URL OUT.json            # build: tables, steps, record
    python -m tests.support.continuum_orders URL OUT.json --read [--save ID]

Models: ``customer`` (``email`` unique) and ``purchase`` (``customer_id`` -> ``customer.id``, NOT NULL), both
versioned (validity strategy, PropertyModTracker, TransactionChanges, TransactionMeta), no associations, so
``chrono revert`` writes their change sets set-based. One session and one commit per step; the record maps each
step's label to its transaction id. ``--read`` writes every version row as Continuum's version classes read it
(id, transaction, end transaction, operation, values) and the live rows; ``--save ID`` first makes an ordinary
change to purchase ID through the ORM (the library's next write after chrono's). Works on SQLite, PostgreSQL and
MariaDB. Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, declarative_base

STEPS = ("open", "import", "unrelated", "rename 3", "rename 3 again", "drop customer 5")


def models() -> SimpleNamespace:
    from sqlalchemy_continuum import make_versioned
    from sqlalchemy_continuum.plugins import PropertyModTrackerPlugin, TransactionChangesPlugin, TransactionMetaPlugin

    make_versioned(user_cls=None, plugins=[PropertyModTrackerPlugin(), TransactionChangesPlugin(),
                                           TransactionMetaPlugin()])
    Base = declarative_base()

    class Customer(Base):
        __tablename__ = "customer"
        __versioned__: dict[str, Any] = {}
        id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
        name = sa.Column(sa.String(50), nullable=False)
        email = sa.Column(sa.String(80), unique=True)

    class Purchase(Base):
        __tablename__ = "purchase"
        __versioned__: dict[str, Any] = {}
        id = sa.Column(sa.Integer, primary_key=True, autoincrement=False)
        customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False)
        item = sa.Column(sa.String(50), nullable=False)
        qty = sa.Column(sa.Integer, nullable=False)

    sa.orm.configure_mappers()
    return SimpleNamespace(Base=Base, Customer=Customer, Purchase=Purchase)


def _steps(m: SimpleNamespace) -> list[Any]:
    C, P = m.Customer, m.Purchase

    def opening(s: Session) -> None:
        s.add_all([C(id=i, name=n, email=f"{n.lower()}@example.org") for i, n in
                   ((1, "Ann"), (2, "Bob"), (3, "Cat"), (5, "Eve"))])
        s.flush()
        s.add_all([P(id=10, customer_id=1, item="pen", qty=1), P(id=11, customer_id=1, item="ink", qty=2),
                   P(id=12, customer_id=2, item="pad", qty=3), P(id=13, customer_id=3, item="cap", qty=4)])

    def importing(s: Session) -> None:  # the change set the tests revert: two tables, every kind of change
        s.get(P, 10).qty = 5
        s.get(C, 2).name = "Bea"
        s.delete(s.get(P, 13))
        s.add(C(id=4, name="Dan", email="dan@example.org"))
        s.flush()
        s.add(P(id=14, customer_id=4, item="mug", qty=1))

    return [opening, importing, lambda s: setattr(s.get(P, 11), "qty", 3),
            lambda s: setattr(s.get(C, 3), "name", "Cy"), lambda s: setattr(s.get(C, 3), "name", "Cyd"),
            lambda s: s.delete(s.get(C, 5))]


def build(url: str) -> dict[str, Any]:
    from sqlalchemy_continuum import versioning_manager

    m = models()
    engine = sa.create_engine(url)
    m.Base.metadata.create_all(engine)
    tx = versioning_manager.transaction_cls.__table__
    done: dict[str, Any] = {}
    for label, fn in zip(STEPS, _steps(m), strict=True):
        with Session(engine) as s:
            fn(s)
            s.commit()
        with engine.connect() as conn:
            done[label] = conn.execute(sa.select(sa.func.max(tx.c.id))).scalar()
    engine.dispose()
    return {"tx": done}


def read(url: str, save: int | None) -> dict[str, Any]:
    from sqlalchemy_continuum import version_class

    m = models()
    engine = sa.create_engine(url)
    out: dict[str, Any] = {}
    with Session(engine) as s:
        if save is not None:
            s.get(m.Purchase, save).qty += 1
            s.commit()
        for name, model, fields in (("customer", m.Customer, ("name", "email")),
                                    ("purchase", m.Purchase, ("customer_id", "item", "qty"))):
            V = version_class(model)
            versions = s.query(V).order_by(V.id, V.transaction_id).all()
            out[name] = [{"id": v.id, "tx": v.transaction_id, "end": v.end_transaction_id,
                          "op": v.operation_type, **{f: getattr(v, f) for f in fields}} for v in versions]
            out[f"{name}_live"] = [{"id": r.id, **{f: getattr(r, f) for f in fields}}
                                   for r in s.query(model).order_by(model.id)]
    engine.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--read", action="store_true")
    parser.add_argument("--save", type=int)
    args = parser.parse_args()
    record = read(args.url, args.save) if args.read else build(args.url)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f)


if __name__ == "__main__":
    main()
