"""Write plans for people, as ``terraform plan`` reads: a coloured ``+ ~ -`` per row, its field changes, one
closing count; and the SQL behind ``--sql``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, TextIO

from chrono_cli.model import REDACTED, FieldChange, ResultSet
from chrono_cli.render.colors import OPERATIONS, Styled
from chrono_cli.render.display import value_text
from chrono_cli.render.encode import text
from chrono_cli.render.views import diff_rows

SIGNS = {"undelete": "+", "delete": "-"}  # every other action changes an existing row
PLAN_COLUMNS = ("column", "current", "new", "change")


def sign(action: str) -> str:
    """``+`` adds a row, ``-`` deletes one, ``~`` changes one."""
    return SIGNS.get(action, "~")


def item_table(action: str, title: str, diff: Sequence[Mapping[str, Any]], hides: Callable[[str], bool]) -> ResultSet:
    """One row of a plan: its sign and title, then current → new per column (secrets redacted)."""

    def shown(value: Any, column: str) -> Any:
        if value is None:
            return None
        return REDACTED if hides(column) else value_text(value, text(value))

    changes = [FieldChange(d["column"], d["old"], d["new"]) for d in diff]
    s = sign(action)
    return ResultSet(
        PLAN_COLUMNS, diff_rows(changes, shown), title=Styled.assemble([(s, OPERATIONS[s]), (f" {title}", None)])
    )


def counts(actions: Sequence[str]) -> tuple[int, int, int]:
    """Rows to add, change and delete."""
    signs = [sign(a) for a in actions]
    return signs.count("+"), signs.count("~"), signs.count("-")


def write_sql(out: TextIO, blocks: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> None:
    """``--sql``: each row's statements (ending in a semicolon) under a comment naming the row."""
    for title, statements in blocks:
        out.write(f"-- {title}\n")
        for label, sql in statements:
            out.write(f"-- {label}\n{sql}\n")
        out.write("\n")
    out.flush()
