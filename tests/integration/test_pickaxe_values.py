"""The pickaxe compares values as chrono shows them, on every backend: MariaDB's default collation would take
'Team' for 'team' and 'team ' for 'team', so a change between them would hide from a plain SQL comparison.
A secret column is searched only with --show-secrets: which changes set a value would tell the value."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from tests.conftest import invoke
from tests.support.stories import history_meta_models, load_history_meta

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo.sqlite"


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


def test_a_secret_column_is_searched_only_with_show_secrets(runner: CliRunner, tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    shutil.copy(DEMO, db)
    config = tmp_path / "chrono.toml"
    config.write_text('[tables.users]\nredact = ["plan"]\n', encoding="utf-8")
    args = ["changes", "users", "--column", "plan", "--value", "team", "-f", "json", "-n", "100"]
    refused = invoke(runner, ["--db", str(db), "--config", str(config), *args])
    assert refused.exit_code == 2 and refused.stdout == "", refused.output
    assert refused.stderr.startswith("error: users.plan is a secret") and "--show-secrets" in refused.stderr
    plain = invoke(runner, ["--db", str(db), *args])
    shown = invoke(runner, ["--db", str(db), "--config", str(config), "--show-secrets", *args])
    assert plain.exit_code == shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["changesets"] == json.loads(plain.stdout)["changesets"] != []
