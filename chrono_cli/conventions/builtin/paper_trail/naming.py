"""Rails' naming: the table ActiveRecord gives a model class (``AppUser`` -> ``app_users``).

``tableize`` follows ActiveSupport's default inflections (``demodulize.underscore.pluralize``): the regular English
plural rules, the irregular words and the uncountable ones. ``item_type`` holds the base class of single-table
inheritance, so the base class's table is the table. An application's own inflections or ``self.table_name``
are declared in chrono.toml with ``[tables.<table>] model = "ClassName"``.
"""

from __future__ import annotations

import re

# ActiveSupport 6.1 lib/active_support/inflections.rb: plural rules, the last added is tried first
_PLURALS: list[tuple[str, str]] = [
    (r"$", "s"), (r"s$", "s"), (r"^(ax|test)is$", r"\1es"), (r"(octop|vir)us$", r"\1i"), (r"(octop|vir)i$", r"\1i"),
    (r"(alias|status)$", r"\1es"), (r"(bu)s$", r"\1ses"), (r"(buffal|tomat)o$", r"\1oes"),
    (r"([ti])um$", r"\1a"), (r"([ti])a$", r"\1a"), (r"sis$", "ses"), (r"(?:([^f])fe|([lr])f)$", r"\1\2ves"),
    (r"(hive)$", r"\1s"), (r"([^aeiouy]|qu)y$", r"\1ies"), (r"(x|ch|ss|sh)$", r"\1es"),
    (r"(matr|vert|ind)(?:ix|ex)$", r"\1ices"), (r"^(m|l)ouse$", r"\1ice"), (r"^(m|l)ice$", r"\1ice"),
    (r"^(ox)$", r"\1en"), (r"^(oxen)$", r"\1"), (r"(quiz)$", r"\1zes"),
]
_IRREGULAR = {"person": "people", "man": "men", "child": "children", "sex": "sexes", "move": "moves",
              "zombie": "zombies"}
_UNCOUNTABLE = {"equipment", "information", "rice", "money", "species", "series", "fish", "sheep", "jeans",
                "police"}


def pluralize(word: str) -> str:
    """ActiveSupport's ``String#pluralize`` with the default inflections."""
    last = re.split(r"[_\W]", word)[-1].lower()
    if not word or last in _UNCOUNTABLE:
        return word
    for singular, plural in _IRREGULAR.items():
        if last in (singular, plural):
            return word[:len(word) - len(last) + 1] + plural[1:]
    for pattern, replacement in reversed(_PLURALS):
        if re.search(pattern, word, re.I):
            return re.sub(pattern, replacement, word, count=1, flags=re.I)
    return word


def underscore(name: str) -> str:
    """ActiveSupport's ``String#underscore`` (``::`` becomes ``/``)."""
    word = name.replace("::", "/")
    word = re.sub(r"([A-Z\d]+)([A-Z][a-z])", r"\1_\2", word)
    word = re.sub(r"([a-z\d])([A-Z])", r"\1_\2", word)
    return word.replace("-", "_").lower()


def tableize(class_name: str) -> str:
    """The table ActiveRecord gives ``class_name`` by default (namespaces dropped, as ``demodulize`` does)."""
    return pluralize(underscore(class_name.rsplit("::", 1)[-1]))
