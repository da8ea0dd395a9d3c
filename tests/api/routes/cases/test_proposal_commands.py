"""The free-text start deadline over HTTP, against PostgreSQL and Temporal: the plan's text kept verbatim, the
later start it names proposed with its words, and the caseworker's confirmation or rejection (SUL §140 stk. 4)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.auth.principal import Role
from tests.support.api_helpers import (
    PROBLEM_JSON,
    Api,
    command,
    danish_today,
    fresh_plan,
    post_plan,
    running_api,
    wait_for_case,
    wait_for_messages_settled,
)
from tests.support.auth_helpers import DEFAULT_SOR, bearer
from tests.support.ggop_fixtures import fresh, ggop, on_day
from tests.support.rulebook_api_helpers import field_names, of_type, timeline

TEXT = "Genoptræning tidligst 14 dage efter udskrivelse af hensyn til sårheling"
SENDER_EAN = "5790000000017"  # the GGOP fixtures' sender, registered for the test hospital's SOR id
CONFIRM, REJECT = "start-date-proposal/confirmation", "start-date-proposal/rejection"


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool, medcom_sender_sor_by_ean={SENDER_EAN: DEFAULT_SOR}) as running:
        yield running


async def _proposed_case(api: Api, text: str | None = TEXT) -> dict[str, Any]:
    created = await post_plan(api.http, fresh_plan(rehabilitation_deadline_text=text))
    assert created.status_code == 201, created.text
    # The copies go out in the background, each a version of the case: wait until they are out and sent.
    case_id = created.json()["case_id"]
    await wait_for_case(api.http, case_id, status="distributed")
    return await wait_for_messages_settled(api.http, case_id)


async def test_the_plan_text_is_kept_verbatim_and_its_later_start_proposed(api: Api) -> None:
    today = danish_today()
    case = await _proposed_case(api)
    assert case["plan"]["rehabilitation_deadline_text"] == TEXT
    assert case["start_date_proposal"] == {
        "plan_id": case["plan"]["plan_id"],
        "proposed_on": (today + timedelta(days=14)).isoformat(),
        "source_text": "tidligst 14 dage efter udskrivelse",
        "proposed_at": case["received_at"],
        "outcome": "open",
        "decided_at": None,
        "reason": None,
    }
    assert case["start_guarantee_due_on"] == (today + timedelta(days=7)).isoformat()  # proposed only
    (proposed,) = of_type(await timeline(api.http, case["case_id"]), "StartDateProposed")
    assert proposed["data"]["source_text"] == "tidligst 14 dage efter udskrivelse"
    assert proposed["data"]["source_start"] == TEXT.index("tidligst")
    assert proposed["data"]["counts_from"] == today.isoformat()


async def test_a_text_naming_no_later_start_proposes_nothing(api: Api) -> None:
    case = await _proposed_case(api, "Genoptræning kan starte straks")
    assert case["plan"]["rehabilitation_deadline_text"] == "Genoptræning kan starte straks"
    assert case["start_date_proposal"] is None
    refused = await command(api.http, case["case_id"], CONFIRM, {"proposed_on": danish_today().isoformat()})
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM_JSON
    assert "no proposed start date" in refused.json()["detail"]


async def test_confirming_moves_the_start_guarantee_once(api: Api) -> None:
    today = danish_today()
    case = await _proposed_case(api)
    case_id, proposed_on = case["case_id"], case["start_date_proposal"]["proposed_on"]
    etag = (await api.http.get(f"/cases/{case_id}")).headers["ETag"]
    key = str(uuid.uuid4())
    headers = {"X-Actor": "caseworker:cw-7", "If-Match": etag, "Idempotency-Key": key}
    confirmed = await api.http.post(f"/cases/{case_id}/{CONFIRM}", json={"proposed_on": proposed_on}, headers=headers)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert confirmed.headers["ETag"] == f'"{body["version"]}"' and body["version"] > case["version"]
    assert body["facts_version"] == body["version"]  # the confirmation is the case's newest fact
    assert body["start_guarantee_due_on"] == (today + timedelta(days=21)).isoformat()
    assert body["guarantee_status_reason"] == "udskudt"
    assert body["start_date_proposal"]["outcome"] == "confirmed"
    (event,) = of_type(await timeline(api.http, case_id), "ProposedStartDateConfirmed")
    assert event["actor"] == "caseworker:cw-7" and event["acted_by"]["role"] == "caseworker"
    assert event["data"]["start_guarantee_due_on"] == (today + timedelta(days=21)).isoformat()

    # The same request again (its key) is answered as before; a new decision is refused: decided once.
    again = await api.http.post(f"/cases/{case_id}/{CONFIRM}", json={"proposed_on": proposed_on}, headers=headers)
    assert again.status_code == 200 and again.json()["version"] == body["version"]
    for name, payload in ((CONFIRM, {"proposed_on": proposed_on}), (REJECT, {})):
        refused = await command(api.http, case_id, name, payload)
        assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM_JSON
        assert "decided once" in refused.json()["detail"]
    assert len(of_type(await timeline(api.http, case_id), "ProposedStartDateConfirmed")) == 1


async def test_rejecting_leaves_the_start_guarantee_as_it_was(api: Api) -> None:
    case = await _proposed_case(api)
    rejected = await command(api.http, case["case_id"], REJECT, {"reason": "Teksten angår belastning"})
    assert rejected.status_code == 200, rejected.text
    body = rejected.json()
    assert body["start_guarantee_due_on"] == case["start_guarantee_due_on"]
    assert body["guarantee_status_reason"] is None
    assert (body["start_date_proposal"]["outcome"], body["start_date_proposal"]["reason"]) == (
        "rejected",
        "Teksten angår belastning",
    )
    (event,) = of_type(await timeline(api.http, case["case_id"]), "ProposedStartDateRejected")
    assert event["data"]["reason"] == "Teksten angår belastning"


async def test_bad_input_is_a_problem_naming_the_field_and_changes_nothing(api: Api) -> None:
    case = await _proposed_case(api)
    case_id = case["case_id"]
    other_day = (danish_today() + timedelta(days=15)).isoformat()
    for name, payload, field in (
        (CONFIRM, {"proposed_on": other_day}, "proposed_on"),  # not the open proposal's date
        (CONFIRM, {"proposed_on": "2026-13-01"}, "proposed_on"),
        (CONFIRM, {}, "proposed_on"),
        (CONFIRM, {"proposed_on": case["start_date_proposal"]["proposed_on"], "extra": 1}, "extra"),
        (REJECT, {"reason": "x" * 2001}, "reason"),
        (REJECT, {"reason": "nul\x00"}, "reason"),
    ):
        answer = await command(api.http, case_id, name, payload)
        assert answer.status_code == 422, (payload, answer.text)
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert field_names(answer) == [field], payload
    stale = await api.http.post(
        f"/cases/{case_id}/{REJECT}", json={}, headers={"X-Actor": "caseworker:cw-1", "If-Match": '"1"'}
    )
    assert stale.status_code == 412
    after = (await api.http.get(f"/cases/{case_id}")).json()
    # Nothing of the case changed (its letters' delivery may have been recorded meanwhile: not a fact of it).
    assert after["facts_version"] == case["facts_version"] and after["start_date_proposal"]["outcome"] == "open"


async def test_a_ggop_plan_proposes_the_later_start_its_rehabilitation_deadline_names(api: Api) -> None:
    # The same command behind both doors: MedCom's RehabilitationDeadline is mapped verbatim onto the plan.
    raw = fresh(on_day(ggop("later-start.xml"), danish_today().isoformat()))
    headers = {"Content-Type": "application/xml", **bearer(Role.HOSPITAL, sor=DEFAULT_SOR)}
    response = await api.http.post("/medcom/ggop", content=raw, headers=headers)
    assert response.status_code == 201, response.text
    case = (await api.http.get(f"/cases/{response.json()['case_id']}")).json()
    text = case["plan"]["rehabilitation_deadline_text"]
    assert text.startswith("Genoptræning tidligst 14 dage efter udskrivelse\n")  # kept verbatim, line break too
    proposal = case["start_date_proposal"]
    discharged = date.fromisoformat(case["plan"]["discharge_date"])
    assert proposal["proposed_on"] == (discharged + timedelta(days=14)).isoformat()
    assert proposal["source_text"] == "tidligst 14 dage efter udskrivelse"
    assert proposal["outcome"] == "open"
