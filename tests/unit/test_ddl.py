"""DDL chrono compiles itself (check-migrations --suggest): identifiers and literals quoted by the dialect."""

from __future__ import annotations

from sqlalchemy.dialects import postgresql

from chrono_cli.db.ddl import CallTableFunction


def _sql(element: CallTableFunction) -> str:
    return str(element.compile(dialect=postgresql.dialect()))


def test_a_set_up_call_names_the_table_as_a_regclass_literal() -> None:
    assert _sql(CallTableFunction("audit_table", "tag")) == "SELECT audit_table('tag')"
    assert _sql(CallTableFunction("enable_tracking", "order", "shop", "audit")) == \
        "SELECT audit.enable_tracking('shop.\"order\"')"
    # a quote in a name is doubled as an identifier, then as a literal
    assert _sql(CallTableFunction("audit_table", "it's \"odd\"")) == "SELECT audit_table('\"it''s \"\"odd\"\"\"')"
