"""The start and the 7-day start guarantee over HTTP: a cancelled first appointment, the free choice accepted or
declined after a breach, a postponed start, a transfer to another municipality, and a revoked plan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import (
    Api,
    command,
    danish_today,
    distributed_case,
    fresh_plan,
    post_plan,
    register_provider,
    running_api,
    unused_municipality,
    wait_for_case,
)
from tests.support.rulebook_api_helpers import (
    contacted_case,
    field_names,
    list_items,
    of_type,
    ok,
    started_case,
    timeline,
)

FREE_CHOICE_PROVIDER = {"provider_id": "fritvalg-fysio-city", "provider_name": "Fysio City ApS"}


def _plan_discharged(days_ago: int) -> dict[str, Any]:
    return fresh_plan(discharge_date=danish_today() - timedelta(days=days_ago))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def test_cancelled_first_appointment_still_counts_as_the_start(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    not_started = await distributed_case(api.http)
    early = await command(api.http, not_started, "appointment-cancellation", {})
    assert early.status_code == 409 and "training_started" in early.json()["detail"]

    case_id = await started_case(api.http, municipality)
    first = (await api.http.get(f"/cases/{case_id}")).json()["first_appointment_on"]
    case = await ok(api.http, case_id, "appointment-cancellation", {"reason": "Terapeut syg"})
    assert case["appointment_cancelled"] is True
    assert (case["status"], case["first_appointment_on"], case["start_guarantee_breached"]) == (
        "training_started",
        first,
        False,
    )
    (cancelled,) = of_type(await timeline(api.http, case_id), "AppointmentCancelled")
    assert cancelled["data"]["reason"] == "Terapeut syg"
    again = await command(api.http, case_id, "appointment-cancellation", {})
    assert again.status_code == 409 and "already cancelled" in again.json()["detail"]


async def test_free_choice_accepted_after_a_late_start(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    # Discharged 20 days ago: the last day of the guarantee has passed, so tomorrow's start is late.
    twenty_days_ago = danish_today() - timedelta(days=20)
    case_id = await started_case(
        api.http, municipality, first_appointment_in_days=1, discharge_date=twenty_days_ago.isoformat()
    )
    case = (await api.http.get(f"/cases/{case_id}")).json()
    assert case["start_guarantee_breached"] is True and case["free_choice_open"] is True
    assert len(of_type(await timeline(api.http, case_id), "StartGuaranteeBreached")) == 1

    no_provider = await command(api.http, case_id, "free-choice", {"decision": "accept"})
    assert no_provider.status_code == 422
    assert field_names(no_provider) == ["provider_id", "provider_name"]
    case = await ok(api.http, case_id, "free-choice", {"decision": "accept", **FREE_CHOICE_PROVIDER})
    assert case["provider"] == {
        "provider_id": "fritvalg-fysio-city",
        "name": "Fysio City ApS",
        "municipality_code": municipality,  # the home municipality pays (SUL §140 stk. 5)
        "kind": "kl_free_choice",
    }
    assert case["guarantee_status_reason"] == "frit_valg" and case["free_choice_open"] is False
    assert (await list_items(api.http, municipality=municipality))[case_id]["guarantee_status_reason"] == "frit_valg"
    assert of_type(await timeline(api.http, case_id), "FreeChoiceAccepted")[0]["actor"].startswith("caseworker:")
    answered = await command(api.http, case_id, "free-choice", {"decision": "decline"})
    assert answered.status_code == 409 and "free choice is open only" in answered.json()["detail"]


async def test_free_choice_declined(api: Api) -> None:
    # Discharged 20 days ago and no start yet: the guarantee's timer records the breach by itself.
    created = await post_plan(api.http, _plan_discharged(20))
    case_id = created.json()["case_id"]
    await wait_for_case(api.http, case_id, overdue=True)

    with_provider = await command(api.http, case_id, "free-choice", {"decision": "decline", "provider_id": "x"})
    assert with_provider.status_code == 422 and field_names(with_provider) == ["provider_id"]
    case = await ok(api.http, case_id, "free-choice", {"decision": "decline", "note": "Vil hellere vente"})
    assert case["guarantee_status_reason"] == "frit_valg_afslaaet" and case["free_choice_open"] is False
    assert case["provider"] is None
    (declined,) = of_type(await timeline(api.http, case_id), "FreeChoiceDeclined")
    assert declined["data"]["note"] == "Vil hellere vente"

    never_breached = await distributed_case(api.http)
    closed_choice = await command(
        api.http, never_breached, "free-choice", {"decision": "accept", **FREE_CHOICE_PROVIDER}
    )
    assert closed_choice.status_code == 409


async def test_postponement_lapses_the_guarantee(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    case_id = await contacted_case(api.http, home_municipality_code=municipality)
    assert (await api.http.get(f"/cases/{case_id}")).json()["next_deadline"]["kind"] == "start_guarantee"
    case = await ok(api.http, case_id, "postponement", {"note": "Rejser bort"})
    assert case["start_guarantee_lapsed"] is True and case["next_deadline"] is None
    again = await command(api.http, case_id, "postponement", {})
    assert again.status_code == 409 and "already postponed" in again.json()["detail"]

    # A start well after the guarantee's last day is then no breach and opens no free choice.
    provider_id = await register_provider(api.http, municipality)
    await ok(api.http, case_id, "provider", {"provider_id": provider_id})
    late = danish_today() + timedelta(days=14)
    case = await ok(api.http, case_id, "start-offer", {"first_appointment_on": late.isoformat()})
    assert case["start_guarantee_breached"] is False and case["free_choice_open"] is False
    events = await timeline(api.http, case_id)
    assert of_type(events, "StartOffered")[0]["data"]["within_start_guarantee"] is None
    assert of_type(events, "StartGuaranteeBreached") == []
    after_start = await command(api.http, case_id, "postponement", {})
    assert after_start.status_code == 409


async def test_transfer_to_another_municipality(api: Api) -> None:
    home = await unused_municipality(api.pool)
    receiving = await unused_municipality(api.pool)
    put = await api.http.put(f"/municipalities/{receiving}", json={"name": "Modtager", "contact_working_days": 9})
    assert put.status_code == 200
    case_id = await contacted_case(api.http, home_municipality_code=home)

    case = await ok(api.http, case_id, "transfer", {"to_municipality_code": receiving, "reason": "citizen_request"})
    assert (case["status"], case["responsible_municipality_code"]) == ("distributed", receiving)
    assert case["guarantee_status_reason"] == "anden_kommune" and case["start_guarantee_lapsed"] is True
    assert case["contact_working_days"] == 9  # the receiving municipality's deadline, from its register
    assert case["sub_level"] is None and case["contacted_at"] is None
    assert case["plan"]["home_municipality_code"] == home
    (transferred,) = of_type(await timeline(api.http, case_id), "CaseTransferred")
    assert (transferred["data"]["from_municipality_code"], transferred["data"]["reason"]) == (home, "citizen_request")

    listed = await list_items(api.http, municipality=receiving)
    assert case_id in listed and case_id not in await list_items(api.http, municipality=home)
    row = listed[case_id]
    assert (row["municipality_code"], row["responsible_municipality_code"]) == (home, receiving)
    assert (row["status"], row["guarantee_status_reason"]) == ("distributed", "anden_kommune")

    same = await command(api.http, case_id, "transfer", {"to_municipality_code": receiving, "reason": "citizen_moved"})
    assert same.status_code == 422 and field_names(same) == ["to_municipality_code"]
    bad_reason = await command(api.http, case_id, "transfer", {"to_municipality_code": home, "reason": "whim"})
    assert bad_reason.status_code == 422 and field_names(bad_reason) == ["reason"]
    started = await started_case(api.http, home)
    too_late = await command(
        api.http, started, "transfer", {"to_municipality_code": receiving, "reason": "citizen_request"}
    )
    assert too_late.status_code == 409 and "training has started" in too_late.json()["detail"]


async def test_revocation_closes_the_case_as_sent_in_error(api: Api) -> None:
    created = await post_plan(api.http, _plan_discharged(0))
    case_id, plan_id = created.json()["case_id"], created.json()["plan"]["plan_id"]
    await wait_for_case(api.http, case_id, status="distributed")
    no_reason = await command(api.http, case_id, "revocation", {"reason": ""})
    assert no_reason.status_code == 422 and field_names(no_reason) == ["reason"]

    case = await ok(api.http, case_id, "revocation", {"reason": "Sendt på forkert patient"})
    assert (case["status"], case["close_reason"]) == ("closed", "plan_sent_in_error")
    assert case["revoked_plan_ids"] == [plan_id] and case["guarantee_status_reason"] == "fejl"
    types = [e["type"] for e in await timeline(api.http, case_id)]
    assert types[-2:] == ["PlanRevoked", "CaseClosed"]
    for name, body in (("classification", {"sub_level": "basal"}), ("revocation", {"reason": "igen"})):
        response = await command(api.http, case_id, name, body)
        assert response.status_code == 409, name
