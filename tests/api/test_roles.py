"""Every operation against every role, from one table: who may do what, and on whose data.

The test walks the application's OpenAPI document: an operation without a row here fails the suite, so a new
route cannot ship without a decision about who may call it. Each role sends the operation with a valid body
against a case, an application and registers of one municipality; the answer must be what the table says:
`ok` (the role may: anything but 401/403/404), 403 (the role may not), 404 (the data is outside its scope),
401 (no token).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.queries.cases import upsert_municipality
from api.auth.principal import Role
from api.main import create_app
from tests.support.api_helpers import Api, danish_today, fresh_plan, post_plan, unused_municipality
from tests.support.application_api_helpers import post_application, running_application_api
from tests.support.application_factories import application_payload
from tests.support.auth_helpers import DEFAULT_SOR, bearer
from tests.support.encryption_helpers import encrypting_settings
from tests.workflows.domain.test_inputs import OPERATIONS
from workflows.domain.messaging.model import MessageKind, message_id_for

OK, FORBIDDEN, NOT_FOUND = "ok", 403, 404
CALLERS = (
    "hospital",
    "caseworker",
    "caseworker_elsewhere",
    "municipal_admin",
    "ops",
    "ops_decrypt",
    "auditor",
    "national_reader",
)
PUBLIC = {"health", "metrics"}  # /metrics: no token, no personal data (tests/activities/runtime/test_observability.py)


def _row(allowed: set[str], elsewhere: object = FORBIDDEN) -> dict[str, object]:
    """Callers in `allowed` get ok; a caseworker of another municipality gets `elsewhere`; the rest 403."""
    row: dict[str, object] = {caller: OK if caller in allowed else FORBIDDEN for caller in CALLERS}
    if "caseworker_elsewhere" not in allowed:
        row["caseworker_elsewhere"] = elsewhere
    return row


CASE_COMMAND = _row({"caseworker"}, NOT_FOUND)
APPLICATION_COMMAND = _row({"caseworker"}, NOT_FOUND)
EXPECTED: dict[str, dict[str, object]] = {
    "receivePlan": _row({"hospital"}),
    "receiveGgop": _row({"hospital"}),  # a body-less request: the hospital gets 415, the rest 403
    "listCases": _row({"caseworker", "caseworker_elsewhere", "ops"}),
    "getCase": _row({"caseworker", "hospital"}, NOT_FOUND),
    "getCaseTimeline": _row({"caseworker"}, NOT_FOUND),
    # A caseworker's own deadline warnings, of its own municipality (from the token); marking one seen is a command.
    "myWarnings": _row({"caseworker", "caseworker_elsewhere"}),
    "markWarningSeen": CASE_COMMAND,
    # A caseworker's own inbox, of its own municipality (from the token): any caseworker, nobody else.
    "getInbox": _row({"caseworker", "caseworker_elsewhere"}),
    "listInboxView": _row({"caseworker", "caseworker_elsewhere"}),
    # What needs attention before the case ends: the caseworkers of the responsible municipality.
    "getClosingCheck": _row({"caseworker"}, NOT_FOUND),
    # The letters the citizen got: the caseworkers of the responsible municipality (resendMessage is a command).
    "listLetters": _row({"caseworker"}, NOT_FOUND),
    "getLetter": _row({"caseworker"}, NOT_FOUND),
    "revokePlan": _row({"caseworker", "hospital"}, NOT_FOUND),
    # The caseworker of the responsible municipality decides on a later start read from the plan's text.
    "confirmProposedStartDate": CASE_COMMAND,
    "rejectProposedStartDate": CASE_COMMAND,
    "receiveApplication": _row({"caseworker"}),
    "listApplications": _row({"caseworker", "caseworker_elsewhere", "ops"}),
    "getApplication": APPLICATION_COMMAND,
    "getApplicationTimeline": APPLICATION_COMMAND,
    "putMunicipality": _row({"municipal_admin"}),
    "addProvider": _row({"municipal_admin"}),
    "getMunicipality": _row({"caseworker", "municipal_admin", "ops"}),
    "listProviders": _row({"caseworker", "municipal_admin", "ops"}),
    # The staff register: kept by the municipality's administrator, read like the other registers.
    "putTeam": _row({"municipal_admin"}),
    "listTeams": _row({"caseworker", "municipal_admin", "ops"}),
    "putCaseworker": _row({"municipal_admin"}),
    "listCaseworkers": _row({"caseworker", "municipal_admin", "ops"}),
    "getMe": _row(set(CALLERS)),  # anyone with a valid token may ask who their token says they are
    # Bulk assignment names no municipality: any caseworker is answered, each case of another municipality 404.
    "assignCases": _row({"caseworker", "caseworker_elsewhere"}),
    # Notes: written like a command, read like the timeline.
    "addNote": CASE_COMMAND,
    "listNotes": _row({"caseworker"}, NOT_FOUND),
    # Holds: a caseworker of the responsible municipality or its administrator (docs/security.md); a second
    # placing or a lifting of no hold is 409, which the table counts as allowed.
    "getCaseRetention": _row({"caseworker", "municipal_admin"}, NOT_FOUND),
    "getApplicationRetention": _row({"caseworker", "municipal_admin"}, NOT_FOUND),
    "placeCaseHold": _row({"caseworker", "municipal_admin"}, NOT_FOUND),
    "liftCaseHold": _row({"caseworker", "municipal_admin"}, NOT_FOUND),
    "placeApplicationHold": _row({"caseworker", "municipal_admin"}, NOT_FOUND),
    "liftApplicationHold": _row({"caseworker", "municipal_admin"}, NOT_FOUND),
    # A citizen's erasure request is the data controller's: the municipality's administrator.
    "requestErasure": _row({"municipal_admin"}),
    # The start-guarantee report: a municipality's caseworkers and administrators see their own (a caseworker
    # elsewhere gets its own municipality's), ops and a national reader every municipality's counts (reports.md).
    "getStartGuaranteeReport": _row(
        {"caseworker", "caseworker_elsewhere", "municipal_admin", "ops", "national_reader"}
    ),
    # KL Gateway reports: the municipality's administrator sends, lists and previews its own (the preview holds
    # CPR numbers and is access-logged); ops read every municipality's run status, counts only.
    "sendKlGatewayReports": _row({"municipal_admin"}),
    "listKlGatewayReports": _row({"municipal_admin"}),
    "previewKlGatewayReports": _row({"municipal_admin"}),
    "getKlGatewayStatus": _row({"ops"}),
    "searchAccessLog": _row({"auditor"}),
    "citizenExtract": _row({"auditor"}),
    "decodePayloads": _row({"ops_decrypt"}),
    "encodePayloads": _row({"ops_decrypt"}),
}
BODIES = {operation_id: base for operation_id, _, _, _, base, _ in OPERATIONS}


def _operations() -> list[tuple[str, str, str, list[str]]]:
    document = create_app().openapi()
    found = []
    for url, methods in document["paths"].items():
        for method, operation in methods.items():
            found.append((operation["operationId"], method.upper(), url, operation.get("tags", [])))
    return found


OPERATION_LIST = [entry for entry in _operations() if not PUBLIC & set(entry[3])]


def _expected(operation_id: str, tags: list[str]) -> dict[str, object]:
    if operation_id in EXPECTED:
        return EXPECTED[operation_id]
    if "commands" in tags:
        return CASE_COMMAND
    if "applications" in tags and operation_id not in EXPECTED:
        return APPLICATION_COMMAND
    raise AssertionError(f"{operation_id} has no row in the role table: decide who may call it")


def test_every_operation_has_a_row() -> None:
    unknown = [
        op for op, _, _, tags in OPERATION_LIST if op not in EXPECTED and not {"commands", "applications"} & set(tags)
    ]
    assert unknown == []
    assert len(OPERATION_LIST) >= 40


_TARGETS: dict[str, str] = {
    "hold": "complaint",
    "warning_id": "contact:2026-01-02",
    "view": "mine",
    "team_id": "visitation",  # a team and a caseworker of the staff register
    "subject": "local-caseworker",
}
# Where an operation's placeholder names another target than the shared one: the application's own letter.
_OPERATION_TARGETS: dict[str, dict[str, str]] = {}


async def wait_for_letter(pool: Pool, letter_id: str) -> None:
    for _ in range(200):
        async with pool.connection() as conn:
            cursor = await conn.execute("SELECT 1 FROM outbox WHERE message_id = %s", (letter_id,))
            if await cursor.fetchone() is not None:
                return
        await asyncio.sleep(0.05)
    raise AssertionError("the case never queued its first-contact letter")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    # With payload keys, so the codec is there to be refused or allowed.
    keys = {"payload_encryption_keys": encrypting_settings().payload_encryption_keys}
    async with running_application_api(dev_server_env, pool, **keys) as running:
        home, elsewhere = await unused_municipality(pool), await unused_municipality(pool)
        # In the register from the start: getMunicipality may run before putMunicipality (worksteal, two workers).
        await upsert_municipality(pool, home, f"Kommune {home}", contact_working_days=5)
        case = await post_plan(running.http, fresh_plan(home_municipality_code=home))
        application = await post_application(
            running.http, application_payload(application_date=danish_today(), municipality_code=home)
        )
        assert case.status_code == 201 and application.status_code == 201
        application_id = application.json()["application_id"]
        # A refusal, so the application has a decision letter to fetch.
        refusal = {"outcome": "refused", "reason": "Kan træne selv", "notified_on": str(danish_today())}
        decided = await running.http.post(
            f"/applications/{application_id}/decision", json=refusal, headers=_headers_for_home(home)
        )
        assert decided.status_code == 200, decided.text
        decision_letter = message_id_for(application_id, MessageKind.LETTER_DECISION.value, "1")
        await wait_for_letter(pool, decision_letter)
        _OPERATION_TARGETS["getApplicationLetter"] = {"letter_id": decision_letter}
        # Its decision letter is the message to (try to) resend: 409 for the caseworker, as it has not failed.
        _OPERATION_TARGETS["resendApplicationMessage"] = {"message_id": decision_letter}
        # transferCase moves a case of its own: the module's rows may run on two workers in any order (make test's
        # worksteal), and a transfer of the shared case before its closing would put it out of the home
        # caseworker's scope for every row after it.
        moved = await post_plan(running.http, fresh_plan(home_municipality_code=home))
        assert moved.status_code == 201, moved.text
        _OPERATION_TARGETS["transferCase"] = {"case_id": moved.json()["case_id"]}
        case_id = case.json()["case_id"]
        plan_id = case.json()["plan"]["plan_id"]
        # The first-contact letter every new case sends: a letter to fetch, and a message to (try to) resend.
        letter_id = message_id_for(case_id, MessageKind.LETTER_FIRST_CONTACT.value, "patient", plan_id)
        await wait_for_letter(pool, letter_id)
        _TARGETS.update(
            code=home,
            elsewhere=elsewhere,
            case_id=case_id,
            application_id=application.json()["application_id"],
            letter_id=letter_id,
            message_id=letter_id,
        )
        yield running


def _headers_for_home(home: str) -> dict[str, str]:
    return bearer(Role.CASEWORKER, municipality=home)


def _headers(caller: str) -> dict[str, str]:
    home, elsewhere = _TARGETS["code"], _TARGETS["elsewhere"]
    scopes: dict[str, tuple[Role, dict[str, Any]]] = {
        "hospital": (Role.HOSPITAL, {"sor": DEFAULT_SOR}),
        "caseworker": (Role.CASEWORKER, {"municipality": home}),
        "caseworker_elsewhere": (Role.CASEWORKER, {"municipality": elsewhere}),
        "municipal_admin": (Role.MUNICIPAL_ADMIN, {"municipality": home}),
        "ops": (Role.OPS, {}),
        "ops_decrypt": (Role.OPS_DECRYPT, {}),
        "auditor": (Role.AUDITOR, {"municipality": home}),
        "national_reader": (Role.REPORT_READER, {"national": True}),  # reports only, nothing else
    }
    role, scope = scopes[caller]
    return bearer(role, **scope)


def _body(operation_id: str) -> dict[str, Any] | None:
    if operation_id in ("decodePayloads", "encodePayloads"):
        return {"payloads": []}  # a valid Payloads message; the role decides the rest
    body = BODIES.get(operation_id)
    if body is None:
        return None
    if operation_id == "receiveApplication":
        return {**body, "municipality_code": _TARGETS["code"]}
    if operation_id == "receivePlan":
        return fresh_plan(home_municipality_code=_TARGETS["code"])
    if operation_id == "closeCase":
        return {**body, "confirm": True}  # past the closing check, so the case ends here as it always did
    return dict(body)


def _outcome(status: int) -> object:
    return status if status in (401, 403, 404) else OK


@pytest.mark.parametrize(("operation_id", "method", "url", "tags"), OPERATION_LIST, ids=[o[0] for o in OPERATION_LIST])
async def test_each_role_gets_what_the_table_says(
    api: Api, operation_id: str, method: str, url: str, tags: list[str]
) -> None:
    expected = _expected(operation_id, tags)
    target = url.format(**{**_TARGETS, **_OPERATION_TARGETS.get(operation_id, {})})
    body = _body(operation_id)
    answers: dict[str, object] = {}
    for caller in CALLERS:
        response = await api.http.request(method, target, json=body, headers=_headers(caller))
        assert response.status_code < 500, (caller, response.text)
        answers[caller] = _outcome(response.status_code)
    assert answers == expected
    anonymous = await api.http.request(method, target, json=body, headers={"Authorization": "Bearer not-a-jwt"})
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")


async def test_a_transferred_case_leaves_the_first_municipalitys_scope_at_once(api: Api, pool: Pool) -> None:
    first, second = await unused_municipality(pool), await unused_municipality(pool)
    case_id = (await post_plan(api.http, fresh_plan(home_municipality_code=first))).json()["case_id"]
    before = bearer(Role.CASEWORKER, municipality=first)
    moved = await api.http.post(
        f"/cases/{case_id}/transfer",
        json={"to_municipality_code": second, "reason": "citizen_moved"},
        headers=before,
    )
    assert moved.status_code == 200, moved.text
    assert (await api.http.get(f"/cases/{case_id}", headers=before)).status_code == 404
    team = await api.http.post(f"/cases/{case_id}/team", json={"team": "nord"}, headers=before)
    assert team.status_code == 404
    after = bearer(Role.CASEWORKER, municipality=second)
    assert (await api.http.get(f"/cases/{case_id}", headers=after)).status_code == 200
    listed = await api.http.get("/cases", params={"municipality": first}, headers=before)
    assert case_id not in {item["case_id"] for item in listed.json()["items"]}
