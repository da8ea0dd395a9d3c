"""Every door refuses bad input with a 422 naming the field: control characters in text, dates outside the
calendar, and booleans that are not JSON true/false.

The fields are found by walking the OpenAPI document, so a body or field added later is covered without a
change here. Each case poisons one field of an otherwise valid body and expects that field, and only it, in
the problem's `errors`.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import AsyncIterator, Iterator
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from pydantic import TypeAdapter, ValidationError
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.http.examples import ALMEN_PLAN
from api.main import create_app
from api.models.request_body import ApplicationBody, ClosureBody, DecisionBody, PlanBody, ReassessmentBody
from tests.support.api_helpers import CASEWORKER, PROBLEM_JSON, Api, danish_today, fresh_plan, post_plan
from tests.support.application_api_helpers import post_application, running_application_api
from tests.support.application_factories import application_payload
from workflows.domain.calendar import FIRST_CALENDAR_DAY, LAST_CALENDAR_DAY

Path = tuple[str | int, ...]

# Bodies whose schema carries no example.
_BASE_BODIES: dict[str, dict[str, Any]] = {
    "GpReplyBody": {},
    "ForwardingBody": {"forwarded_on": "2026-12-20"},
    "DecisionTerms": {
        "outcome": "granted",
        "notified_on": "2026-11-20",
        "period_from": "2026-12-01",
        "period_to": "2027-02-28",
    },
    "ReassessmentTerms": {"outcome": "upheld"},
    "ClosureTerms": {"reason": "withdrawn_by_citizen"},
}
# The codec's bodies are base64 payloads for the Temporal UI, decoded and never stored.
_NOT_STORED = {"decodePayloads", "encodePayloads"}


def _openapi() -> dict[str, Any]:
    return create_app().openapi()


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _leaves(doc: dict[str, Any], schema: dict[str, Any], path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every scalar field of a body: its path and its schema (a nullable field's non-null branch)."""
    schema = _resolve(doc, schema)
    branches = [_resolve(doc, branch) for branch in schema.get("anyOf", [])]
    branches = [branch for branch in branches if branch.get("type") != "null"]
    if branches:
        # A decimal is a number or a string: the string branch is the one text can poison.
        schema = next((branch for branch in branches if branch.get("type") == "string"), branches[0])
    if schema.get("type") == "object" or "properties" in schema:
        for name, child in schema.get("properties", {}).items():
            yield from _leaves(doc, child, (*path, name))
    elif schema.get("type") == "array":
        yield from _leaves(doc, schema["items"], (*path, 0))
    else:
        yield path, schema


def _operations() -> Iterator[tuple[str, str, str, str, dict[str, Any], list[tuple[Path, dict[str, Any]]]]]:
    doc = _openapi()
    for url, methods in doc["paths"].items():
        for method, operation in methods.items():
            content = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if content is None or operation["operationId"] in _NOT_STORED:
                continue
            name = content["schema"]["$ref"].rsplit("/", 1)[-1]
            schema = _resolve(doc, content["schema"])
            if "examples" in content:
                base = next(iter(content["examples"].values()))["value"]
            elif "examples" in schema:
                base = schema["examples"][0]
            else:
                base = _BASE_BODIES[name]
            yield operation["operationId"], method, url, name, base, list(_leaves(doc, content["schema"], ()))


OPERATIONS = list(_operations())


# Optional objects the examples leave out whose other fields are required: the poisoned field must be the only
# thing wrong (a date is checked after the body parses).
_OPTIONAL_OBJECTS: dict[str, Any] = {
    "medcom_letter": {"letter_id": "L1", "version_code": "GGOP100", "authorised_on": "2026-11-16"},
}


def _poisoned(body: dict[str, Any], path: Path, value: Any) -> dict[str, Any]:
    poisoned = copy.deepcopy(body)
    target: Any = poisoned
    for part, following in itertools.pairwise(path):
        # An optional object or list the example leaves out (previous_plan, relatives): the poisoned field
        # alone is refused first.
        empty: Any = [] if isinstance(following, int) else copy.deepcopy(_OPTIONAL_OBJECTS.get(str(part), {}))
        if isinstance(part, str):
            target = target.setdefault(part, empty)
        else:
            while len(target) <= part:
                target.append(empty)
            target = target[part]
    if isinstance(target, list) and isinstance(path[-1], int) and path[-1] < len(target):
        target[path[-1]] = value  # a list of strings the example fills (case ids): poison its item
    elif isinstance(target, list):
        target.append(value)
    else:
        target[path[-1]] = value
    return poisoned


def _cases(kind: str, values: tuple[Any, ...], select: Any) -> Iterator[Any]:
    for operation_id, method, url, _, base, leaves in OPERATIONS:
        for path, schema in leaves:
            if not select(schema):
                continue
            field = ".".join(str(part) for part in path)
            for value in values:
                body = _poisoned(base, path, value(base, path) if callable(value) else value)
                yield pytest.param(method, url, body, field, id=f"{operation_id}:{field}:{kind}:{value!r}")


def _text_value(character: str) -> str:
    return f"ok{character}ok"


def _is_string(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "string"


def _is_date(schema: dict[str, Any]) -> bool:
    return _is_string(schema) and schema.get("format") in ("date", "date-time")


def _is_bool(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "boolean"


_APPLICATION = {
    "citizen": {"cpr": "250947-9989", "name": "Testa Testesen"},
    "municipality_code": "101",
    "legal_basis": "stk1",
    "covered_by_aeldreloven": True,
    "application_date": "2026-11-16",
    "description_of_need": "Nedsat gangfunktion.",
}
_BEFORE = (FIRST_CALENDAR_DAY - timedelta(days=1)).isoformat()
_AFTER = (LAST_CALENDAR_DAY + timedelta(days=1)).isoformat()


# A real case and application to address: a command on one that does not exist (or that the caller may not
# see) is 404 before its body is read.
_TARGETS: dict[str, str] = {"code": "101", "hold": "complaint", "team_id": "visitation", "subject": "local-caseworker"}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_application_api(dev_server_env, pool) as running:
        case = await post_plan(running.http, fresh_plan(home_municipality_code="101"))
        application = await post_application(
            running.http, application_payload(application_date=danish_today(), municipality_code="101")
        )
        assert case.status_code == 201 and application.status_code == 201, (case.text, application.text)
        _TARGETS["case_id"] = case.json()["case_id"]
        _TARGETS["application_id"] = application.json()["application_id"]
        yield running


async def _refused(api: Api, method: str, url: str, body: dict[str, Any], field: str) -> None:
    url = url.format(**_TARGETS)
    response = await api.http.request(method.upper(), url, json=body, headers={"X-Actor": CASEWORKER})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    list(_cases("nul", (_text_value("\x00"),), _is_string)),
)
async def test_nul_in_any_text_field_is_refused_naming_the_field(
    api: Api, method: str, url: str, body: dict[str, Any], field: str
) -> None:
    await _refused(api, method, url, body, field)


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    list(_cases("control", (_text_value("\x01"), _text_value("\x1b"), _text_value("\x7f")), _is_string)),
)
async def test_other_control_characters_are_refused_naming_the_field(
    api: Api, method: str, url: str, body: dict[str, Any], field: str
) -> None:
    await _refused(api, method, url, body, field)


@pytest.mark.parametrize(("method", "url", "body", "field"), list(_cases("date", (_BEFORE, _AFTER), _is_date)))
async def test_dates_outside_the_calendar_are_refused_naming_the_field(
    api: Api, method: str, url: str, body: dict[str, Any], field: str
) -> None:
    await _refused(api, method, url, body, field)


@pytest.mark.parametrize(("method", "url", "body", "field"), list(_cases("bool", (0, 1, "true"), _is_bool)))
async def test_booleans_are_json_true_or_false_only(
    api: Api, method: str, url: str, body: dict[str, Any], field: str
) -> None:
    await _refused(api, method, url, body, field)


async def test_plan_door_refuses_other_control_characters_and_late_dates(api: Api) -> None:
    await _refused(api, "post", "/plans", {**ALMEN_PLAN, "training_need": "ok\x01ok"}, "training_need")
    await _refused(api, "post", "/plans", {**ALMEN_PLAN, "discharge_date": _AFTER}, "discharge_date")


@pytest.mark.parametrize(
    ("door", "body", "field"),
    [
        (PlanBody, {**ALMEN_PLAN, "training_need": "ok\x1bok"}, "training_need"),
        (PlanBody, {**ALMEN_PLAN, "patient": {"cpr": "2509479989", "name": "ok\x7fok"}}, "patient.name"),
        (PlanBody, {**ALMEN_PLAN, "start_date_for_health_reasons": _AFTER}, "start_date_for_health_reasons"),
        (ApplicationBody, {**_APPLICATION, "description_of_need": "ok\x01ok"}, "description_of_need"),
        (ApplicationBody, {**_APPLICATION, "application_date": _BEFORE}, "application_date"),
        (DecisionBody, {**_BASE_BODIES["DecisionTerms"], "period_to": _AFTER}, "period_to"),
        (ReassessmentBody, {"outcome": "upheld", "note": "ok\x01ok"}, "note"),
        (ClosureBody, {"reason": "other", "note": "ok\x0bok"}, "note"),
    ],
)
def test_door_types_for_domain_bodies_apply_every_rule(door: Any, body: dict[str, Any], field: str) -> None:
    """The door types hold every rule themselves, apart from the routes that take them."""
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(door).validate_python(body)
    assert [".".join(map(str, error["loc"])) for error in refused.value.errors()] == [field]


def test_a_number_in_another_field_is_no_date_outside_the_calendar() -> None:
    """A plan refused for its own rules is searched for dates outside the calendar, to name the field holding one;
    an all-digit SOR id (`20710101` reads as a compact ISO date) is no date, and must not hide the real refusal."""
    plan = {**ALMEN_PLAN, "sending_hospital_sor_id": "20710101", "general_practitioner": None}
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(PlanBody).validate_python(plan)
    assert [".".join(map(str, error["loc"])) for error in refused.value.errors()] == ["general_practitioner"]


def test_every_kind_of_field_is_found() -> None:
    """Guards the walk: if it found no strings, dates or booleans, the tests above would prove nothing."""
    leaves = {
        (operation_id, ".".join(map(str, path))): schema for operation_id, *_, ls in OPERATIONS for path, schema in ls
    }
    assert _is_string(leaves["receivePlan", "patient.name"])
    assert _is_string(leaves["receivePlan", "diagnoses.0.text"])
    assert _is_date(leaves["recordContact", "contacted_at"])
    assert _is_bool(leaves["receivePlan", "contents.needs_aids"])
    assert _is_string(leaves["assignTeam", "team"])
    assert len(OPERATIONS) >= 29


async def test_a_plan_discharged_before_the_rules_began_is_refused_not_a_500(api: Api) -> None:
    for discharge_date in ("2017-12-31", "2018-06-30"):
        await _refused(api, "post", "/plans", {**ALMEN_PLAN, "discharge_date": discharge_date}, "discharge_date")


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/cases/{case_id}/team", {"team": "nord\ngenoptræning"}, "team"),
        (
            "/cases/{case_id}/free-choice",
            {"decision": "accept", "provider_id": "a\tb", "provider_name": "X"},
            "provider_id",
        ),
        ("/municipalities/{code}/providers", {"provider_id": "p-1", "name": "Fysio\r\nNord", "kind": "own"}, "name"),
    ],
)
async def test_single_line_fields_refuse_tabs_and_line_breaks(
    api: Api, url: str, body: dict[str, Any], field: str
) -> None:
    method = "post"
    await _refused(api, method, url, body, field)


@pytest.mark.parametrize("text", ["Linje 1\nLinje 2", "Kolonne\tværdi", "Windows\r\nlinje"])
def test_free_text_keeps_tabs_and_line_breaks(text: str) -> None:
    plan = TypeAdapter(PlanBody).validate_python({**ALMEN_PLAN, "training_need": text})
    assert plan.training_need == text


@pytest.mark.parametrize(
    ("day", "accepted"),
    [
        (date(2018, 7, 1), True),  # the first rules in force (FIRST_CALENDAR_DAY is earlier)
        (date(2018, 6, 30), False),
        (LAST_CALENDAR_DAY, True),
        (LAST_CALENDAR_DAY + timedelta(days=1), False),
    ],
)
def test_discharge_date_edges(day: date, accepted: bool) -> None:
    body = {**ALMEN_PLAN, "discharge_date": day.isoformat()}
    if accepted:
        assert TypeAdapter(PlanBody).validate_python(body).discharge_date == day
    else:
        with pytest.raises(ValidationError) as refused:
            TypeAdapter(PlanBody).validate_python(body)
        assert [error["loc"] for error in refused.value.errors()] == [("discharge_date",)]


def test_a_refusal_never_echoes_the_value() -> None:
    secret = "Testa\x00Testesen"
    with pytest.raises(ValidationError) as refused:
        TypeAdapter(PlanBody).validate_python({**ALMEN_PLAN, "patient": {"cpr": "2509479989", "name": secret}})
    assert "Testa" not in str(refused.value)
