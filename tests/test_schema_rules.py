"""The OpenAPI document states the input rules the door enforces, so generated clients and the service agree."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from api.main import create_app
from api.schema_rules import DATE_PATTERN, LINE_PATTERN, TEXT_PATTERN
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
    loose = [where for where, schema in STRINGS if not {"pattern", "enum", "const"} & set(schema)]
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


def test_the_date_pattern_allows_exactly_the_calendar_years() -> None:
    compiled = re.compile(DATE_PATTERN)
    for year in range(1990, 2100):
        allowed = FIRST_CALENDAR_DAY.year <= year <= LAST_CALENDAR_DAY.year
        assert (compiled.match(f"{year}-06-01") is not None) is allowed, year
    dates = [schema for _, schema in STRINGS if schema.get("format") in ("date", "date-time")]
    assert dates and all(schema["pattern"] == DATE_PATTERN for schema in dates)
