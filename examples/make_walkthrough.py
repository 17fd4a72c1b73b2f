"""Write examples/README.md: every command run on the demo database, with its real output.

Usage: python examples/make_walkthrough.py [--check]
Write commands run on a scratch copy of demo.sqlite, so the committed file never changes.
--check exits 1 when examples/README.md is not what this script would write (tests/test_walkthrough.py).
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TARGET = HERE / "README.md"
INTRO = (HERE / "README_demo_story.md").read_text(encoding="utf-8").split("\n", 1)[1].strip()

# (heading, explanation, command); "DB" is replaced by the path of the (scratch copy of the) demo database.
STEPS: list[tuple[str, str, str]] = [
    ("What chrono finds", "Every table with a detected convention, with row and history counts.",
     "chrono --db DB tables --counts"),
    ("Why it thinks so", "The evidence behind each detection: column and type signatures, never names alone.",
     "chrono --db DB tables --explain"),
    ("A record's timeline", "User 42's edit war, oldest first: who changed what, and when each version was valid.",
     "chrono --db DB history user 42"),
    ("Only part of it", "The newest three versions, newest first, and only two columns.",
     "chrono --db DB history user 42 --limit 3 --reverse --columns name,plan"),
    ("A deleted record", "User 7 was deleted: the timeline ends in a deletion.",
     "chrono --db DB history user 7"),
    ("The record at a version", "User 42 as it was at version 4.",
     "chrono --db DB show user 42 --version 4"),
    ("The record at a time", "User 42 as it was at 10:00 UTC on 16 November.",
     "chrono --db DB show user 42 --at 2026-11-16T10:00Z"),
    ("What changed last", "The previous version against the current one.",
     "chrono --db DB diff user 42"),
    ("Any two versions", "Version 1 against version 10, every column.",
     "chrono --db DB diff user 42 1 10 --all"),
    ("Versions in the same table", "Order 1009: versioned rows, whose current row was deleted.",
     "chrono --db DB history order 1009"),
    ("Diffs only", "Article 2 is versioned by Potion's history_record diffs; earlier states are rebuilt "
     "backwards from the live row.", "chrono --db DB history article 2"),
    ("For scripts", "The JSON contract (see the main README), here with jq-friendly jsonl.",
     "chrono --db DB -f jsonl history user 7"),
    ("Who set each column", "git blame for a row.", "chrono --db DB blame user 42"),
    ("A page for a ticket", "Timeline, blame, last change and the plan that would restore version 3, in Markdown "
     "(nothing is written).", "chrono --db DB report user 42 --since 2026-11-16T11:00Z --restore-to 3"),
    ("Archived rows", "Rows whose archive column is set.", "chrono --db DB archived user"),
    ("Deleted rows", "Rows the history knows but the table no longer has.", "chrono --db DB deleted user"),
    ("Undo a whole change set", "Revert the 11:38 edit of user 42: the state just before it, with the history row "
     "history_meta writes (dry run).", "chrono --db DB revert @1794829080000 --dry-run"),
    ("A revert with conflicts", "The 10:41 edit (plan team to pro) was changed again at 11:05 and 11:38: the report "
     "names the later changes, and the revert is refused unless --force.",
     "chrono --db DB revert @1794825660000 --yes"),
    ("Many rows to a point in time", "Every user changed since 10 November back to its state then, set-based "
     "(dry run): user 7 comes back, the others are restored.",
     "chrono --db DB restore user --at 2026-11-10T00:00Z --all-changed-since 2026-11-10T00:00Z --dry-run"),
    ("Roll back, dry run first", "What restoring user 42 to version 3 would write, as terraform plan shows it.",
     "chrono --db DB restore user 42 --version 3 --dry-run"),
    ("The SQL behind it", "The statements that restore would run, values inlined (nothing is written).",
     "chrono --db DB restore user 42 --version 3 --sql"),
    ("Roll back", "The restore itself; off a terminal it needs --yes. The pre-restore state becomes a version.",
     "chrono --db DB restore user 42 --version 3 --yes --reason 'ticket #4711: undo edit war'"),
    ("The restore is history too", "The two newest versions after the restore.",
     "chrono --db DB history user 42 --limit 2"),
    ("Undelete", "User 7 comes back with the state its deletion removed.",
     "chrono --db DB restore user 7 --yes"),
    ("Archive", "Archive user 42 with a reason.",
     "chrono --db DB archive user 42 --reason 'GDPR request #81' --yes"),
    ("Change sets", "What changed together, newest first (inferred: this store records no transactions).",
     "chrono --db DB changes --since 2026-11-16 --until 2026-11-17 -n 3"),
    ("Schema drift", "check-migrations on the demo: every history table still matches its base table.",
     "chrono --db DB check-migrations"),
]


def commands() -> set[str]:
    """The names of chrono's subcommands (steps whose command does not exist yet are left out)."""
    import typer.main

    from chrono_cli.cli.app import app

    return set(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def available(command: str, names: set[str]) -> bool:
    return shlex.split(command)[3] in names


def render() -> str:
    out = ["# Walkthrough: every command on the demo database", "",
           "Generated by `python examples/make_walkthrough.py` from real runs on `examples/demo.sqlite` "
           "(write commands run on a scratch copy). Output is what chrono prints off a terminal (`plain`).", "",
           "## The story", "", INTRO, ""]
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    env.pop("CHRONO_DATABASE_URL", None)
    env.pop("DATABASE_URL", None)
    with tempfile.TemporaryDirectory() as tmp:
        env["XDG_STATE_HOME"] = tmp  # advice given once per database: every run starts as a first run
        db = Path(tmp) / "demo.sqlite"
        shutil.copy(HERE / "demo.sqlite", db)
        names = commands()
        _warm()
        for heading, text, command in STEPS:
            if not available(command, names):
                continue
            args = shlex.split(command.replace("DB", str(db)))[1:]
            code, stdout, stderr = _run(args, env, tmp)
            shown = command.replace("DB", "examples/demo.sqlite")
            result = (stdout + stderr).replace(str(db), "examples/demo.sqlite")
            result = result.replace(str(db).replace("_", "\\_"), "examples/demo.sqlite").rstrip()  # markdown
            # a fence longer than any run of backticks in the output (the report holds a fenced SQL block)
            fence = "`" * max(3, 1 + max((len(m) for m in re.findall(r"`+", result)), default=0))
            out += [f"## {heading}", "", text, "", f"{fence}console", f"$ {shown}", result]
            if code:
                out.append(f"[exit code {code}]")
            out += [fence, ""]
    return "\n".join(out)


def _run(args: list[str], env: dict[str, str], cwd: str) -> tuple[int, str, str]:
    """``chrono ARGS`` as its own process, off a terminal: (exit code, stdout, stderr).

    Where the system can fork, the process is a fork of this one with chrono's modules already imported (each
    command otherwise spends half its time importing them again): the child sets the environment and the
    working directory, points its stdout and stderr at files and runs the console script's ``main``, as
    ``python -m chrono_cli`` would. Elsewhere it is ``python -m chrono_cli``."""
    if not hasattr(os, "fork"):
        done = subprocess.run([sys.executable, "-m", "chrono_cli", *args], capture_output=True, text=True, env=env,
                              cwd=cwd)
        return done.returncode, done.stdout, done.stderr
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out, tempfile.TemporaryFile("w+", encoding="utf-8") as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the child: never returns
            code = 1
            try:
                os.environ.clear()
                os.environ.update(env)
                os.chdir(cwd)
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                sys.argv = ["chrono", *args]
                from chrono_cli.cli.launch import main as chrono

                try:
                    chrono()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        out.seek(0)
        err.seek(0)
        return os.waitstatus_to_exitcode(status), out.read(), err.read()


def _warm() -> None:
    """Import what every command imports, once, before the commands are forked (see ``_run``)."""
    import sqlalchemy.dialects.sqlite  # noqa: F401

    from chrono_cli.cli import app

    app.full_app()


# A date and time as chrono prints it: "2026-11-16 11:38:00+00:00", "2026-11-22T17:43:36.883166", ...
_MOMENT = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?([+-]\d{2}:\d{2}|Z)?")
# The demo story's times (examples/build_demo.py) lie on or before this day, in any zone the walkthrough shows;
# every write of a run is stamped later than that, whatever the day it runs
_DEMO_LAST_DAY = "2026-11-19"


def _masked(text: str) -> str:
    """The text with the times of writes made while generating replaced by <now>, and runs of spaces collapsed.

    The demo story's own times stay; a time after its last day was stamped by a write of this run (at any second,
    a whole minute included). Table columns widen or narrow with those stamps, so the padding is not compared.
    """

    def stamp(match: re.Match[str]) -> str:
        return match.group(0) if match.group(1) <= _DEMO_LAST_DAY else "<now>"

    return re.sub(r" {2,}", " ", _MOMENT.sub(stamp, text))


def main() -> None:
    text = render()
    if "--check" in sys.argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if _masked(current) != _masked(text):
            sys.exit("examples/README.md is stale: run python examples/make_walkthrough.py")
        return
    TARGET.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
