"""PaperTrail's YAML (``YAML.dump`` of an attribute Hash, as Ruby's Psych 4 writes it), read and written in Python.

Reading never executes a tag: a ``yaml.SafeLoader`` subclass knows the Ruby tags PaperTrail's values carry
(``!ruby/object:BigDecimal 18:0.123e2`` -> Decimal, ``ActiveSupport::TimeWithZone`` -> its ``utc`` instant,
``ActiveSupport::TimeZone``, ``!ruby/hash``...) and reads any other ``!ruby/`` tag as plain data.

Writing emits the events Psych's ``YAMLTree`` would emit (its string-style rules, BigDecimal ``_dump``, times
with nine fraction digits, TimeWithZone mappings whose zone is anchored once and aliased after) through PyYAML's
emitter, a port of the libyaml emitter Psych uses, with libyaml's notion of printable characters (characters
beyond the basic plane are escaped in double quotes).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import yaml
from yaml import events as ev

from chrono_cli.records import Struct

TWZ = "!ruby/object:ActiveSupport::TimeWithZone"
ZONE = "!ruby/object:ActiveSupport::TimeZone"
BIGDECIMAL = "!ruby/object:BigDecimal"


if TYPE_CHECKING or yaml.__with_libyaml__:
    _Loader = yaml.CSafeLoader  # libyaml, the parser Psych itself uses: several times faster than PyYAML's port
else:
    _Loader = yaml.SafeLoader


class RubyLoader(_Loader):
    """SafeLoader plus the Ruby tags PaperTrail's YAML carries, read as data (parsed by libyaml where PyYAML was
    built with it, else by PyYAML's own port of it)."""


def _bigdecimal(loader: RubyLoader, node: yaml.Node) -> Decimal:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    return Decimal(text.split(":", 1)[-1])


def _time_with_zone(loader: RubyLoader, node: yaml.Node) -> Any:
    fields = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
    utc = fields.get("utc")
    if isinstance(utc, datetime):
        return utc if utc.tzinfo else utc.replace(tzinfo=UTC)
    return utc


def _ruby_data(loader: RubyLoader, suffix: str, node: yaml.Node) -> Any:
    """Any other Ruby object: its data as stored (a mapping, a sequence or a scalar), never instantiated."""
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


RubyLoader.add_constructor(BIGDECIMAL, _bigdecimal)
RubyLoader.add_constructor(TWZ, _time_with_zone)
RubyLoader.add_multi_constructor("!ruby/", _ruby_data)
RubyLoader.add_multi_constructor("!binary", lambda loader, _s, node: loader.construct_yaml_binary(node))


def load(text: str) -> Any:
    """A PaperTrail YAML document as Python data (no tag is executed)."""
    return yaml.load(text, Loader=RubyLoader)  # noqa: S506 - RubyLoader is a SafeLoader


# --- writing ------------------------------------------------------------------------------------------------


class Style(Struct, frozen=True):
    """How the store's existing YAML spells times: TimeWithZone mappings (Rails' default) and their zone name."""

    time_with_zone: bool = True
    zone: str = "Etc/UTC"


def learn_style(samples: list[str]) -> Style:
    """The time style existing ``object`` texts use (Rails' default when there are none)."""
    for text in samples:
        if TWZ in text:
            found = re.search(r"ActiveSupport::TimeZone\s*\n\s*name: (\S+)", text)
            return Style(True, found.group(1) if found else "Etc/UTC")
        if re.search(r"^\S+: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} ", text, re.M):
            return Style(False)
    return Style()


def _word_start(text: str) -> bool:
    return bool(text) and (text[0].isalnum() or text[0] == "_")


_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_,]*)$|^[-+]?0b[01_]+$|^[-+]?0[0-7_,]+$|^[-+]?0x[0-9a-fA-F_,]+$")
_FLOAT = re.compile(r"^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$")
_TIME = re.compile(r"^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?"
                   r"(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$")
_DATE = re.compile(r"^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9]){1,2}(\.[0-9_]*)?$")


def _tokenizes_as_string(text: str) -> bool:
    """Whether Psych's ScalarScanner reads ``text`` back as a String (else Psych quotes it)."""
    if text == "":
        return False
    if re.match(r"^[^\d.:-]?[^\W\d_]*[A-Za-z_\s!@#$%^&*(){}<>|/\\~;=]+", text) or "\n" in text:
        if len(text) > 5 or re.match(r"^[^ytonf~]", text, re.I):
            return True
        return not (text == "~" or re.fullmatch(r"null|yes|true|on|no|false|off", text, re.I))
    if _TIME.match(text) or _DATE.match(text) or re.fullmatch(r"[-+]?\.inf|\.nan", text, re.I):
        return False
    if text.startswith(":") and len(text) > 1:
        return False  # a Symbol
    if _SEXAGESIMAL.match(text) or _FLOAT.match(text) or _INT.match(text):
        return False
    return True


def string_style(text: str) -> tuple[str | None, tuple[bool, bool]]:
    """Psych's YAMLTree choice for a String: the scalar style and implicit flags it asks the emitter for."""
    if re.search(r"\n(?!\Z)", text):
        return "|", (True, True)
    if text in ("y", "n"):
        return '"', (True, True)
    if text and not _word_start(text) and '"' not in text and "\n" not in text[:-1]:
        return '"', (True, True)
    if not _tokenizes_as_string(text) or re.match(r"\A0[0-7]*[89]", text):
        return "'", (True, True)
    return None, (True, True)


class PsychEmitter(yaml.emitter.Emitter):
    """PyYAML's port of the libyaml emitter, with libyaml's printable set (nothing beyond U+FFFF, no NEL)."""

    def choose_scalar_style(self) -> str:
        event: Any = self.event
        tag = getattr(event, "tag", None)
        if tag and tag.startswith("!ruby/") and not event.style:  # Psych: a tagged plain scalar
            if self.analysis is None:
                self.analysis = self.analyze_scalar(event.value)
            if self.analysis.allow_block_plain and not self.analysis.empty:
                return ""
        style: str = super().choose_scalar_style()
        return style

    def analyze_scalar(self, scalar: str) -> Any:
        analysis = super().analyze_scalar(scalar)
        if any(ord(ch) > 0xFFFF or ch == "\x85" for ch in scalar):
            analysis.allow_flow_plain = analysis.allow_block_plain = False
            analysis.allow_single_quoted = analysis.allow_block = False
        return analysis


def _time_text(moment: datetime) -> str:
    utc = moment.astimezone(UTC) if moment.tzinfo else moment
    return utc.strftime("%Y-%m-%d %H:%M:%S.") + f"{utc.microsecond:06d}000 Z"


def bigdecimal_dump(value: Decimal) -> str:
    """Ruby's ``BigDecimal#_dump`` of a decimal ActiveRecord read (and rounded to the column's scale):
    ``<allocated digits>:<to_s>``, one 9-digit word per started word of the integer and fraction parts, plus
    one; the scale is not kept (``12.30`` -> ``27:0.123e2``)."""
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):
        return "18:0.0"
    plain = format(abs(value), "f")
    whole, _, fraction = plain.partition(".")
    whole, fraction = whole.lstrip("0"), fraction.rstrip("0")
    if not whole and not fraction:
        return "18:-0.0" if sign else "18:0.0"
    words = -(-len(whole) // 9) + -(-len(fraction) // 9) + 1
    text = (whole + fraction).lstrip("0")
    magnitude = len(whole) if whole else -(len(fraction) - len(fraction.lstrip("0")))
    return f"{9 * words}:{'-' if sign else ''}0.{text.rstrip('0')}e{magnitude}"


class _Events:
    """The event stream of one document, the zone anchored once and aliased after (Psych's register)."""

    def __init__(self, style: Style) -> None:
        self.style = style
        self.events: list[ev.Event] = [ev.StreamStartEvent(), ev.DocumentStartEvent(explicit=True)]
        self.zone_written = False

    def scalar(self, value: str, tag: str | None = None, style: str | None = None,
               implicit: tuple[bool, bool] = (True, False)) -> None:
        self.events.append(ev.ScalarEvent(None, tag, implicit, value, style=style))

    def value(self, value: Any) -> None:
        if value is None:
            self.scalar("")
        elif isinstance(value, bool):
            self.scalar("true" if value else "false")
        elif isinstance(value, int):
            self.scalar(str(value))
        elif isinstance(value, Decimal):
            self.scalar(bigdecimal_dump(value), BIGDECIMAL, implicit=(False, False))
        elif isinstance(value, float):
            self.scalar(_float_text(value))
        elif isinstance(value, datetime):
            self.time(value)
        elif isinstance(value, date):
            self.scalar(value.isoformat())
        elif isinstance(value, Mapping):
            self.mapping(value)
        elif isinstance(value, list | tuple):
            self.events.append(ev.SequenceStartEvent(None, None, True, flow_style=False))
            for item in value:
                self.value(item)
            self.events.append(ev.SequenceEndEvent())
        else:
            text = str(value)
            if text == "<<":  # a merge key otherwise: Psych tags it
                self.scalar(text, "tag:yaml.org,2002:str", "'", (False, False))
                return
            style, implicit = string_style(text)
            self.scalar(text, style=style, implicit=implicit)

    def time(self, moment: datetime) -> None:
        text = _time_text(moment)
        if not self.style.time_with_zone:
            self.scalar(text)
            return
        self.events.append(ev.MappingStartEvent(None, TWZ, False, flow_style=False))
        self.scalar("utc")
        self.scalar(text)
        self.scalar("zone")
        if self.zone_written:
            self.events.append(ev.AliasEvent("1"))
        else:
            self.zone_written = True
            self.events.append(ev.MappingStartEvent("1", ZONE, False, flow_style=False))
            self.scalar("name")
            self.value(self.style.zone)
            self.events.append(ev.MappingEndEvent())
        self.scalar("time")
        self.scalar(text)
        self.events.append(ev.MappingEndEvent())

    def mapping(self, values: Mapping[str, Any]) -> None:
        self.events.append(ev.MappingStartEvent(None, None, True, flow_style=False))
        for key, value in values.items():
            self.value(str(key))
            self.value(value)
        self.events.append(ev.MappingEndEvent())


def _float_text(value: float) -> str:
    if value != value:
        return ".nan"
    if value in (float("inf"), float("-inf")):
        return ".inf" if value > 0 else "-.inf"
    return repr(value)


def dump(values: Mapping[str, Any], style: Style = Style()) -> str:  # noqa: B008 - a frozen value
    """``values`` as Psych's ``YAML.dump`` writes an attribute Hash."""
    out = _Events(style)
    out.mapping(values)
    out.events += [ev.DocumentEndEvent(explicit=False), ev.StreamEndEvent()]

    stream = io.StringIO()
    emitter = PsychEmitter(stream, allow_unicode=True, width=80)
    for event in out.events:
        emitter.emit(event)
    text = stream.getvalue()
    return text
