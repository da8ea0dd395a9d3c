"""The closing check over HTTP, against PostgreSQL and the Temporal dev server: closing or completing a case first
lists what still needs attention (409), the caseworker confirms, and the event records what was confirmed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.queries.closing import attention_elsewhere
from api.auth.principal import Role
from tests.support.api_helpers import (
    CASEWORKER,
    PROBLEM_JSON,
    Api,
    command,
    distributed_case,
    running_api,
    unused_municipality,
)
from tests.support.application_api_helpers import post_application, running_application_api
from tests.support.application_factories import application_payload
from tests.support.auth_helpers import bearer
from tests.support.retention_helpers import new_cpr
from tests.support.rulebook_api_helpers import field_names, of_type, ok, started_case, timeline

EHR_EAN = "5790001234567"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_application_api(dev_server_env, pool) as running:
        yield running


def patient(cpr: str) -> dict[str, str]:
    return {"cpr": cpr, "name": "Closing Testesen"}


async def case_for(http: httpx.AsyncClient, cpr: str, municipality: str) -> str:
    """A distributed case of the citizen with `cpr`, its first-contact letter sent."""
    return await distributed_case(http, patient=patient(cpr), home_municipality_code=municipality)


async def closing_check(http: httpx.AsyncClient, case_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/cases/{case_id}/closing-check")
    assert response.status_code == 200, response.text
    attention: list[dict[str, Any]] = response.json()["attention"]
    return attention


def needs_attention(response: httpx.Response) -> list[dict[str, Any]]:
    """The items of a 409 `closing-needs-attention`."""
    assert response.status_code == 409, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"].endswith(":closing-needs-attention"), problem
    items: list[dict[str, Any]] = problem["attention"]
    return items


async def test_a_second_open_case_of_the_citizen_needs_confirming_and_the_closure_records_it(api: Api) -> None:
    cpr, municipality = new_cpr(), await unused_municipality(api.pool)
    first = await case_for(api.http, cpr, municipality)
    second = await case_for(api.http, cpr, municipality)
    other_case = {"kind": "other_open_case", "ref": second, "detail": "distributed"}
    assert await closing_check(api.http, first) == [other_case]

    refused = await command(api.http, first, "closure", {"reason": "deceased"})
    assert needs_attention(refused) == [other_case]
    assert str(cpr) not in refused.text and "Closing Testesen" not in refused.text
    # Nothing was recorded: the case is as it was.
    assert (await api.http.get(f"/cases/{first}")).json()["status"] == "distributed"
    assert of_type(await timeline(api.http, first), "CaseClosed") == []

    closed = await ok(api.http, first, "closure", {"reason": "deceased", "confirm": True})
    assert closed["status"] == "closed"
    (event,) = of_type(await timeline(api.http, first), "CaseClosed")
    assert event["data"]["confirmed_attention"] == [other_case] and event["actor"] == CASEWORKER

    # The first case has ended: the second has nothing left to confirm, and closes without `confirm`.
    assert await closing_check(api.http, second) == []
    await ok(api.http, second, "closure", {"reason": "citizen_did_not_show"})
    (plain,) = of_type(await timeline(api.http, second), "CaseClosed")
    assert plain["data"]["confirmed_attention"] == []
    # Ended: nothing to check any more (a retried request gets its recorded answer, not a new check).
    assert await closing_check(api.http, first) == []


async def test_completion_lists_the_citizens_open_application_until_confirmed(api: Api) -> None:
    cpr, municipality = new_cpr(), await unused_municipality(api.pool)
    case_id = await started_case(api.http, municipality, patient=patient(cpr))
    intake = application_payload(citizen=patient(cpr), municipality_code=municipality)
    application = await post_application(api.http, intake)
    assert application.status_code == 201, application.text
    application_id = application.json()["application_id"]
    other_application = {"kind": "other_open_application", "ref": application_id, "detail": "under_assessment"}

    assert await closing_check(api.http, case_id) == [other_application]
    assert needs_attention(await command(api.http, case_id, "completion", {"note": "Mål nået"})) == [other_application]
    assert (await api.http.get(f"/cases/{case_id}")).json()["status"] == "training_started"

    completed = await ok(api.http, case_id, "completion", {"note": "Mål nået", "confirm": True})
    assert completed["status"] == "completed"
    (event,) = of_type(await timeline(api.http, case_id), "CourseCompleted")
    assert event["data"]["confirmed_attention"] == [other_application] and event["data"]["note"] == "Mål nået"


async def test_nothing_pending_completes_without_confirm(api: Api) -> None:
    case_id = await started_case(api.http, await unused_municipality(api.pool), patient=patient(new_cpr()))
    assert await closing_check(api.http, case_id) == []
    completed = await ok(api.http, case_id, "completion", {})
    assert completed["status"] == "completed"
    (event,) = of_type(await timeline(api.http, case_id), "CourseCompleted")
    assert event["data"]["confirmed_attention"] == []


async def test_another_municipality_neither_reads_the_check_nor_appears_in_it(api: Api) -> None:
    cpr = new_cpr()
    home, elsewhere = await unused_municipality(api.pool), await unused_municipality(api.pool)
    case_id = await case_for(api.http, cpr, home)
    other_municipality_case = await case_for(api.http, cpr, elsewhere)
    # The citizen's case in another municipality is not the closing caseworker's to learn of.
    assert await closing_check(api.http, case_id) == []
    assert await closing_check(api.http, other_municipality_case) == []

    foreign = await api.http.get(
        f"/cases/{case_id}/closing-check", headers=bearer(Role.CASEWORKER, municipality=elsewhere)
    )
    assert foreign.status_code == 404 and foreign.headers["content-type"] == PROBLEM_JSON
    hospital = await api.http.get(f"/cases/{case_id}/closing-check", headers=bearer(Role.HOSPITAL, sor="x"))
    assert hospital.status_code == 403


async def test_a_retried_closure_is_not_checked_again(api: Api) -> None:
    cpr, municipality = new_cpr(), await unused_municipality(api.pool)
    case_id = await case_for(api.http, cpr, municipality)
    await case_for(api.http, cpr, municipality)
    body = {"reason": "deceased", "confirm": True}
    first = await command(api.http, case_id, "closure", body, key="close-once")
    assert first.status_code == 200, first.text
    # The same request again, even without `confirm`: the recorded answer while the workflow still runs, the
    # ended case's 409 once it has returned; never the check's 409, nor a second closure.
    for retry in (body, {"reason": "deceased"}):
        again = await command(api.http, case_id, "closure", retry, key="close-once")
        assert again.status_code == 200 or again.json()["type"].endswith(":case-closed"), again.text
    assert len(of_type(await timeline(api.http, case_id), "CaseClosed")) == 1


async def test_a_command_the_case_refuses_anyway_gets_its_own_refusal_not_the_check(api: Api) -> None:
    cpr, municipality = new_cpr(), await unused_municipality(api.pool)
    case_id = await case_for(api.http, cpr, municipality)
    await case_for(api.http, cpr, municipality)
    assert len(await closing_check(api.http, case_id)) == 1
    missing = await command(api.http, case_id, "closure", {"reason": "active_opt_out"})
    assert missing.status_code == 422 and field_names(missing) == ["opt_out_reason"], missing.text
    too_early = await command(api.http, case_id, "completion", {})
    assert too_early.status_code == 409 and too_early.json()["type"].endswith(":not-allowed-now"), too_early.text
    assert "attention" not in too_early.json()


async def test_a_case_without_a_known_citizen_finds_nothing_elsewhere(pool: Pool) -> None:
    # Recorded before citizen keys: no citizen_streams row, so no citizen to look for.
    assert await attention_elsewhere(pool, "no-such-case", "101") == []
    assert await attention_elsewhere(pool, "no-such-case", None) == []


async def test_a_plan_copy_awaiting_its_receipt_needs_confirming(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    municipality = await unused_municipality(pool)
    # The plan goes on to the municipality's EHR over MedCom, which answers with a receipt; none comes here.
    eans = {municipality: EHR_EAN}
    async with running_api(dev_server_env, pool, medcom_plan_forward_eans=eans) as running:
        case_id = await case_for(running.http, new_cpr(), municipality)
        case = (await running.http.get(f"/cases/{case_id}")).json()
        (forward,) = [
            message_id for message_id, message in case["messages"].items() if message["recipient"] == "municipality"
        ]
        awaiting = {"kind": "undelivered_message", "ref": forward, "detail": "awaiting_receipt"}
        assert await closing_check(running.http, case_id) == [awaiting]
        refused = await command(running.http, case_id, "closure", {"reason": "deceased"})
        assert needs_attention(refused) == [awaiting]


async def test_a_transport_request_waits_for_its_assessment_before_the_case_ends(api: Api) -> None:
    case_id = await started_case(api.http, await unused_municipality(api.pool), patient=patient(new_cpr()))
    requested = await ok(api.http, case_id, "transport-request", {"note": "Kan ikke tage bussen"})
    today = requested["transport_requested_on"]
    assert today is not None
    future = await api.http.post(f"/cases/{case_id}/transport-request", json={"requested_on": "2070-01-01"})
    assert future.status_code == 422 and field_names(future) == ["requested_on"]
    assert await closing_check(api.http, case_id) == [
        {"kind": "transport_undecided", "ref": None, "detail": f"requested:{today}"}
    ]
    assert needs_attention(await api.http.post(f"/cases/{case_id}/completion", json={}))

    assessment = {
        "is_pensioner": True,
        "condition_rules_out_public_transport": False,
        "distance_km": "12",
        "round_trip_cost_dkk": "80.00",
    }
    decided = await ok(api.http, case_id, "transport-assessment", assessment)
    assert decided["transport_requested_on"] is None and decided["transport"]["entitled"] is True
    assert await closing_check(api.http, case_id) == []
    assert (await ok(api.http, case_id, "completion", {}))["status"] == "completed"
    (request,) = of_type(await timeline(api.http, case_id), "TransportRequested")
    assert request["data"]["requested_on"] == today
