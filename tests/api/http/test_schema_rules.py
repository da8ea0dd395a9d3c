"""The OpenAPI document states the input rules the door enforces, so generated clients and the service agree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.http.schema_rules import DATE_RULE, LINE_PATTERN, TEXT_PATTERN, date_fields
from api.main import create_app
from workflows.domain.calendar import FIRST_CALENDAR_DAY, LAST_CALENDAR_DAY
from workflows.domain.inputs import CONTROL_CHARACTERS

OPENAPI = create_app().openapi()
COMPONENTS = OPENAPI["components"]["schemas"]


def _strings(schema: dict[str, Any], where: str, seen: set[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    ref = schema.get("$ref")
    if ref is not None:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from _strings(COMPONENTS[name], name, seen)
        return
    if schema.get("type") == "string":
        yield where, schema
    for key, child in schema.get("properties", {}).items():
        yield from _strings(child, f"{where}.{key}", seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            yield from _strings(schema[key], f"{where}[]", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            yield from _strings(child, where, seen)


def _request_strings() -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in OPENAPI["paths"].items():
        for method, operation in item.items():
            if "codec" in operation.get("tags", []):
                continue  # base64 payloads for the Temporal UI, never stored
            for media in operation.get("requestBody", {}).get("content", {}).values():
                yield from _strings(media["schema"], f"{method.upper()} {path}", set())


STRINGS = list(_request_strings())


def test_every_string_a_request_body_takes_states_its_rule() -> None:
    assert len(STRINGS) > 50  # the walk reached the bodies
    loose = [where for where, schema in STRINGS if not {"pattern", "enum", "const", "format"} & set(schema)]
    assert loose == []


@pytest.mark.parametrize("pattern", [TEXT_PATTERN, LINE_PATTERN])
def test_text_patterns_refuse_what_the_door_refuses(pattern: str) -> None:
    compiled = re.compile(pattern)
    for code in range(0x00, 0xA0):
        text = f"a{chr(code)}b"
        if CONTROL_CHARACTERS.search(text):
            assert compiled.match(text) is None, hex(code)
        elif pattern == TEXT_PATTERN or code >= 0x20:
            assert compiled.match(text) is not None, hex(code)


def test_every_date_a_body_takes_is_named_with_the_calendar_span_in_its_operation() -> None:
    named = 0
    for item in OPENAPI["paths"].values():
        for operation in item.values():
            for media in operation.get("requestBody", {}).get("content", {}).values():
                for field in date_fields(media["schema"], COMPONENTS):
                    assert f"`{field}`" in operation["description"], (operation["operationId"], field)
                    assert DATE_RULE in operation["description"]
                    named += 1
    assert named > 15  # plans, contacts, appointments, applications and their decisions
    assert str(FIRST_CALENDAR_DAY) in DATE_RULE and str(LAST_CALENDAR_DAY) in DATE_RULE
