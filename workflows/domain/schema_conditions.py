"""A body's rules that tie one field to another, stated in its JSON Schema (OpenAPI 3.1 is JSON Schema 2020-12),
so a client generating requests from the OpenAPI document sends only what the validators beside them take.

Each model keeps its validator as the rule; `when` writes the same rule into the model's schema
(`model_config = ConfigDict(json_schema_extra=conditions(when(equals("reason", "other"), text=["note"])))`):
when a field holds a value, differs from it, or is missing, some fields must be given and others left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

# A string holding something besides white space: the models strip strings, so "  " is empty to them.
NOT_BLANK: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": "\\S"}
GIVEN: dict[str, Any] = {"not": {"type": "null"}}
LEFT_OUT: dict[str, Any] = {"type": "null"}


def equals(field: str, value: str | bool) -> dict[str, Any]:
    """The condition: `field` is given and holds `value`."""
    return {"properties": {field: {"const": value}}, "required": [field]}


def differs(field: str, value: str | bool) -> dict[str, Any]:
    """The condition: `field` is missing, null, or holds anything but `value`."""
    return {"not": equals(field, value)}


def missing(field: str) -> dict[str, Any]:
    """The condition: `field` is missing or null."""
    return {"anyOf": [{"not": {"required": [field]}}, {"properties": {field: LEFT_OUT}}]}


def when(
    condition: dict[str, Any], *, given: Iterable[str] = (), text: Iterable[str] = (), left_out: Iterable[str] = ()
) -> dict[str, Any]:
    """`if` the condition holds `then` each of `given` is there and not null, each of `text` is a non-blank
    string, and each of `left_out` is missing or null."""
    given, text, left_out = list(given), list(text), list(left_out)
    properties = {name: GIVEN for name in given} | {name: NOT_BLANK for name in text}
    properties |= {name: LEFT_OUT for name in left_out}
    return {"if": condition, "then": {"required": [*given, *text], "properties": properties}}


def conditions(*rules: dict[str, Any]) -> dict[str, Any]:
    """`json_schema_extra` holding every rule (`allOf`, so that each keeps its own `if`)."""
    return {"allOf": list(rules)}
