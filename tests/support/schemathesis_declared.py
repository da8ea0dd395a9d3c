"""The refusals a schema-valid request may still meet, declared per operation for the schemathesis run.

What OpenAPI 3.1 can say, the document says: formats, patterns (the calendar's years, a CPR number's date, a
cursor's shape), bounds, `if`/`then` between fields. What is left depends on data (the staff register, the
case's state, a key used before), on the clock (a date that must lie in the past or the future), or compares two
values (`period_to` not before `period_from`): no schema can state it, so a request generated from the schema
can meet it. For those rules, and only those, the main run
- lets `positive_data_acceptance` take a 422 from that operation, through schemathesis' own per-operation
  configuration (`operations_config`: `[[operations]]` with `checks.positive_data_acceptance.expected-statuses`);
- and checks with `declared_refusals_only`, a check registered with schemathesis, that each such 422 names only
  the fields declared for its operation: a refusal of any other field is still a finding.
Each operation's description states these refusals (**422** and the field), which tests/api/http/test_schema_rules.py
checks, so a client reads in the document what it cannot generate from it.
"""

from __future__ import annotations

import json
from typing import Any

import schemathesis
from schemathesis import Case, CheckContext, Response
from schemathesis.openapi.checks import RejectedPositiveData

IDEMPOTENCY_KEY = "header.Idempotency-Key"

# Operation → the fields (as a problem's `errors[].field` names them) a schema-valid request may be refused for.
DECLARED: dict[str, tuple[str, ...]] = {
    # The clock: `as_of` must lie in the past.
    "GET /cases/{case_id}": ("query.as_of",),
    # Two values compared (`from` not after `to`, at most 36 months apart, `to` by default today) and the clock.
    "GET /reports/start-guarantee": ("query.from", "query.to", "query.as_of"),
    # The clock (`to` not in the future) and two values compared (`from` before `to`).
    "POST /reports/kl-gateway/{code}": ("query.from", "query.to"),
    # The cursor against the path's view and the query's filters it was given out for.
    "GET /inbox/{view}": ("query.cursor",),
    # The staff register of the municipality: which teams and caseworkers exist is data.
    "POST /cases/{case_id}/team": ("team",),
    "POST /cases/{case_id}/assignment": ("assignee",),
    "POST /cases/{case_id}/hand-on": ("to_caseworker", "to_team"),
    "POST /case-assignments": ("assignee", "team"),
    "PUT /municipalities/{code}": ("intake_team",),
    "PUT /municipalities/{code}/caseworkers/{subject}": ("team_id",),
    # The provider register.
    "POST /cases/{case_id}/provider": ("provider_id",),
    # The case: its current sub-level; a contact after the plan arrived and not in the future, the first one
    # informing of the free choice; a note or warning it has.
    "POST /cases/{case_id}/reclassification": ("sub_level",),
    "POST /cases/{case_id}/contact": ("contacted_at", "informed_of_provider_choices"),
    "POST /cases/{case_id}/notes": ("corrects_note_id",),
    # The case: a first appointment not before the plan was received, nor before the plan allows the start.
    "POST /cases/{case_id}/start-offer": ("first_appointment_on",),
    # The clock: a transport request not dated in the future.
    "POST /cases/{case_id}/transport-request": ("requested_on",),
    "POST /cases/{case_id}/warnings/{warning_id}/seen": ("warning_id",),
    # The clock: an application dated no later than today.
    "POST /applications": ("application_date",),
    # The clock: a reply deadline in the future.
    "POST /applications/{application_id}/gp-information-request": ("reply_by",),
    # Two values compared (`period_to` not before `period_from`); the clock and the application (`notified_on`
    # not in the future nor before the application date); the notification (an appeal within 4 weeks of it).
    "POST /applications/{application_id}/decision": ("period_to", "notified_on"),
    "POST /applications/{application_id}/reassessment": ("decision.period_to", "decision.notified_on"),
    "POST /applications/{application_id}/appeal": ("received_on",),
    # Two values compared (a later start not before discharge, a replaced plan not the plan itself) and the plans
    # the service holds (a replaced plan must be known).
    "POST /plans": ("start_date_for_health_reasons", "previous_plan", "previous_plan.plan_id"),
    # A MedCom message is XML checked against MedCom's XML schema, which no JSON schema can state.
    "POST /medcom/ggop": ("body",),
    # The configured payload keys: a payload another key encrypted cannot be decoded.
    "POST /codec/decode": ("payloads",),
}


def declared_fields(operation: dict[str, Any], label: str) -> tuple[str, ...]:
    """The fields `label` may refuse a schema-valid request for: its row of DECLARED, and an idempotency key
    used before for another request (the key's history is data) wherever the operation takes one."""
    parameters = operation.get("parameters", [])
    takes_key = any(p.get("in") == "header" and p.get("name") == "Idempotency-Key" for p in parameters)
    return (*DECLARED.get(label, ()), *((IDEMPOTENCY_KEY,) if takes_key else ()))


def declared(openapi: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    """Every operation of the document that may refuse a schema-valid request, with the fields."""
    found = {
        f"{method.upper()} {path}": declared_fields(operation, f"{method.upper()} {path}")
        for path, item in openapi["paths"].items()
        for method, operation in item.items()
    }
    return {label: fields for label, fields in found.items() if fields}


def operations_config(openapi: dict[str, Any], accepted: list[str]) -> list[dict[str, Any]]:
    """schemathesis' `[[operations]]`: a 422 to a schema-valid request passes `positive_data_acceptance` on the
    declared operations only (`declared_refusals_only` then checks which fields it names)."""
    return [
        {"include-name": label, "checks": {"positive_data_acceptance": {"expected-statuses": [*accepted, "422"]}}}
        for label in declared(openapi)
    ]


def refused_fields(response: Response) -> list[str]:
    try:
        return [str(error["field"]) for error in json.loads(response.content)["errors"]]
    except (ValueError, KeyError, TypeError):
        return []


@schemathesis.check
def declared_refusals_only(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """A 422 to a schema-valid request names only fields declared for its operation (see the module)."""
    if response.status_code != 422 or case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    label = case.operation.label
    allowed = declared_fields(case.operation.definition.raw, label)
    if not allowed:
        return None  # positive_data_acceptance refuses every 422 here
    fields = refused_fields(response)
    stray = [field for field in fields if field not in allowed] if fields else ["(no field named)"]
    if stray:
        raise RejectedPositiveData(
            operation=label,
            message=f"Valid data was refused for {', '.join(stray)}; only {', '.join(allowed)} may be",
            status_code=422,
            allowed_statuses=["422 naming " + ", ".join(allowed)],
        )
    return None
