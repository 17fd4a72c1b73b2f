"""The live row at the end of a new-state timeline (Continuum, django-simple-history)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from chrono_cli.conventions.diffs import same
from chrono_cli.model import Op, Version
from chrono_cli.records import replace


def with_live(out: list[Version], live: Mapping[str, Any] | None, recorded: list[str], unrecorded: tuple[str, ...],
              *, entry: str, bypass: str, delete_bypass: str, differs: str | None = None, number: Any = None,
              since_last: bool = True, equal: Callable[[Any, Any], bool] = same) -> list[Version]:
    """Mark the newest version current when the live row matches it; otherwise add what the history missed.

    ``entry`` names a stored version ("recorded version", "history row"); ``bypass`` and ``delete_bypass`` name
    the writes that skip the library ("bulk update or raw SQL"). ``differs`` replaces the note of a live row the
    history does not end with; ``number`` is that row's version number; ``since_last=False`` leaves its start
    unknown instead of the newest version's; ``equal`` compares a stored value with the live one.
    """
    last = out[-1] if out else None
    if live is None:
        if last is not None and last.values is not None and last.op is not Op.UNKNOWN:
            out.append(Version(values=None, op=Op.DELETE, valid_from=last.valid_from,
                               note=f"deleted without a {entry} ({delete_bypass})"))
        return out
    current = {c: live[c] for c in recorded}
    if last is not None and last.values is not None and all(
            c not in last.values or equal(last.values[c], current[c]) for c in recorded):
        out[-1] = replace(last, current=True)
        return out
    note = ("no history recorded" if last is None else differs if differs is not None else
            f"row exists again, but its re-insert has no {entry}" if last.values is None else
            f"live row differs from the newest {entry} ({bypass})")
    # changed at an unknown time after the last recorded version: valid from then, as far as we know
    start = last.valid_from if last is not None and since_last else None
    out.append(Version(values=current, op=Op.UNKNOWN, number=number, valid_from=start, unrecorded=unrecorded,
                       current=True, note=note))
    return out
