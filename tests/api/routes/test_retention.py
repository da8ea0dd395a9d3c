"""Holds and erasure requests over HTTP: who may, what is recorded, and what an erased case shows."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.sealing.personal_fields import ERASED_TEXT
from activities.store.eventstore import EventStore
from activities.store.retention_events import RetentionHoldPlaced, retention_stream
from api.auth.principal import Role
from tests.support.api_helpers import Api, fresh_plan, post_plan, running_api, unused_municipality
from tests.support.auth_helpers import bearer
from tests.support.retention_helpers import ended_application, ended_case, new_cpr, new_name

LONG_AGO = datetime(2019, 6, 3, 12, 0, tzinfo=UTC)  # more than five years before any run of this test


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def test_a_caseworker_places_and_lifts_a_hold_recorded_with_their_identity(api: Api) -> None:
    municipality, cpr, name = await unused_municipality(api.pool), new_cpr(), new_name()
    case_id = await ended_case(EventStore(api.pool), cpr, name, LONG_AGO, municipality=municipality)
    caseworker = bearer(Role.CASEWORKER, municipality=municipality, subject="cw-hold", name="Karin Sagsbehandler")
    reason = f"Klage fra {name} sendt til STPK"

    placed = await api.http.post(
        f"/cases/{case_id}/holds", json={"hold": "complaint", "reason": reason}, headers=caseworker
    )
    assert placed.status_code == 200, placed.text
    assert placed.json()["holds"] == ["complaint"] and placed.json()["erased_at"] is None
    again = await api.http.post(
        f"/cases/{case_id}/holds", json={"hold": "complaint", "reason": "x"}, headers=caseworker
    )
    assert again.status_code == 409 and again.headers["content-type"].startswith("application/problem+json")
    elsewhere = bearer(Role.CASEWORKER, municipality=await unused_municipality(api.pool))
    hidden = await api.http.post(f"/cases/{case_id}/holds", json={"hold": "archive", "reason": "x"}, headers=elsewhere)
    assert hidden.status_code == 404

    (event,) = [
        e for e in await EventStore(api.pool).read_all(0, 1_000_000) if e.case_id == retention_stream("case", case_id)
    ]
    assert isinstance(event.event, RetentionHoldPlaced) and event.event.reason == reason
    assert event.metadata.acted_by is not None and event.metadata.acted_by.subject == "cw-hold"
    async with api.pool.connection() as conn:
        cursor = await conn.execute("SELECT payload::text FROM events WHERE event_id = %s", (event.event_id,))
        row = await cursor.fetchone()
    assert row is not None and name not in row[0]  # the reason is sealed with the citizen's key

    # The erasure request is refused while the hold stands, naming the rule.
    admin = bearer(Role.MUNICIPAL_ADMIN, municipality=municipality)
    refused = await api.http.post("/erasure-requests", json={"citizen_cpr": cpr}, headers=admin)
    assert refused.status_code == 409 and "journalføringsbekendtgørelsen §15" in refused.json()["detail"]
    assert "hold" in refused.json()["detail"] and cpr not in refused.text

    status = await api.http.get(f"/cases/{case_id}/retention", headers=caseworker)
    assert status.status_code == 200 and status.json()["holds"] == ["complaint"]
    assert (await api.http.get(f"/cases/{case_id}/retention", headers=elsewhere)).status_code == 404
    lifted = await api.http.post(f"/cases/{case_id}/holds/complaint/lifting", json={"reason": "Afgjort"}, headers=admin)
    assert lifted.status_code == 200 and lifted.json()["holds"] == []
    bad = await api.http.post(f"/cases/{case_id}/holds/forever/lifting", json={"reason": "x"}, headers=admin)
    assert bad.status_code == 422


async def test_an_erasure_request_inside_the_retention_period_is_refused_with_the_legal_reason(api: Api) -> None:
    municipality, cpr = await unused_municipality(api.pool), new_cpr()
    plan = fresh_plan(home_municipality_code=municipality, patient={"cpr": cpr, "name": new_name()})
    assert (await post_plan(api.http, plan)).status_code == 201
    admin = bearer(Role.MUNICIPAL_ADMIN, municipality=municipality)

    refused = await api.http.post("/erasure-requests", json={"citizen_cpr": cpr}, headers=admin)

    assert refused.status_code == 409, refused.text
    problem = refused.json()
    assert problem["type"].endswith("erasure-refused") and "GDPR art. 17(3)" in problem["detail"]
    assert "in progress" in problem["detail"]
    caseworker = bearer(Role.CASEWORKER, municipality=municipality)
    assert (await api.http.post("/erasure-requests", json={"citizen_cpr": cpr}, headers=caseworker)).status_code == 403
    nobody = await api.http.post("/erasure-requests", json={"citizen_cpr": new_cpr()}, headers=admin)
    assert nobody.json() == {"outcome": "nothing_held", "erased": 0, "stored_in_clear": 0}
    assert (await api.http.post("/erasure-requests", json={"citizen_cpr": "12"}, headers=admin)).status_code == 422


async def test_an_erased_citizen_reads_as_erased_everywhere_and_the_auditor_still_finds_the_log(api: Api) -> None:
    municipality, cpr, name = await unused_municipality(api.pool), new_cpr(), new_name()
    store = EventStore(api.pool)
    case_id = await ended_case(store, cpr, name, LONG_AGO, municipality=municipality)
    application_id = await ended_application(store, cpr, name, LONG_AGO, municipality=municipality)
    caseworker = bearer(Role.CASEWORKER, municipality=municipality)
    assert (await api.http.get(f"/cases/{case_id}", headers=caseworker)).json()["plan"]["patient"]["name"] == name

    admin = bearer(Role.MUNICIPAL_ADMIN, municipality=municipality)
    erased = await api.http.post("/erasure-requests", json={"citizen_cpr": cpr}, headers=admin)
    assert erased.status_code == 200, erased.text
    assert erased.json() == {"outcome": "erased", "erased": 2, "stored_in_clear": 0}

    view = await api.http.get(f"/cases/{case_id}", headers=caseworker)
    assert view.status_code == 200, view.text
    plan = view.json()["plan"]
    assert plan["patient"] == {"cpr": ERASED_TEXT, "name": ERASED_TEXT}
    assert plan["level"] == "almen" and plan["home_municipality_code"] == municipality
    assert view.json()["status"] == "completed" and plan["discharge_date"] == "2019-06-01"
    timeline = await api.http.get(f"/cases/{case_id}/events", headers=caseworker)
    assert timeline.status_code == 200 and name not in timeline.text and cpr not in timeline.text
    application = await api.http.get(f"/applications/{application_id}", headers=caseworker)
    assert application.status_code == 200 and name not in application.text
    assert (await api.http.get(f"/applications/{application_id}/events", headers=caseworker)).status_code == 200
    listed = await api.http.get(f"/cases?municipality={municipality}", headers=caseworker)
    assert [item["case_id"] for item in listed.json()["items"]] == [case_id]
    again = await api.http.post("/erasure-requests", json={"citizen_cpr": cpr}, headers=admin)
    assert again.json() == {"outcome": "nothing_held", "erased": 0, "stored_in_clear": 0}
    retention = (await api.http.get(f"/applications/{application_id}/retention", headers=caseworker)).json()
    assert retention["erased_basis"] == "erasure_request" and retention["erased_at"] is not None
    held = await api.http.post(f"/cases/{case_id}/holds", json={"hold": "archive", "reason": "x"}, headers=caseworker)
    assert held.status_code == 409  # nothing left to keep

    # The auditor still draws the citizen's art. 15 extract by CPR: the log names them by a keyed hash.
    extract = await api.http.post(
        "/access-log/citizen-extract", json={"citizen_cpr": cpr}, headers=bearer(Role.AUDITOR, national=True)
    )
    assert extract.status_code == 200, extract.text
    actions = {(row["action"], row["outcome"]) for row in extract.json()["entries"]}
    assert {("read", "allowed"), ("erase", "allowed")} <= actions
    search = await api.http.post(
        "/access-log/search", json={"citizen_cpr": cpr}, headers=bearer(Role.AUDITOR, national=True)
    )
    assert {item["citizen_cpr"] for item in search.json()["items"]} == {cpr}  # named by the search, not the log
    by_case = await api.http.post(
        "/access-log/search", json={"case_id": case_id}, headers=bearer(Role.AUDITOR, national=True)
    )
    assert {item["citizen_cpr"] for item in by_case.json()["items"]} == {None}  # the sealed copy no longer opens


async def test_the_access_log_holds_no_cpr_in_clear(api: Api) -> None:
    municipality, cpr = await unused_municipality(api.pool), new_cpr()
    plan = fresh_plan(home_municipality_code=municipality, patient={"cpr": cpr, "name": new_name()})
    case_id = (await post_plan(api.http, plan)).json()["case_id"]
    await api.http.get(f"/cases/{case_id}", headers=bearer(Role.CASEWORKER, municipality=municipality))
    async with api.pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT count(*) FROM access_log WHERE case_id = %s AND citizen_hash IS NOT NULL", (case_id,)
        )
        row = await cursor.fetchone()
        cursor = await conn.execute("SELECT count(*) FROM access_log WHERE citizen_cpr = %s", (cpr,))
        clear = await cursor.fetchone()
    assert row is not None and row[0] >= 1 and clear == (0,)
    found = await api.http.post(
        "/access-log/search", json={"citizen_cpr": cpr}, headers=bearer(Role.AUDITOR, national=True)
    )
    assert {item["citizen_cpr"] for item in found.json()["items"]} == {cpr}
    assert uuid.UUID(case_id)
