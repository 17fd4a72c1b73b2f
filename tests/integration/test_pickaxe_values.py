"""The pickaxe compares values as chrono shows them, on every backend: MariaDB's default collation would take
'Team' for 'team' and 'team ' for 'team', so a change between them would hide from a plain SQL comparison."""

from __future__ import annotations

import json

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from tests.conftest import invoke
from tests.support.stories import history_meta_models, load_history_meta


def test_case_and_trailing_spaces_are_values_of_their_own(runner: CliRunner, db_url: str) -> None:
    m = history_meta_models()
    engine = create_engine(db_url)
    m.Base.metadata.create_all(engine)
    steps = ["team", "Team", "free", "team ", "team", "pro"]
    factory = sessionmaker(engine)
    load_history_meta().versioned_session(factory)
    with factory() as session:  # the library writes every version
        user = m.AppUser(id=1, email="a@example.com", role=steps[0])
        session.add(user)
        session.commit()
        for role in steps[1:]:
            user.role = role
            session.commit()
    engine.dispose()
    result = invoke(
        runner,
        [
            "--db",
            db_url,
            "-f",
            "json",
            "changes",
            "appuser",
            "--column",
            "role",
            "--value",
            "team",
            "-n",
            "100",
            "--window",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    shown = [
        (fc["old"], fc["new"])
        for s in json.loads(result.stdout)["changesets"]
        for c in s["changes"]
        for fc in c["changes"]
        if fc["column"] == "role"
    ]
    # history_meta records no insert: the first change shown is the first update
    assert sorted(shown) == [("team", "Team"), ("team", "pro"), ("team ", "team")]
