"""The hand-installed audit trigger stories (tests/support/audit_logs.py) continued with a primary-key change
and a TRUNCATE, read as the documentation says to follow them: supa_audit's ``old_record`` -> ``record`` chain
(its ``old_record_id`` <> ``record_id``), the audit trigger's ``changed_fields`` naming the new key; a logged
TRUNCATE (supa_audit ``op = 'TRUNCATE'``, the audit trigger's statement row ``action = 'T'``) deletes every row
that existed then. A record's timeline is its whole life under every key it had, listed under each of them.
Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import create_engine, text

from tests.support import audit_logs

MOVES = (
    ("UPDATE tag SET id = 5 WHERE id = 1",),
    ("UPDATE tag SET label = 'moved' WHERE id = 5",),
    ("TRUNCATE article",),
    ("INSERT INTO article (id, name, price) VALUES (2, 'after truncate', 1.00)",),
)


def build(url: str, kind: str) -> dict[str, Any]:
    """The audit log story, then the key change and the TRUNCATE, one transaction each."""
    audit_logs.build(url, kind)
    for step in MOVES:
        audit_logs.execute(url, *step)
    return {"story": kind + "-moves"}


@dataclass
class _Life:
    keys: list[str]
    entries: list[dict[str, Any]] = field(default_factory=list)
    alive: bool = True


def _rows(conn: Any, kind: str, table: str) -> list[tuple[str, str | None, str | None, dict[str, Any]]]:
    """(op, key before, key after, entry) of every log row of ``table``, in log order."""
    out = []
    if kind == "supa":
        for r in conn.execute(
            text(
                "SELECT id, op::text AS op, ts, record, old_record FROM audit.record_version "
                "WHERE table_name = :t ORDER BY id"
            ),
            {"t": table},
        ):
            op = r.op.lower()
            before = None if r.old_record is None else str(r.old_record["id"])
            after = None if r.record is None else str(r.record["id"])
            version = None if op == "truncate" else r.id
            out.append(
                (
                    op,
                    before,
                    after,
                    {
                        "version": version,
                        "op": "delete" if op == "truncate" else op,
                        "values": r.record,
                        "at": r.ts.isoformat(),
                        "actor": None,
                    },
                )
            )
        return out
    for r in conn.execute(
        text(
            "SELECT event_id, action, action_tstamp_stm, transaction_id, session_user_name, row_data -> 'id' AS old, "
            "coalesce(changed_fields -> 'id', row_data -> 'id') AS new, akeys(row_data) AS recorded, "
            "to_jsonb(populate_record(NULL::" + table + ", row_data || coalesce(changed_fields, ''::hstore))) AS data "
            "FROM audit.logged_actions WHERE table_name = :t ORDER BY event_id"
        ),
        {"t": table},
    ):
        op = {"I": "insert", "U": "update", "D": "delete", "T": "truncate"}[r.action]
        values = None if op in ("delete", "truncate") else {c: v for c, v in r.data.items() if c in r.recorded}
        out.append(
            (
                op,
                None if op == "insert" else r.old,
                r.new,
                {
                    "version": None if op == "truncate" else r.transaction_id,
                    "op": "delete" if op == "truncate" else op,
                    "values": values,
                    "at": r.action_tstamp_stm.isoformat(),
                    "actor": None if op == "truncate" else r.session_user_name,
                },
            )
        )
    return out


def read(url: str, kind: str, save: tuple[str, str] | None = None) -> dict[str, Any]:
    """Timelines that follow key changes and TRUNCATEs, the live row each key's newest life ends in, and one
    ordinary save (an UPDATE), as audit_logs.read."""
    engine = create_engine(url)

    def lives() -> dict[str, list[_Life]]:
        out: dict[str, list[_Life]] = {}
        with engine.connect() as conn:
            for table in audit_logs.COLUMNS:
                every: list[_Life] = []
                current: dict[str, _Life] = {}
                for op, before, after, entry in _rows(conn, kind, table):
                    if op == "truncate":
                        for life in current.values():
                            life.entries.append(dict(entry))
                            life.alive = False
                        current.clear()
                        continue
                    if op == "insert":
                        life = _Life([str(after)])
                        every.append(life)
                    else:
                        life = current.pop(str(before))
                    life.entries.append(entry)
                    if op == "delete":
                        life.alive = False
                        continue
                    if str(after) not in life.keys:
                        life.keys.append(str(after))
                    current[str(after)] = life
                out[table] = every
        return out

    def timelines(found: dict[str, list[_Life]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for table, every in found.items():
            per: dict[str, list[dict[str, Any]]] = {}
            for life in every:
                for key in life.keys:
                    per.setdefault(key, []).extend(life.entries)
            out[table] = per
        return out

    def live(found: dict[str, list[_Life]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        with engine.connect() as conn:
            for table, every in found.items():
                out[table] = {}
                for life in every:
                    row = None
                    if life.alive:
                        row = (
                            conn.execute(
                                text(f"SELECT * FROM {table} WHERE id = :k"),  # a fixed story table
                                {"k": int(life.keys[-1])},
                            )
                            .mappings()
                            .first()
                        )
                    for key in life.keys:
                        out[table][key] = (
                            None if row is None else {c: audit_logs._plain(row[c]) for c in audit_logs.COLUMNS[table]}
                        )
        return out

    try:
        found = lives()
        reading: dict[str, Any] = {"timelines": timelines(found), "live": live(found), "saved": None, "after": None}
        if save is not None:
            table, key = save
            column = "name" if table == "article" else "label"
            with engine.begin() as conn:
                value = conn.execute(
                    text(f"UPDATE {table} SET {column} = {column} || ' (saved)' WHERE id = :k RETURNING {column}"),
                    {"k": int(key)},
                ).scalar_one()
            reading["saved"] = {column: value}
            reading["after"] = timelines(lives())
        return reading
    finally:
        engine.dispose()
