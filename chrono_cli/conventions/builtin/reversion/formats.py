"""Django's serializer formats as django-reversion stores them in ``serialized_data`` (``format`` = json, xml, yaml).

Each is a one-object list ``{"model", "pk", "fields"}``; what differs is how values are written [V: Django 5.2]:

* json (default): DjangoJSONEncoder on the in-memory values: decimals as strings, datetimes ISO cut to
  milliseconds (``Z`` for UTC), JSON fields nested;
* xml: ``<django-objects version="1.0"><object model=".." pk=".."><field name=".." type="CharField">text</field>``
  (foreign keys ``rel="ManyToOneRel" to="app.model"``, many-to-many a list of ``<object pk=".."/>``); every value
  is text (``field.value_to_string``: datetimes ISO with microseconds and the offset, booleans ``True``/``False``,
  JSON fields as ``json.dumps`` text), NULL is ``<None></None>``. Read without a DTD (a document declaring one
  is refused: no entity is ever expanded);
* yaml: PyYAML ``SafeDumper`` output (``allow_unicode``, key order kept): datetimes as YAML timestamps with
  microseconds and the offset, decimals as quoted strings, JSON fields nested; read with ``yaml.safe_load``.

A value is handed back in the form the json reading gives (text or native), and column decoding does the rest;
xml booleans are turned into booleans here (``decode`` would read the text "False" as true).
"""

from __future__ import annotations

import json
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import yaml

from chrono_cli.conventions.rows import zone

FORMATS = ("json", "xml", "yaml")
XML_ATTRS = "xml_attrs"  # a parsed xml document's field attributes (type / rel, to), kept to write the same form


class UnknownFormat(ValueError):
    """A ``format`` chrono does not read."""


def parse(raw: Any, fmt: str) -> dict[str, Any]:
    """The one object of a version's ``serialized_data`` in ``fmt``, or {} when it holds none."""
    if fmt not in FORMATS:
        raise UnknownFormat(f"serialized in {fmt!r}; chrono reads {', '.join(FORMATS)}")
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    try:
        if fmt == "xml":
            return _parse_xml(raw) if isinstance(raw, str) else {}
        doc = yaml.safe_load(raw) if fmt == "yaml" else json.loads(raw) if isinstance(raw, str) else raw
    except (ValueError, yaml.YAMLError, ElementTree.ParseError):
        return {}
    if isinstance(doc, list) and len(doc) == 1 and isinstance(doc[0], dict):
        return doc[0]
    return {}


def _parse_xml(text: str) -> dict[str, Any]:
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        return {}  # Django writes no DTD; a declared entity is never expanded
    root = ElementTree.fromstring(text)
    objects = root.findall("object")
    if root.tag != "django-objects" or len(objects) != 1:
        return {}
    obj = objects[0]
    fields: dict[str, Any] = {}
    attrs: dict[str, dict[str, str]] = {}
    for f in obj.findall("field"):
        name = f.get("name")
        if name is None:
            continue
        attrs[name] = {k: v for k, v in f.attrib.items() if k != "name"}
        if f.find("None") is not None:
            fields[name] = None
        elif f.get("rel") == "ManyToManyRel":
            fields[name] = [o.get("pk") for o in f.findall("object")]
        elif f.get("type") == "BooleanField":
            fields[name] = (f.text or "") == "True"
        else:
            fields[name] = f.text or ""
    return {"model": obj.get("model"), "pk": obj.get("pk"), "fields": fields, XML_ATTRS: attrs}


def encode(value: Any, tz: str | None, fmt: str = "json", json_field: bool = False) -> Any:
    """A column value as ``fmt`` serializes it (naive timestamps read in ``tz``, UTC by default)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=zone(tz)).astimezone(UTC)
        if fmt == "yaml":
            return aware
        if fmt == "xml":
            return aware.isoformat()
        text = aware.isoformat()
        if aware.microsecond:
            text = text[:23] + text[26:]
        return text[:-6] + "Z" if text.endswith("+00:00") else text
    if isinstance(value, time):
        text = value.isoformat()
        return text[:12] if value.microsecond and fmt == "json" else text
    if isinstance(value, date):
        return value if fmt == "yaml" else value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if fmt == "xml":
        if value is None or isinstance(value, bool):
            return value
        return json.dumps(value) if json_field or isinstance(value, dict | list) else str(value)
    return value


class _Dumper(yaml.SafeDumper):
    """Django's ``DjangoSafeDumper``: decimals as strings."""


_Dumper.add_representer(Decimal, lambda d, v: d.represent_str(str(v)))


def dump(doc: Mapping[str, Any], fmt: str, template: Mapping[str, Any]) -> str:
    """``serialized_data`` holding ``doc`` (model, pk, fields) in ``fmt``; ``template``: a stored document of the
    record (the xml field attributes)."""
    one = {"model": doc["model"], "pk": doc["pk"], "fields": doc["fields"]}
    if fmt == "yaml":
        return str(yaml.dump([one], Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False))
    if fmt == "xml":
        return _dump_xml(one, template.get(XML_ATTRS) or {})
    return json.dumps([one], ensure_ascii=False)


def _dump_xml(doc: Mapping[str, Any], attrs: Mapping[str, Mapping[str, str]]) -> str:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>\n<django-objects version="1.0">',
        f"<object model={quoteattr(str(doc['model']))} pk={quoteattr(str(doc['pk']))}>",
    ]
    for name, value in doc["fields"].items():
        extra = "".join(f" {k}={quoteattr(v)}" for k, v in (attrs.get(name) or {}).items())
        head = f"<field name={quoteattr(name)}{extra}>"
        if value is None:
            parts.append(f"{head}<None></None></field>")
        elif isinstance(value, list):
            parts.append(head + "".join(f"<object pk={quoteattr(str(v))}></object>" for v in value) + "</field>")
        elif isinstance(value, bool):
            parts.append(f"{head}{value}</field>")
        else:
            parts.append(f"{head}{escape(str(value))}</field>")
    parts.append("</object></django-objects>")
    return "".join(parts)
