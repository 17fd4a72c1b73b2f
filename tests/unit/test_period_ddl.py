"""The CREATE TRIGGER remedy's DDL (temporal_tables' versioning trigger), compiled with PostgreSQL's quoting."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

from chrono_cli.db.ddl import CreateTrigger


def test_create_trigger_quotes_names_and_arguments() -> None:
    ddl = CreateTrigger("Order", "versioning_trigger", "before", ("INSERT", "UPDATE", "DELETE"), "versioning",
                        ("sys_period", "audit.order's_history", "true"), schema="Shop")
    assert str(ddl.compile(dialect=postgresql.dialect())) == (
        'CREATE TRIGGER versioning_trigger BEFORE INSERT OR UPDATE OR DELETE ON "Shop"."Order" FOR EACH ROW '
        "EXECUTE PROCEDURE versioning('sys_period', 'audit.order''s_history', 'true')")
