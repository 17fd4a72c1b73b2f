"""Hibernate Envers read through a declared ``new-state`` layout (README "Hibernate Envers").

Envers (Java) cannot be installed here, so this test writes the tables and rows itself, following the layout
Envers documents: ``<Entity>_AUD`` holds the entity's audited columns after each change plus ``REV`` (the
revision, a foreign key to ``REVINFO``) and ``REVTYPE`` (0 add, 1 modify, 2 delete; a delete row keeps only the
id, its other columns NULL, with the default ``store_data_at_delete=false``), primary key ``(id, REV)``;
``REVINFO(REV, REVTSTMP)`` holds each revision's time in epoch milliseconds. Unquoted names: PostgreSQL folds
them to lower case, SQLite keeps them, so the declaration names the columns as the database spells them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.integration.restore_support import checksum, chrono

DDL = (
    "CREATE TABLE REVINFO (REV INTEGER PRIMARY KEY, REVTSTMP BIGINT)",
    "CREATE TABLE Item (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL, price NUMERIC(10,2))",
    "CREATE TABLE Item_AUD (id INTEGER NOT NULL, REV INTEGER NOT NULL REFERENCES REVINFO (REV), REVTYPE SMALLINT,"
    " name VARCHAR(100), price NUMERIC(10,2), PRIMARY KEY (id, REV))",
)
# what Envers writes for: rev 1 adds items 1 and 2 (one transaction), rev 2 modifies item 1, rev 3 deletes item 2
ROWS = (
    "INSERT INTO REVINFO VALUES (1, 1767600000000), (2, 1767603600000), (3, 1767607200000)",
    "INSERT INTO Item VALUES (1, 'Lamp', 12.30)",
    "INSERT INTO Item_AUD VALUES (1, 1, 0, 'Lamp', 10.00), (2, 1, 0, 'Chair', NULL), (1, 2, 1, 'Lamp', 12.30),"
    " (2, 3, 2, NULL, NULL)",
)


def _declare(url: str, tmp_path: Path) -> Path:
    engine = create_engine(url)
    with engine.begin() as conn:
        for statement in (*DDL, *ROWS):
            conn.execute(text(statement))
    engine.dispose()
    fold = str.lower if url.startswith("postgresql") else str  # PostgreSQL folds unquoted names
    config = tmp_path / "chrono.toml"
    config.write_text(f'[tables.{fold("Item")}]\nlayout = "new-state"\nhistory = "{fold("Item_AUD")}"\n'
                      f'[tables.{fold("Item")}.columns]\nversion = "{fold("REV")}"\n'
                      f'operation = "{fold("REVTYPE")}"\n'
                      f'[tables.{fold("Item")}.operations]\ninsert = "0"\nupdate = "1"\ndelete = "2"\n',
                      encoding="utf-8")
    return config


def _history(runner: CliRunner, url: str, config: Path, table: str, key: str) -> list[dict[str, Any]]:
    result = chrono(runner, url, "-f", "json", "history", table, key, config=config)
    assert result.exit_code == 0, result.output
    versions: list[dict[str, Any]] = json.loads(result.stdout)["versions"]
    return versions


def test_envers_audit_table_as_a_declared_new_state_layout(runner: CliRunner, sqlite_or_pg_url: str,
                                                           tmp_path: Path) -> None:
    url = sqlite_or_pg_url
    config = _declare(url, tmp_path)
    table = "item" if url.startswith("postgresql") else "Item"
    one = _history(runner, url, config, table, "1")
    assert [(v["version"], v["operation"], v["values"]["name"], v["values"]["price"]) for v in one] == [
        (1, "insert", "Lamp", "10.00"), (2, "update", "Lamp", "12.30")]
    assert one[-1]["current"] is True and one[1]["changes"] == [{"column": "price", "old": "10.00", "new": "12.30"}]
    assert all(v["valid_from"] is None for v in one)  # REVINFO.REVTSTMP is in another table: no time is shown
    two = _history(runner, url, config, table, "2")
    assert [(v["version"], v["operation"]) for v in two] == [(1, "insert"), (3, "delete")]
    assert two[-1]["values"] is None
    refused = chrono(runner, url, "show", table, "1", "--at", "2h", config=config)
    assert refused.exit_code == 2 and "stores no timestamps" in refused.stderr, refused.output

    before = checksum(url)  # Hibernate writes Envers rows, not triggers: chrono writes nothing and says so
    write = chrono(runner, url, "restore", table, "1", "--version", "1", "--yes", config=config)
    assert write.exit_code == 5 and "has no UPDATE trigger" in write.stderr, write.output
    assert checksum(url) == before
