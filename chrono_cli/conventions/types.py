"""Type predicates over reflected column types, dialect-neutral."""

from __future__ import annotations

from typing import Any

from sqlalchemy import types as sqltypes
from sqlalchemy.types import TypeEngine

from chrono_cli.db.reflect import ColumnInfo, TableInfo

T = TypeEngine[Any]


def is_integer(t: T) -> bool:
    return isinstance(t, sqltypes.Integer) and not is_boolean(t)


def is_boolean(t: T) -> bool:
    if isinstance(t, sqltypes.Boolean):
        return True
    # MySQL/MariaDB store BOOLEAN as TINYINT(1)
    return type(t).__name__ == "TINYINT" and getattr(t, "display_width", None) == 1


def is_timestamp(t: T) -> bool:
    return isinstance(t, sqltypes.DateTime)


def has_timezone(t: T) -> bool:
    # ``is True``: SQLAlchemy reads SQLite's ``datetime(6)`` (what Rails creates) as DATETIME(timezone=6)
    return getattr(t, "timezone", False) is True


def is_json(t: T) -> bool:
    return isinstance(t, sqltypes.JSON)


def is_text(t: T) -> bool:
    return isinstance(t, sqltypes.String)


def col(info: TableInfo, name: str) -> ColumnInfo | None:
    return info.columns.get(name)


def col_is(info: TableInfo, name: str, pred: Any) -> bool:
    c = info.columns.get(name)
    return c is not None and bool(pred(c.type))


# --- type comparison for check-migrations: can a history column hold every value of its base column? ---

import enum as _enum  # noqa: E402


class Fit(_enum.Enum):
    """How a history column's type relates to its base column's type."""

    SAME = "same"          # equal, or spellings of the same type (text / varchar)
    WIDER = "wider"        # holds every base value, and more
    LOOSER = "looser"      # holds every value, with different semantics (json / jsonb, char / varchar)
    AS_TEXT = "as-text"    # keeps the values as text: writes work, reads must convert back
    TIMEZONE = "timezone"  # timestamps with and without time zone: values shift by the session offset
    UNKNOWN = "unknown"    # one of the types could not be reflected
    NARROWER = "narrower"  # some base values do not fit (or are rounded/truncated)
    OTHER = "other"        # a different kind of value altogether


_INT_DIGITS = {1: 3, 2: 5, 3: 7, 4: 10, 5: 19}


def _int_rank(t: T) -> int:
    name = type(t).__name__.upper()
    if isinstance(t, sqltypes.BigInteger) or name == "BIGINT":
        return 5
    if name == "TINYINT":
        return 1
    if name == "MEDIUMINT":
        return 3
    if isinstance(t, sqltypes.SmallInteger) or name == "SMALLINT":
        return 2
    return 4


def _float_rank(t: T) -> int:
    name = type(t).__name__.upper()
    if name in ("REAL", "FLOAT4"):
        return 1
    precision = getattr(t, "precision", None)
    if name == "FLOAT" and isinstance(precision, int) and precision <= 24:
        return 1
    return 2


def type_family(t: T) -> str:
    """A coarse value family: boolean, integer, float, numeric, enum, string, binary, datetime, ..."""
    if isinstance(t, sqltypes.NullType):
        return "unknown"
    if is_boolean(t):
        return "boolean"
    if isinstance(t, sqltypes.Integer):
        return "integer"
    if isinstance(t, sqltypes.Float):
        return "float"
    if isinstance(t, sqltypes.Numeric):
        return "numeric"
    if isinstance(t, sqltypes.Enum):
        return "enum"
    if isinstance(t, sqltypes.String):
        return "string"
    if isinstance(t, sqltypes._Binary):
        return "binary"
    checks: tuple[tuple[type[Any], str], ...] = (
        (sqltypes.DateTime, "datetime"), (sqltypes.Date, "date"), (sqltypes.Time, "time"),
        (sqltypes.Interval, "interval"), (sqltypes.JSON, "json"), (sqltypes.Uuid, "uuid"),
        (sqltypes.ARRAY, "array"))
    for cls, family in checks:
        if isinstance(t, cls):
            return family
    name = type(t).__name__.upper()
    return "interval" if name == "INTERVAL" else "other:" + name


def _length(t: T) -> int | None:
    value = getattr(t, "length", None)
    return value if isinstance(value, int) else None


def _is_char(t: T) -> bool:
    return type(t).__name__.upper() in ("CHAR", "NCHAR", "BPCHAR")


def _digits(t: T) -> tuple[int | None, int]:
    precision = getattr(t, "precision", None)
    scale = getattr(t, "scale", None) or 0
    return (precision if isinstance(precision, int) else None), scale


def _bounded(base_len: int | None, hist_len: int | None) -> Fit:
    if hist_len == base_len:
        return Fit.SAME
    if hist_len is None or (base_len is not None and hist_len > base_len):
        return Fit.WIDER
    return Fit.NARROWER


def _numeric_fit(base: T, hist: T) -> Fit:
    (pb, sb), (ph, sh) = _digits(base), _digits(hist)
    if ph is None:
        return Fit.SAME if pb is None else Fit.WIDER
    if pb is None:
        return Fit.NARROWER
    if ph - sh >= pb - sb and sh >= sb:
        return Fit.SAME if (ph, sh) == (pb, sb) else Fit.WIDER
    return Fit.NARROWER


def _same_family(family: str, base: T, hist: T) -> Fit:
    if family == "integer":
        rb, rh = _int_rank(base), _int_rank(hist)
        return Fit.SAME if rb == rh else (Fit.WIDER if rh > rb else Fit.NARROWER)
    if family == "float":
        rb, rh = _float_rank(base), _float_rank(hist)
        return Fit.SAME if rb == rh else (Fit.WIDER if rh > rb else Fit.NARROWER)
    if family == "numeric":
        return _numeric_fit(base, hist)
    if family == "enum":
        vb, vh = set(getattr(base, "enums", ())), set(getattr(hist, "enums", ()))
        return Fit.SAME if vb == vh else (Fit.WIDER if vh > vb else Fit.NARROWER)
    if family in ("string", "binary"):
        fit = _bounded(_length(base), _length(hist))
        if fit is Fit.SAME and _is_char(base) != _is_char(hist):
            return Fit.LOOSER
        return fit
    if family == "datetime":
        if has_timezone(base) != has_timezone(hist):
            return Fit.TIMEZONE
        pb, ph = (getattr(t, "precision", None) or getattr(t, "fsp", None) for t in (base, hist))
        if isinstance(pb, int) and isinstance(ph, int) and ph < pb:
            return Fit.NARROWER
        return Fit.SAME
    if family == "json":
        return Fit.SAME if type(base).__name__ == type(hist).__name__ else Fit.LOOSER
    if family.startswith("other:") and repr(base) != repr(hist):
        return Fit.UNKNOWN  # same kind of type, different parameters chrono cannot judge (bit(3) / bit(5))
    return Fit.SAME


_FITS: dict[tuple[Any, Any], tuple[Fit, str]] = {}
_BY_INSTANCE: dict[tuple[int, int], tuple[Any, Any, tuple[Fit, str]]] = {}


_LISTED: dict[type[Any], bool] = {}


def _unlisted(t: T) -> bool:
    """A type outside the families type_family knows (its signature may not capture what makes it differ)."""
    item = getattr(t, "item_type", None)
    if item is not None:
        return _unlisted(item)
    cls = type(t)
    if cls not in _LISTED:
        _LISTED[cls] = type_family(t).startswith("other:")
    return _LISTED[cls]


def _signature(t: T) -> Any:
    """What type_fit looks at, hashable: equal signatures always fit the same way."""
    item = getattr(t, "item_type", None)
    return (type(t), _length(t), getattr(t, "precision", None), getattr(t, "scale", None), has_timezone(t),
            getattr(t, "fsp", None), getattr(t, "display_width", None), tuple(getattr(t, "enums", ()) or ()),
            None if item is None else _signature(item))


def type_fit(base: T, hist: T) -> tuple[Fit, str]:
    """Whether a history column of type ``hist`` can keep every value of a base column of type ``base``.

    Returns the fit and a short reason (empty for SAME). Results are memoised by type signature: a schema
    repeats a handful of types thousands of times.
    """
    same = _BY_INSTANCE.get((id(base), id(hist)))
    if same is not None and same[0] is base and same[1] is hist:  # a snapshot shares one instance per type text
        return same[2]
    if _unlisted(base) or _unlisted(hist):  # types chrono knows nothing about: no memo, compare them whole
        return _type_fit(base, hist)
    try:
        key = (_signature(base), _signature(hist))
    except TypeError:  # an unhashable attribute: compare without the memo
        return _type_fit(base, hist)
    found = _FITS.get(key)
    if found is None:
        found = _type_fit(base, hist)
        if len(_FITS) < 4096:
            _FITS[key] = found
    if len(_BY_INSTANCE) < 4096:  # the instances are kept with the answer: their ids stay theirs
        _BY_INSTANCE[(id(base), id(hist))] = (base, hist, found)
    return found


def _type_fit(base: T, hist: T) -> tuple[Fit, str]:
    fb, fh = type_family(base), type_family(hist)
    if fb == "unknown" and fh == "unknown":
        return Fit.SAME, ""
    if "unknown" in (fb, fh):
        return Fit.UNKNOWN, "chrono could not reflect one of the types"
    if fb == fh == "array":
        fit, reason = type_fit(getattr(base, "item_type", sqltypes.NullType()),
                               getattr(hist, "item_type", sqltypes.NullType()))
        return fit, f"array elements: {reason}" if reason else ""
    if fb == fh:
        fit = _same_family(fb, base, hist)
        return fit, _REASONS.get((fb, fit), _REASONS.get(("*", fit), ""))
    if fh == "string":
        length = _length(hist)
        if fb == "enum":
            longest = max((len(v) for v in getattr(base, "enums", ())), default=0)
            return (Fit.WIDER, "enum values kept as strings") if length is None or length >= longest \
                else (Fit.NARROWER, "the longest enum value does not fit")
        if length is None:
            return Fit.AS_TEXT, "values are kept as text; reading them back needs a conversion"
        return Fit.OTHER, "values are kept as bounded text and may not fit"
    if fb == "integer" and fh == "numeric":
        precision, scale = _digits(hist)
        if precision is None or precision - scale >= _INT_DIGITS[_int_rank(base)]:
            return Fit.WIDER, "integers fit in the numeric column"
        return Fit.NARROWER, "the numeric column has too few digits for every integer"
    if fb == "integer" and fh == "float":
        if _float_rank(hist) == 2 and _int_rank(base) <= 4:
            return Fit.WIDER, "integers fit exactly in double precision"
        return Fit.NARROWER, "large integers lose precision as floats"
    if fb in ("numeric", "float") and fh in ("integer", "numeric", "float"):
        return Fit.NARROWER, "fractions or digits are rounded away"
    if fb == "date" and fh == "datetime":
        return Fit.WIDER, "dates fit in a timestamp"
    if fb == "datetime" and fh == "date":
        return Fit.NARROWER, "the time of day is lost"
    if fb == "string":
        return Fit.NARROWER, f"text does not fit {_a(fh)} column"
    return Fit.OTHER, f"{_a(fb)} value does not fit {_a(fh)} column"


def _a(word: str) -> str:
    word = word.removeprefix("other:").lower()
    return ("an " if word[:1] in "aeiou" else "a ") + word


_REASONS: dict[tuple[str, Fit], str] = {
    ("integer", Fit.NARROWER): "large values overflow the smaller integer",
    ("float", Fit.NARROWER): "values lose precision",
    ("numeric", Fit.NARROWER): "fewer digits: values are rounded or rejected",
    ("enum", Fit.NARROWER): "some base values are not allowed in history",
    ("string", Fit.NARROWER): "longer values are rejected or truncated",
    ("binary", Fit.NARROWER): "longer values are rejected or truncated",
    ("datetime", Fit.NARROWER): "fractional seconds are rounded",
    ("datetime", Fit.TIMEZONE): "one column has a time zone and the other not: values shift by the session offset",
    ("json", Fit.LOOSER): "json and jsonb differ in key order and duplicate keys",
    ("string", Fit.LOOSER): "fixed-width and variable-width text compare differently (padding)",
    ("*", Fit.WIDER): "history holds every base value",
    ("*", Fit.UNKNOWN): "chrono cannot tell whether every value fits",
}
