"""Build a real django-simple-history history and write a JSON record of what the application did.

Run in a subprocess (Django settings can be configured once per process)::

    python -m tests.support.simple_history_story URL OUT.json [--batch]

Django is configured in-process with ``settings.configure()`` against the test database (SQLite file,
PostgreSQL, or MariaDB through PyMySQL standing in for mysqlclient), with the app ``tests.support.djangoapp``
(``Poll`` with ``tags`` m2m history and ``excluded_fields=["secret"]``; ``Choice`` in the custom table
``custom_choice_table``, with the archive column ``is_archived``); ``migrate`` creates the tables (real
migrations for auth / contenttypes / simple_history, then ``--run-syncdb`` for the app).

Record format::

    {"dialect": "sqlite",
     "steps": [{
        "seq": 1, "label": "...", "model": "poll" | "choice", "key": 1,
        "rows": [{"history_id": 4, "history_date": iso, "history_type": "~"}],   # the history rows the step
                                          # wrote for that record, read back through the library's manager
        "started": iso, "finished": iso,  # aware UTC wall clock around the step
        "actor": "alice" | null,          # username of the _history_user the step set
        "reason": "typo" | null,          # the _change_reason the step set
        "state": {...} | null,            # the base row read back after the step (no excluded fields)
        "tags": [2, 3]}, ...]}            # the poll's tag ids after the step (poll only)

Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import make_url


def _database(url: str) -> dict[str, Any]:
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": u.database}
    if u.get_backend_name() == "mysql":
        # no mysqlclient here: PyMySQL (a chrono dependency) stands in for MySQLdb, as its docs suggest
        import pymysql

        pymysql.install_as_MySQLdb()
        return {"ENGINE": "django.db.backends.mysql", "NAME": u.database, "USER": u.username or "root",
                "PASSWORD": u.password or "", "HOST": u.host or "127.0.0.1", "PORT": str(u.port or 3306),
                "OPTIONS": {"charset": "utf8mb4", **{k: v for k, v in u.query.items() if k == "ssl_disabled"}}}
    return {"ENGINE": "django.db.backends.postgresql", "NAME": u.database, "USER": u.username or "postgres",
            "PASSWORD": u.password or "", "HOST": u.host or "127.0.0.1", "PORT": str(u.port or 5432)}


def configure(url: str) -> None:
    """Configure Django for the app ``tests.support.djangoapp`` on ``url`` (once per process)."""
    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "simple_history",
                        "tests.support.djangoapp"],
        DATABASES={"default": _database(url)}, USE_TZ=True, TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField", MIGRATION_MODULES={"djangoapp": None})
    django.setup()


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def build(url: str, batch: bool = False) -> dict[str, Any]:
    """Configure Django, migrate, run the scripted steps, return the record. ``batch``: then one inferred change
    set of several rows by carol (polls created, one of them reworded, one created and deleted again; choice 1
    voted on and deleted, then poll 1 deleted), and bob's rewording of one of its polls after it."""
    configure(url)
    from django.contrib.auth.models import User
    from django.core.management import call_command

    from tests.support.djangoapp.models import Choice, Poll, Tag

    call_command("migrate", verbosity=0)  # auth first: the app's tables reference auth_user
    call_command("migrate", run_syncdb=True, verbosity=0)
    alice = User.objects.create(username="alice", email="alice@example.com")
    bob = User.objects.create(username="bob", email="bob@example.com")
    tags = {n: Tag.objects.create(name=n) for n in ("news", "tech", "fun")}
    models = {"poll": Poll, "choice": Choice}
    fields = {"poll": ["id", "question", "pub_date", "votes", "author_id"],
              "choice": ["id", "poll_id", "choice_text", "votes", "is_archived"]}
    steps: list[dict[str, Any]] = []

    def step(label: str, model: str, key: int, fn: Any, *, actor: Any = None, reason: str | None = None) -> None:
        cls = models[model]
        before = set(cls.history.filter(id=key).values_list("history_id", flat=True))
        started = datetime.now(UTC)
        obj = cls.objects.filter(pk=key).first()
        if obj is not None:
            if actor is not None:
                obj._history_user = actor
            if reason is not None:
                obj._change_reason = reason
        fn(obj)
        finished = datetime.now(UTC)
        rows = [{"history_id": h.history_id, "history_date": h.history_date.isoformat(),
                 "history_type": h.history_type}
                for h in cls.history.filter(id=key).exclude(history_id__in=before).order_by("history_date",
                                                                                              "history_id")]
        state = cls.objects.filter(pk=key).values(*fields[model]).first()
        steps.append({"seq": len(steps) + 1, "label": label, "model": model, "key": key, "rows": rows,
                      "started": started.isoformat(), "finished": finished.isoformat(),
                      "actor": None if actor is None else actor.username, "reason": reason,
                      "state": None if state is None else {k: _encode(v) for k, v in state.items()},
                      "tags": sorted(Poll.objects.get(pk=key).tags.values_list("id", flat=True))
                      if model == "poll" and state is not None else []})

    def create_poll(key: int, question: str, author: Any) -> Any:
        def fn(_: Any) -> None:
            p = Poll(id=key, question=question, pub_date=datetime(2026, 1, 5, 9, 0, tzinfo=UTC), author=author)
            p._history_user = author
            p.save()
        return fn

    def save(**changes: Any) -> Any:
        def fn(obj: Any) -> None:
            for k, v in changes.items():
                setattr(obj, k, v)
            obj.save()
        return fn

    step("create poll 1", "poll", 1, create_poll(1, "Tea or coffee?", alice), actor=alice)
    step("reword poll 1", "poll", 1, save(question="Tea, or coffee?"), actor=bob, reason="typo")
    step("save poll 1 unchanged", "poll", 1, save())
    step("tag poll 1 news+tech", "poll", 1, lambda p: p.tags.add(tags["news"], tags["tech"]), actor=bob)
    step("untag news", "poll", 1, lambda p: p.tags.remove(tags["news"]), actor=alice, reason="not news")
    step("count votes", "poll", 1, save(votes=3), actor=alice)
    step("change the excluded field only", "poll", 1, save(secret="s3cr3t"))
    step("create poll 2", "poll", 2, create_poll(2, "Cats or dogs?", bob), actor=bob)
    step("delete poll 2", "poll", 2, lambda p: p.delete(), actor=alice, reason="spam")
    step("add a choice", "choice", 1,
         lambda _: Choice.objects.create(id=1, poll_id=1, choice_text="Tea", votes=0))
    step("vote for the choice", "choice", 1, save(votes=1), actor=bob, reason="ballot")
    step("queryset update bypasses history", "poll", 1, lambda _: Poll.objects.filter(pk=1).update(votes=99))
    if batch:
        carol = User.objects.create(username="carol", email="carol@example.com")
        step("batch: create poll 3", "poll", 3, create_poll(3, "Red or blue?", carol), actor=carol)
        step("batch: create poll 4", "poll", 4, create_poll(4, "Sea or hills?", carol), actor=carol)
        step("batch: reword poll 3", "poll", 3, save(question="Red, or blue?"), actor=carol)
        step("batch: more votes", "choice", 1, save(votes=5), actor=carol)
        step("batch: delete choice 1", "choice", 1, lambda c: c.delete(), actor=carol)
        step("batch: delete poll 1", "poll", 1, lambda p: p.delete(), actor=carol)
        step("batch: create poll 5", "poll", 5, create_poll(5, "Now or later?", carol), actor=carol)
        step("batch: delete poll 5", "poll", 5, lambda p: p.delete(), actor=carol)
        step("reword poll 4 after the batch", "poll", 4, save(question="Sea, or hills?"), actor=bob)
    from django.db import connection

    return {"dialect": connection.vendor, "steps": steps}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("out")
    parser.add_argument("--batch", action="store_true", help="then one change set of several rows (see build)")
    args = parser.parse_args()
    record = build(args.url, args.batch)
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
