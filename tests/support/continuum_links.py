"""The Continuum story (continuum_story.py) with change sets of association rows added and removed, for the set-based
``chrono revert`` tests; and Continuum's own reading of the articles' versions and their tags.

Run in a subprocess (Continuum's ``make_versioned()`` is process-global)::

    python -m tests.support.continuum_links URL OUT.json            # build: the story, then STEPS
    python -m tests.support.continuum_links URL OUT.json --read

After the story (article 1 deleted, articles 2 and 3 live, tags 3 and 5), one session and one commit per step:
``link`` renames article 2 and tags it 3 and 5; ``swap`` untags 2 from 3, tags 3 with 3 and rescores 2 and 3
(links added and removed, parents updated, in one transaction); ``later`` tags 3 with 5 (a membership-only change
of article 3, after ``swap``). The record maps each step to its transaction id, with the story's record under
``story``. ``--read`` writes every article's versions as Continuum reads them (``article.versions``: transaction,
operation, name, score, the tag ids of ``version.tags`` and ``version.changeset``), and the live articles with their
tags. Nothing here imports ``chrono_cli``.
"""

from __future__ import annotations

import functools
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from tests.support import continuum_story

STEPS = ("link", "swap", "later")


def _models() -> Any:
    return continuum_story.models(strategy="validity", user=True, native=False, joined=False, tracker=True)


def build(url: str) -> dict[str, Any]:
    # the story and the steps share one declaration of the models (once per process)
    continuum_story.models = functools.cache(continuum_story.models)  # type: ignore[method-assign]
    story = continuum_story.build(url)
    from sqlalchemy_continuum import versioning_manager

    m = _models()
    A, T = m.Article, m.Tag
    engine = sa.create_engine(url)
    tx = versioning_manager.transaction_cls.__table__

    def link(s: Session) -> None:
        a = s.get(A, 2)
        a.name = "Second linked"
        a.tags += [s.get(T, 3), s.get(T, 5)]

    def swap(s: Session) -> None:
        two, three = s.get(A, 2), s.get(A, 3)
        two.tags.remove(s.get(T, 3))
        three.tags.append(s.get(T, 3))
        two.score, three.score = Decimal("7.00"), Decimal("8.50")

    def later(s: Session) -> None:
        three = s.get(A, 3)  # held: the session keeps only weak references to its objects
        three.tags.append(s.get(T, 5))

    done: dict[str, Any] = {}
    for label, fn in zip(STEPS, (link, swap, later), strict=True):
        with Session(engine) as s:
            versioning_manager.unit_of_work(s).create_transaction(s).user_id = 2
            fn(s)
            s.commit()
        with engine.connect() as conn:
            done[label] = conn.execute(sa.select(sa.func.max(tx.c.id))).scalar()
    engine.dispose()
    return {"tx": done, "story": story}


def read(url: str) -> dict[str, Any]:
    m = _models()
    engine = sa.create_engine(url)
    out: dict[str, Any] = {"versions": {}, "live": {}}
    with Session(engine) as s:
        for a in s.scalars(sa.select(m.Article).order_by(m.Article.id)):
            out["live"][str(a.id)] = {"name": a.name, "score": str(a.score), "tags": sorted(t.id for t in a.tags)}
        ids = [r[0] for r in s.execute(sa.text("SELECT DISTINCT id FROM article_version ORDER BY id"))]
        from sqlalchemy_continuum import version_class

        V = version_class(m.Article)
        for key in ids:
            versions = s.scalars(sa.select(V).where(V.id == key).order_by(V.transaction_id)).all()
            out["versions"][str(key)] = [
                {"tx": v.transaction_id, "op": v.operation_type, "end": v.end_transaction_id, "name": v.name,
                 "score": None if v.score is None else str(v.score), "tags": sorted(t.id for t in v.tags),
                 "changeset": sorted(v.changeset)} for v in versions]
    engine.dispose()
    return out


def main() -> None:
    url, out, *flags = sys.argv[1:]
    record = read(url) if flags == ["--read"] else build(url)
    Path(out).write_text(json.dumps(record, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
