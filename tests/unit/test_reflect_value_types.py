"""Value types chosen at reflection: JSON held as checked text, MariaDB booleans and doubles."""

from __future__ import annotations

from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import mysql

from chrono_cli.db.reflect import StoredBoolean, json_columns, read_type


def test_json_valid_checks_name_their_columns() -> None:
    clauses = ['(JSON_VALID("data") OR "data" IS NULL)', "json_valid(`doc`)", "json_valid( [meta] )",
               "length(name) > 2", "JSON_VALID(x) AND json_valid(y)"]
    assert json_columns(clauses) == {"data", "doc", "meta", "x", "y"}
    assert json_columns(["price > 0", ""]) == set()


def test_mariadb_boolean_and_double_read_as_stored() -> None:
    assert isinstance(read_type(mysql.TINYINT(display_width=1), "mysql"), StoredBoolean)
    assert isinstance(read_type(mysql.TINYINT(display_width=4), "mysql"), mysql.TINYINT)
    double = read_type(mysql.DOUBLE(), "mysql")
    assert isinstance(double, sqltypes.Float) and not double.asdecimal
    process = StoredBoolean().process_result_value
    assert [process(v, mysql.dialect()) for v in (0, 1, 2, None)] == [False, True, 2, None]
