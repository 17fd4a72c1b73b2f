"""A record whose long text, JSON column, JSON-in-text column and secret change (history_meta shape).

``doc`` / ``doc_history``: doc 1 has two versions. The JSON column is ``JSON`` (jsonb on PostgreSQL, text
checked by ``json_valid`` on SQLite); ``payload`` is plain text holding JSON; ``api_token`` is a secret.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    DateTime,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
)
from sqlalchemy.dialects.postgresql import JSONB

BIO1 = "Ada writes the quick brown fox jumps over the lazy dog every morning before work."
BIO2 = "Ada writes the quick red fox jumps over the sleepy dog every morning before work."
PREFS1 = {"theme": "dark", "tags": ["a", "b", "c"], "notify": {"email": True}}
PREFS2 = {"theme": "light", "tags": ["a", "c"], "notify": {"email": True, "sms": False}}
PAYLOAD1 = '{"items": [1, 2], "note": "x"}'
PAYLOAD2 = '{"items": [1, 2, 3], "note": "x"}'
TOKEN1, TOKEN2 = "tok-first-secret-value", "tok-second-secret-value"
HOSTILE = "<script>alert('x')</script> | pipe \"quoted\" ```sql `tick`\nsecond line & more"


def build(url: str) -> str:
    """Create ``doc`` and ``doc_history`` with doc 1's two versions; returns ``url``."""
    engine = create_engine(url)
    json_type = JSONB if engine.dialect.name == "postgresql" else JSON
    md = MetaData()
    checks = [CheckConstraint("json_valid(prefs)")] if engine.dialect.name == "sqlite" else []
    cols = lambda: [  # noqa: E731
        Column("title", String(200), nullable=False),
        Column("bio", Text),
        Column("prefs", json_type),
        Column("payload", Text),
        Column("api_token", String(100)),
    ]
    doc = Table(
        "doc",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        *cols(),
        Column("version", Integer, nullable=False),
        *checks,
    )
    history = Table(
        "doc_history",
        md,
        Column("id", Integer, nullable=False),
        *cols(),
        Column("version", Integer, nullable=False),
        Column("changed", DateTime),
        PrimaryKeyConstraint("id", "version"),
    )
    md.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            history.insert(),
            [
                {
                    "id": 1,
                    "title": "ada",
                    "bio": BIO1,
                    "prefs": PREFS1,
                    "payload": PAYLOAD1,
                    "api_token": TOKEN1,
                    "version": 1,
                    "changed": datetime(2026, 11, 2, 9),
                }
            ],
        )
        conn.execute(
            doc.insert(),
            [
                {
                    "id": 1,
                    "title": HOSTILE,
                    "bio": BIO2,
                    "prefs": PREFS2,
                    "payload": PAYLOAD2,
                    "api_token": TOKEN2,
                    "version": 2,
                }
            ],
        )
    engine.dispose()
    return url
