"""Schemas on PostgreSQL: the search path by default, schemas holding a known store, and --schema."""

from __future__ import annotations

import json

from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.conftest import invoke

DDL = [
    "CREATE SCHEMA app",
    "CREATE TABLE app.item (id integer PRIMARY KEY, name varchar(20), version integer NOT NULL)",
    "CREATE TABLE app.item_history (id integer NOT NULL, name varchar(20), version integer NOT NULL, "
    "changed timestamp, PRIMARY KEY (id, version))",
    "INSERT INTO app.item VALUES (1, 'new', 2)",
    "INSERT INTO app.item_history VALUES (1, 'old', 1, '2026-01-01 00:00:00')",
    "CREATE SCHEMA audit",
    "CREATE TABLE public.member (id integer PRIMARY KEY, name text, version integer)",
    "CREATE TABLE audit.chrononaut_activity (id bigserial PRIMARY KEY, table_name text NOT NULL, "
    "changed timestamptz NOT NULL, version integer NOT NULL, key jsonb NOT NULL, data jsonb NOT NULL, "
    "user_info jsonb NOT NULL, extra_info jsonb NOT NULL)",
    "INSERT INTO public.member VALUES (5, 'Bea', 1)",
    "INSERT INTO audit.chrononaut_activity (table_name, changed, version, key, data, user_info, extra_info) VALUES "
    "('member', '2026-01-01T00:00Z', 0, '{\"id\": 5}', '{\"id\": 5, \"name\": \"Bee\", \"version\": 0}', "
    "'{\"user_id\": \"a@x\", \"remote_addr\": null}', '{}'), "
    "('member', '2026-01-02T00:00Z', 1, '{\"id\": 5}', '{\"id\": 5, \"name\": \"Bea\", \"version\": 1}', "
    "'{\"user_id\": \"b@x\", \"remote_addr\": null}', '{\"rationale\": \"typo\"}')",
]


def _setup(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        for stmt in DDL:
            conn.execute(text(stmt))
    engine.dispose()


def test_schema_outside_the_search_path_needs_schema_option(runner: CliRunner, pg_url: str) -> None:
    _setup(pg_url)
    assert invoke(runner, ["--db", pg_url, "history", "item", "1"]).exit_code == 4
    out = invoke(runner, ["--db", pg_url, "--schema", "app", "-f", "json", "history", "item", "1"])
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["table"] == "app.item" and [v["values"]["name"] for v in doc["versions"]] == ["old", "new"]
    out = invoke(runner, ["--db", pg_url, "--schema", "app", "--schema", "public", "-f", "json", "history",
                          "app.item", "1"])
    assert out.exit_code == 0, out.stderr


def test_store_in_another_schema_is_found_by_default(runner: CliRunner, pg_url: str) -> None:
    _setup(pg_url)
    out = invoke(runner, ["--db", pg_url, "-f", "json", "history", "member", "5"])
    assert out.exit_code == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["history"] == "audit.chrononaut_activity"
    assert [(v["values"]["name"], v["actor"], v["reason"]) for v in doc["versions"]] == [
        ("Bee", "a@x", None), ("Bea", "b@x", "typo")]
    assert doc["versions"][-1]["current"] is True
