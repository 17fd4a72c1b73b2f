"""chrono's value types are msgspec Structs: frozen (or not), slotted, compared and hashed by value, like the slotted
dataclasses they replace, but their classes are built in C.

Why not dataclasses: on Python 3.11 each dataclass compiles its generated methods one ``exec`` at a time, about
4 million instructions per class. A read imports 60 of them, which was a third of what chrono added to the floor of
a one-record read (issue 15). A Struct class costs about a tenth of that, and its instances are made faster too.

Differences to keep in mind: there is no per-field ``compare=False``, ``init=False`` or ``kw_only`` (the few classes
that need them stay dataclasses); a frozen Struct's ``__post_init__`` sets a field with ``force_setattr``, never
``object.__setattr__``; ``replace`` below takes both kinds.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from msgspec import Struct, field
from msgspec.structs import force_setattr
from msgspec.structs import replace as _struct_replace

__all__ = ["Struct", "field", "force_setattr", "replace"]

T = TypeVar("T")


def replace(obj: T, /, **changes: Any) -> T:
    """A copy of ``obj`` (a Struct or a dataclass) with ``changes`` applied."""
    if isinstance(obj, Struct):
        return _struct_replace(obj, **changes)
    return dataclasses.replace(obj, **changes)  # type: ignore[type-var]
