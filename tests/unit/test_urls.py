"""Database URLs as users type them: secrets never shown, a bare '@' in the password read as meant."""

from __future__ import annotations

import pytest

from chrono_cli.db.engine import resolve_url, safe_url
from chrono_cli.errors import UsageError


@pytest.mark.parametrize(("raw", "user", "password", "database", "shown"), [
    ("postgresql://u:p@ss@h:5/db", "u", "p@ss", "db", "postgresql+psycopg2://u:***@h:5/db"),
    ("postgresql://me@corp.com:p@ss@h/db", "me@corp.com", "p@ss", "db",
     "postgresql+psycopg2://me%40corp.com:***@h/db"),
    ("postgresql://u:p%40ss@h/db", "u", "p@ss", "db", "postgresql+psycopg2://u:***@h/db"),
    ("postgresql://u:p@h/d@b", "u", "p", "d@b", "postgresql+psycopg2://u:***@h/d%40b"),
    ("postgresql://u@h/db?sslpassword=s3&application_name=a", "u", None, "db",
     "postgresql+psycopg2://u@h/db?application_name=a&sslpassword=***"),
    ("mysql://root:x@[::1]:3306/app", "root", "x", "app", "mysql+pymysql://root:***@[::1]:3306/app"),
])
def test_urls(raw: str, user: str, password: str | None, database: str, shown: str) -> None:
    url = resolve_url(raw)
    assert (url.username, url.password, url.database) == (user, password, database)
    assert safe_url(url) == shown


@pytest.mark.parametrize(("raw", "shown"), [
    ("postgresql://u:secret@h:abc/db", "postgresql://u:***@h:abc/db"),
    ("postgresql://u:sec@ret@[::1/db?password=other", "postgresql://u:***@[::1/db?password=***"),
    ("postgresql://u:secret@h:70000/db", "postgresql://u:***@h:70000/db"),
])
def test_unparsable_urls_are_usage_errors_without_secrets(raw: str, shown: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_url(raw)
    assert shown in str(caught.value) and "secret" not in str(caught.value) and "other" not in str(caught.value)
