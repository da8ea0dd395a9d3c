"""The OpenAPI document states the input rules the door enforces, so generated clients and the service agree."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import hypothesis
import jsonschema_rs
import pytest
from hypothesis import strategies as st
from pydantic import ValidationError

from api.http.examples import ALMEN_PLAN
from api.http.schema_rules import DATE_RULE, LINE_PATTERN, TEXT_PATTERN, date_fields
from api.main import create_app
from api.models.access_log import AccessLogSearch
from api.routes.kl_gateway import INSTANT as KL_INSTANT
from tests.support.application_factories import application_payload
from tests.support.schemathesis_declared import DECLARED, declared
from workflows.domain.applications.legal import LEGAL_REFERENCES
from workflows.domain.calendar import FIRST_CALENDAR_DAY, LAST_CALENDAR_DAY
from workflows.domain.cpr import CPR_SHAPE, InvalidCpr, check_cpr
from workflows.domain.inputs import (
    CALENDAR_DATE_PATTERN,
    CALENDAR_INSTANT_PATTERN,
    CONTROL_CHARACTERS,
    RULES_IN_FORCE_DATE_PATTERN,
)
from workflows.domain.plan.plan import FIRST_DISCHARGE_DATE

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


def _matches(pattern: str, text: str) -> bool:
    return re.search(pattern, text) is not None


def test_calendar_patterns_take_the_calendar_years_and_only_them() -> None:
    for year in range(10_000):
        inside = FIRST_CALENDAR_DAY.year <= year <= LAST_CALENDAR_DAY.year
        assert _matches(CALENDAR_DATE_PATTERN, f"{year:04d}-06-15") is inside, year
        assert _matches(CALENDAR_INSTANT_PATTERN, f"{year:04d}-06-15T12:00:00+02:00") is inside, year


@pytest.mark.parametrize(
    ("text", "taken"),
    [
        ("2070-12-31T23:30:00.123456789-05:00", True),  # the day as written, any fraction, any offset in a day
        ("2018-01-01t00:00:00z", True),
        ("2026-06-30T23:59:60Z", False),  # a leap second: RFC 3339 has it, pydantic (and so the door) not
        ("2026-06-30T12:00:00+24:00", False),
        ("2017-12-31T23:30:00-05:00", False),
    ],
)
def test_an_instant_is_in_the_calendar_by_the_day_it_is_written_with(text: str, taken: bool) -> None:
    assert _matches(CALENDAR_INSTANT_PATTERN, text) is taken
    if taken:
        assert AccessLogSearch.model_validate({"occurred_from": text}).occurred_from is not None
    else:
        with pytest.raises(ValidationError):
            AccessLogSearch.model_validate({"occurred_from": text})


def test_the_rules_in_force_pattern_takes_every_day_a_plan_or_an_application_may_carry() -> None:
    first = min(table.valid_from for table in LEGAL_REFERENCES)
    assert first == FIRST_DISCHARGE_DATE  # one pattern states both
    day = date(2017, 1, 1)
    while day <= date(2071, 12, 31):
        assert _matches(RULES_IN_FORCE_DATE_PATTERN, day.isoformat()) is (first <= day <= LAST_CALENDAR_DAY), day
        day += timedelta(days=1)


def test_the_cpr_pattern_takes_exactly_the_numbers_check_cpr_takes() -> None:
    for day, month, yy, digit7, hyphen in itertools.product(
        range(32), range(13), (0, 4, 1, 36, 37, 57, 58, 96), range(10), ("", "-")
    ):
        text = f"{day:02d}{month:02d}{yy:02d}{hyphen}{digit7}123"
        try:
            check_cpr(text)
            taken = True
        except InvalidCpr:
            taken = False
        assert _matches(CPR_SHAPE, text) is taken, text


def test_every_declared_refusal_is_stated_in_its_operation() -> None:
    rows = declared(OPENAPI)
    assert set(DECLARED) <= set(rows)  # no row names an operation the document lacks
    for label, fields in rows.items():
        method, path = label.split(" ", 1)
        description = OPENAPI["paths"][path][method.lower()]["description"]
        assert "**422**" in description, label
        for field in fields:
            bare = field.split(".", 1)[1] if field.split(".", 1)[0] in ("query", "header", "path") else field
            assert f"`{field}`" in description or f"`{bare}`" in description, (label, field)


def test_a_problem_names_request_parts_by_parameters_the_api_takes() -> None:
    described = COMPONENTS["FieldError"]["properties"]["field"]["description"]
    named = re.findall(r"`(header|query|path)\.([^`]+)`", described)
    assert {part for part, _ in named} == {"header", "query", "path"}
    taken = {
        (parameter["in"], parameter["name"].lower())
        for item in OPENAPI["paths"].values()
        for operation in item.values()
        for parameter in operation.get("parameters", [])
    }
    assert [(part, name) for part, name in named if (part, name.lower()) not in taken] == []


APPLICATION = application_payload(municipality_code="101", application_date=date(2026, 11, 2))
_CASE = "3f2b8c1e-6a4d-4e2f-9b7a-1c5d8e9f0a12"
_GRANT = {"outcome": "granted", "notified_on": "2026-11-20", "period_from": "2026-12-01", "period_to": "2027-03-01"}


@pytest.mark.parametrize(
    ("component", "body", "valid"),
    [
        ("ClosureRequest", {"reason": "active_opt_out", "opt_out_reason": "transport_logistics"}, True),
        ("ClosureRequest", {"reason": "active_opt_out"}, False),
        ("ClosureRequest", {"reason": "deceased"}, True),
        ("ClosureRequest", {"reason": "deceased", "opt_out_reason": "transport_logistics"}, False),
        ("FreeChoiceRequest", {"decision": "accept", "provider_id": "p", "provider_name": "P"}, True),
        ("FreeChoiceRequest", {"decision": "accept", "provider_id": "p"}, False),
        ("FreeChoiceRequest", {"decision": "accept", "provider_id": "p", "provider_name": "P", "note": "n"}, False),
        ("FreeChoiceRequest", {"decision": "decline", "note": "n"}, True),
        ("FreeChoiceRequest", {"decision": "decline", "provider_name": "P"}, False),
        ("HandOnRequest", {"to_team": "t", "reason": "r"}, True),
        ("HandOnRequest", {"to_caseworker": None, "reason": "r"}, False),
        ("BulkAssignmentRequest", {"case_ids": [_CASE], "team": "t"}, True),
        ("BulkAssignmentRequest", {"case_ids": [_CASE]}, False),
        ("BulkAssignmentRequest", {"case_ids": [_CASE, _CASE], "team": "t"}, False),
        ("DecisionTerms", _GRANT, True),
        ("DecisionTerms", {**_GRANT, "period_to": None}, False),
        ("DecisionTerms", {"outcome": "refused", "notified_on": "2026-11-20", "reason": "Ikke behov"}, True),
        ("DecisionTerms", {"outcome": "refused", "notified_on": "2026-11-20", "reason": " "}, False),
        ("DecisionTerms", {**_GRANT, "outcome": "refused", "reason": "Ikke behov"}, False),
        ("ReassessmentTerms", {"outcome": "changed", "decision": _GRANT}, True),
        ("ReassessmentTerms", {"outcome": "changed"}, False),
        ("ReassessmentTerms", {"outcome": "upheld", "decision": _GRANT}, False),
        ("ClosureTerms", {"reason": "other", "note": "Flyttet"}, True),
        ("ClosureTerms", {"reason": "other"}, False),
        ("ClosureTerms", {"reason": "deceased"}, True),
        ("RehabilitationPlan", ALMEN_PLAN, True),
        ("RehabilitationPlan", {**ALMEN_PLAN, "general_practitioner": None}, False),
        ("RehabilitationPlan", {**ALMEN_PLAN, "general_practitioner": None, "gp_copy_deselected": True}, True),
        ("RehabilitationPlan", {**ALMEN_PLAN, "discharge_date": "2018-06-30"}, False),
        ("Application", APPLICATION, True),
        ("Application", {**APPLICATION, "application_date": "2018-06-30"}, False),
    ],
)
def test_fields_that_go_together_are_stated_in_the_schema(component: str, body: dict[str, Any], valid: bool) -> None:
    """The `if`/`then` (workflows.domain.schema_conditions) and patterns say what the door or the route refuses."""
    schema = {"$ref": f"#/components/schemas/{component}", "components": OPENAPI["components"]}
    assert jsonschema_rs.validator_for(schema, validate_formats=True).is_valid(body) is valid


_DATE_TIME = jsonschema_rs.validator_for({"type": "string", "format": "date-time"}, validate_formats=True)


@hypothesis.given(st.from_regex(KL_INSTANT, fullmatch=True).filter(_DATE_TIME.is_valid))
@hypothesis.settings(max_examples=300, derandomize=True, database=None)
def test_what_the_kl_report_s_instant_pattern_and_format_take_is_an_instant(text: str) -> None:
    datetime.fromisoformat(text)  # no "is no date and time that exists" for a value the schema takes
