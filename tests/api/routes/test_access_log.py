"""The access log over HTTP: every use of a citizen's data leaves a row, and auditors search it and draw a
citizen's extract (GDPR art. 15), with the CPR in the body, never in a URL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.auth.principal import Role
from tests.support.api_helpers import Api, fresh_plan, post_plan, running_api, unused_municipality
from tests.support.auth_helpers import bearer
from tests.support.factories import HOSPITAL_SOR_ID
from tests.support.staff_helpers import register_teams


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


def _cpr() -> str:
    """A synthetic CPR no other test uses (a valid date; the modulus check is not required)."""
    return f"0101{uuid.uuid4().int % 100:02d}{uuid.uuid4().int % 10000:04d}"


async def _case(api: Api, municipality: str, cpr: str) -> str:
    plan = fresh_plan(home_municipality_code=municipality, patient={"cpr": cpr, "name": "Testa Logsen"})
    response = await post_plan(api.http, plan)
    assert response.status_code == 201, response.text
    return str(response.json()["case_id"])


async def _search(api: Api, body: dict[str, Any], **scope: Any) -> list[dict[str, Any]]:
    answer = await api.http.post("/access-log/search", json=body, headers=bearer(Role.AUDITOR, **scope))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_reads_changes_and_denied_look_ups_are_logged_and_found_by_citizen(api: Api) -> None:
    municipality, other = await unused_municipality(api.pool), await unused_municipality(api.pool)
    cpr = _cpr()
    case_id = await _case(api, municipality, cpr)
    caseworker = bearer(Role.CASEWORKER, municipality=municipality, subject="cw-log", name="Karin Sagsbehandler")
    headers = {**caseworker, "X-Correlation-Id": "corr-123"}
    assert (await api.http.get(f"/cases/{case_id}", headers=headers)).status_code == 200
    await register_teams(api.pool, "nord", municipality=municipality)
    team = await api.http.post(f"/cases/{case_id}/team", json={"team": "nord"}, headers=caseworker)
    assert team.status_code == 200
    outsider = bearer(Role.CASEWORKER, municipality=other, subject="cw-other")
    assert (await api.http.get(f"/cases/{case_id}", headers=outsider)).status_code == 404

    rows = await _search(api, {"citizen_cpr": cpr}, national=True)
    seen = {(row["action"], row["outcome"], row["user_id"]) for row in rows}
    assert {("create", "allowed", "227871000016001"), ("read", "allowed", "cw-log")} <= seen
    assert ("change", "allowed", "cw-log") in seen
    # The denied look-up is there by case, without the citizen: the prober's own auditor must not learn whose
    # case it was.
    denied = [row for row in await _search(api, {"case_id": case_id}, national=True) if row["outcome"] == "denied"]
    assert [(row["user_id"], row["citizen_cpr"]) for row in denied] == [("cw-other", None)]
    read = next(row for row in rows if row["action"] == "read" and row["user_id"] == "cw-log")
    assert read["case_id"] == case_id and read["user_name"] == "Karin Sagsbehandler"
    assert read["municipality_code"] == municipality and read["correlation_id"] == "corr-123"
    assert read["source_address"] and read["purpose"] == "sagsbehandling"


async def test_a_hospitals_plan_is_logged_for_the_cases_municipality_whose_auditor_finds_it(api: Api) -> None:
    municipality, other = await unused_municipality(api.pool), await unused_municipality(api.pool)
    cpr = _cpr()
    case_id = await _case(api, municipality, cpr)
    found = await _search(api, {"citizen_cpr": cpr}, municipality=municipality)
    [created] = [row for row in found if row["action"] == "create"]
    assert (created["user_role"], created["case_id"], created["sor_id"]) == ("hospital", case_id, HOSPITAL_SOR_ID)
    assert created["municipality_code"] is None  # the hospital's own organisation has none ...
    assert created["responsible_municipality_code"] == municipality  # ... the case's does: its auditor reads it
    elsewhere = await _search(api, {"citizen_cpr": cpr}, municipality=other)
    assert [row["purpose"] for row in elsewhere] == ["tilsyn"]  # that auditor's own search only
    auditor = bearer(Role.AUDITOR, municipality=municipality)
    extract = await api.http.post("/access-log/citizen-extract", json={"citizen_cpr": cpr}, headers=auditor)
    entries = extract.json()["entries"]  # the citizen's art. 15 extract from their municipality is complete
    assert [(entry["action"], entry["sor_id"]) for entry in entries if entry["purpose"] != "tilsyn"] == [
        ("create", HOSPITAL_SOR_ID)
    ]


async def _read_with(api: Api, case_id: str, municipality: str, **headers: str) -> tuple[str, str | None]:
    """Read the case with `headers`: the answer's X-Correlation-Id (the trace id) and the row's correlation id."""
    subject = f"cw-{uuid.uuid4()}"
    reader = bearer(Role.CASEWORKER, municipality=municipality, subject=subject)
    answer = await api.http.get(f"/cases/{case_id}", headers={**reader, **headers})
    assert answer.status_code == 200, answer.text
    [row] = await _search(api, {"user_id": subject}, national=True)
    return answer.headers["X-Correlation-Id"], row["correlation_id"]


async def test_a_rows_correlation_id_is_the_requests_trace_id_or_the_callers_well_formed_reference(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    case_id = await _case(api, municipality, _cpr())
    trace_id, logged = await _read_with(api, case_id, municipality)
    assert len(trace_id) == 32 and int(trace_id, 16) and logged == trace_id  # follow the row into logs and traces
    reference = "INC-4711:sag.7_b"
    assert (await _read_with(api, case_id, municipality, **{"X-Correlation-Id": reference}))[1] == reference
    # Too long, odd characters or a CPR number: ignored, and the trace id serves.
    for bad in ("x" * 101, "two words", "<script>", "a\tb", "-leading-dash", "250947-9989", "2509479989"):
        trace_id, logged = await _read_with(api, case_id, municipality, **{"X-Correlation-Id": bad})
        assert logged == trace_id, bad


async def test_ids_with_ten_digits_in_a_row_are_searchable(api: Api) -> None:
    # About one UUID in ninety holds ten digits in a row; that is an id, not a CPR number in the criterion.
    case_id = "ab123456-7890-4abc-8def-0123456789ab"
    assert await _search(api, {"case_id": case_id}, national=True) == []
    crafted = await api.http.get("/cases", params={"cursor": "0101011234"})
    assert crafted.status_code == 422


async def test_a_search_pages_from_any_cursor_of_its_shape_and_names_the_body_s_cursor_otherwise(api: Api) -> None:
    assert await _search(api, {"user_id": "nobody-here", "cursor": "999999999999999999.999"}, national=True) == []
    answer = await api.http.post(
        "/access-log/search", json={"cursor": "not-a-cursor"}, headers=bearer(Role.AUDITOR, national=True)
    )
    assert answer.status_code == 422 and [error["field"] for error in answer.json()["errors"]] == ["cursor"]


async def test_a_municipal_auditor_sees_its_municipality_and_other_roles_none(api: Api) -> None:
    municipality, other = await unused_municipality(api.pool), await unused_municipality(api.pool)
    cpr = _cpr()
    case_id = await _case(api, municipality, cpr)
    reader = bearer(Role.CASEWORKER, municipality=municipality, subject="cw-scope")
    assert (await api.http.get(f"/cases/{case_id}", headers=reader)).status_code == 200
    found = await _search(api, {"case_id": case_id}, municipality=municipality)
    assert [row["user_id"] for row in found] == ["cw-scope", HOSPITAL_SOR_ID]  # the reader, the hospital's create
    assert await _search(api, {"case_id": case_id}, municipality=other) == []
    for role in (Role.CASEWORKER, Role.OPS, Role.HOSPITAL):
        refused = await api.http.post(
            "/access-log/search", json={"case_id": case_id}, headers=bearer(role, municipality=municipality)
        )
        assert refused.status_code == 403
    anonymous = await api.http.post("/access-log/search", json={}, headers={"Authorization": "Bearer x.y.z"})
    assert anonymous.status_code == 401 and "WWW-Authenticate" in anonymous.headers


async def test_a_citizens_extract_names_the_organisation_and_the_employee_only_when_asked(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    cpr = _cpr()
    case_id = await _case(api, municipality, cpr)
    await api.http.get(f"/cases/{case_id}", headers=bearer(Role.CASEWORKER, municipality=municipality, subject="cw-x"))
    auditor = bearer(Role.AUDITOR, municipality=municipality)
    plain = await api.http.post("/access-log/citizen-extract", json={"citizen_cpr": cpr}, headers=auditor)
    assert plain.status_code == 200, plain.text
    entries = plain.json()["entries"]
    assert entries and all(entry["user_id"] is None and entry["user_name"] is None for entry in entries)
    assert {entry["purpose"] for entry in entries} >= {"sagsbehandling"}
    named = await api.http.post(
        "/access-log/citizen-extract", json={"citizen_cpr": cpr, "include_employee": True}, headers=auditor
    )
    assert "cw-x" in {entry["user_id"] for entry in named.json()["entries"]}
    exports = await _search(api, {"citizen_cpr": cpr}, national=True)
    assert any(row["action"] == "export" and row["purpose"] == "tilsyn" for row in exports)
