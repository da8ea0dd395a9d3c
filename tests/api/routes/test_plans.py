"""Plans after re-admission (`previous_plan`: replaces or parallel), CPR warnings at intake, and the case list's
columns for reminders and escalation, including the plan index and a rebuild of the cases read model."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.queries import cases as case_queries
from activities.store.eventstore import EventStore
from activities.store.rebuild import rebuild_cases_projection
from tests.support.api_helpers import (
    Api,
    danish_today,
    fresh_plan,
    post_plan,
    running_api,
    unused_municipality,
    wait_for_case,
)
from tests.support.factories import HOSPITAL_SOR_ID, make_append, make_plan, new_case_id, plan_received
from tests.support.rulebook_api_helpers import field_names, list_items, of_type, ok, timeline, wait_for_events
from tests.support.staff_helpers import register_teams
from workflows.domain.events import CaseEvent, ContactDeadlineMissed, ContactReminderDue, PlanDelivered, TeamAssigned
from workflows.domain.model import DISCHARGE_RECIPIENTS
from workflows.shell.identity import case_id_for_plan


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


def _after(previous: dict[str, Any], relation: str, **overrides: Any) -> dict[str, Any]:
    """A new plan from the same hospital for the same citizen, linked to `previous`."""
    return fresh_plan(
        previous_plan={"plan_id": previous["plan_id"], "relation": relation},
        patient=previous["patient"],
        training_need="Genoptræning efter genindlæggelse.",
        **overrides,
    )


def _delivered(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events that settle a plan's copies: a message queued for it, or the copy withheld."""
    return [
        e
        for e in events
        if (e["type"] == "MessageQueued" and e["data"]["plan_id"]) or e["type"] == "PlanDeliveryWithheld"
    ]


async def _distributed(api: Api, plan: dict[str, Any]) -> str:
    created = await post_plan(api.http, plan)
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await wait_for_case(api.http, case_id, status="distributed")
    return case_id


async def test_replacing_plan_continues_the_case_of_the_plan_it_replaces(api: Api) -> None:
    first = fresh_plan(discharge_date=danish_today() - timedelta(days=2))
    case_id = await _distributed(api, first)
    await ok(api.http, case_id, "classification", {"sub_level": "basal"})
    await register_teams(api.pool, "team-vest")
    await ok(api.http, case_id, "team", {"team": "team-vest"})

    second = _after(first, "replaces")
    replaced = await post_plan(api.http, second)
    assert replaced.status_code == 200, replaced.text
    case = replaced.json()
    assert case["case_id"] == case_id and case["plan"]["plan_id"] == second["plan_id"]
    assert case["revoked_plan_ids"] == [first["plan_id"]]
    assert case["sub_level"] is None and case["team"] == "team-vest"  # the course starts over; the team stays
    assert case["start_guarantee_due_on"] == (danish_today() + timedelta(days=7)).isoformat()  # new discharge
    events = await wait_for_events(api.http, case_id, lambda e: len(_delivered(e)) == 6, "three new deliveries")
    assert sorted(e["data"]["recipient"] for e in _delivered(events)[3:]) == ["gp", "municipality", "patient"]
    (replacement,) = of_type(events, "PlanReplaced")
    assert replacement["data"]["previous_plan_id"] == first["plan_id"]
    assert replacement["actor"] == f"hospital:{HOSPITAL_SOR_ID}"
    await wait_for_case(api.http, case_id, status="distributed")

    # Each plan stays with this case: resending either one answers with it and stores nothing.
    for plan in (second, first):
        again = await post_plan(api.http, plan)
        assert (again.status_code, again.json()["case_id"]) == (200, case_id)
    assert len(of_type(await timeline(api.http, case_id), "PlanReplaced")) == 1
    assert (await post_plan(api.http, {**second, "training_need": "Ændret."})).status_code == 409

    # A chain: a third plan replaces the second.
    third = await post_plan(api.http, _after(second, "replaces"))
    assert third.status_code == 200 and third.json()["case_id"] == case_id
    assert third.json()["revoked_plan_ids"] == [first["plan_id"], second["plan_id"]]
    stale = await post_plan(api.http, _after(first, "replaces"))  # names a plan no longer the case's own
    assert stale.status_code == 422 and field_names(stale) == ["previous_plan"]


async def test_replacing_plan_is_queued_for_sending_again(api: Api) -> None:
    first = fresh_plan()
    case_id = await _distributed(api, first)
    assert (await post_plan(api.http, _after(first, "replaces"))).status_code == 200
    events = await wait_for_events(api.http, case_id, lambda e: len(_delivered(e)) == 6, "three new deliveries")
    # Each plan's first-contact letter is its own message; nothing claims a delivery.
    message_ids = [e["data"]["message_id"] for e in _delivered(events) if e["type"] == "MessageQueued"]
    assert len(set(message_ids)) == 2
    assert of_type(events, "PlanDelivered") == []


async def test_replacing_plan_needs_a_known_previous_plan_of_the_same_citizen(api: Api) -> None:
    unknown = fresh_plan(previous_plan={"plan_id": f"GOP-{uuid.uuid4().hex[:8]}", "relation": "replaces"})
    response = await post_plan(api.http, unknown)
    assert response.status_code == 422 and field_names(response) == ["previous_plan.plan_id"]
    assert response.json()["type"].endswith("unknown-previous-plan")
    assert await case_queries.get_case(api.pool, case_id_for_plan(HOSPITAL_SOR_ID, unknown["plan_id"])) is None

    first = fresh_plan()
    case_id = await _distributed(api, first)
    other_citizen = {**_after(first, "replaces"), "patient": {"cpr": "0101004000", "name": "En Anden"}}
    response = await post_plan(api.http, other_citizen)
    assert response.status_code == 422 and field_names(response) == ["patient.cpr"]
    assert of_type(await timeline(api.http, case_id), "PlanReplaced") == []
    await ok(api.http, case_id, "closure", {"reason": "deceased", "confirm": True})  # past the closing check
    ended = await post_plan(api.http, _after(first, "replaces"))
    assert ended.status_code == 409 and ended.json()["type"].endswith("case-closed")


async def test_parallel_plan_starts_its_own_case(api: Api) -> None:
    first = fresh_plan()
    case_id = await _distributed(api, first)
    parallel = _after(first, "parallel")
    created = await post_plan(api.http, parallel)
    assert created.status_code == 201, created.text
    assert created.json()["case_id"] == case_id_for_plan(HOSPITAL_SOR_ID, parallel["plan_id"]) != case_id
    assert created.json()["plan"]["previous_plan"] == {"plan_id": first["plan_id"], "relation": "parallel"}
    assert created.json()["revoked_plan_ids"] == []
    assert (await api.http.get(f"/cases/{case_id}")).json()["plan"]["plan_id"] == first["plan_id"]


async def test_cpr_failing_modulus_11_is_accepted_with_a_warning(api: Api) -> None:
    flagged = fresh_plan(patient={"cpr": "010100-4000", "name": "Født Nytår"})  # 1 January 2000; fails modulus 11
    created = await post_plan(api.http, flagged)
    assert created.status_code == 201, created.text
    assert created.json()["warnings"] == ["cpr_fails_modulus_11"]
    assert created.json()["plan"]["patient"]["cpr"] == "0101004000"
    stored = (await api.http.get(f"/cases/{created.json()['case_id']}")).json()
    assert stored["warnings"] == ["cpr_fails_modulus_11"]
    passing = fresh_plan(patient={"cpr": "0101701018", "name": "Født 1970"})  # passes modulus 11
    assert (await post_plan(api.http, passing)).json()["warnings"] == []

    impossible = fresh_plan()
    impossible["patient"]["cpr"] = "3102004000"  # 31 February: no birth date
    response = await post_plan(api.http, impossible)
    assert response.status_code == 422 and field_names(response) == ["patient.cpr"]


async def test_list_shows_reminder_and_escalation_and_survives_a_rebuild(api: Api) -> None:
    """Reminders and missed contact deadlines fall due days after receipt, so they are stored directly."""
    municipality = await unused_municipality(api.pool)
    case_id = new_case_id()
    received = plan_received(make_plan(home_municipality_code=municipality))
    assert received.contact_due_on is not None
    at = received.occurred_at
    events: list[CaseEvent] = [
        received,
        *(PlanDelivered(occurred_at=at, recipient=r, message_id=str(uuid.uuid4())) for r in DISCHARGE_RECIPIENTS),
        TeamAssigned(occurred_at=at, team="team-øst"),
        ContactReminderDue(occurred_at=at, due_on=received.contact_due_on, team="team-øst"),
    ]
    store = EventStore(api.pool)
    await store.append(make_append(case_id, events, 0))
    row = (await list_items(api.http, municipality=municipality))[case_id]
    assert (row["team"], row["contact_reminder_sent"], row["contact_overdue"], row["overdue"]) == (
        "team-øst",
        True,
        False,
        False,
    )
    missed = ContactDeadlineMissed(occurred_at=at, due_on=received.contact_due_on)
    await store.append(make_append(case_id, [missed], len(events)))
    row = (await list_items(api.http, municipality=municipality, overdue="true"))[case_id]
    assert (row["contact_overdue"], row["overdue"], row["responsible_municipality_code"]) == (True, True, municipality)
    plan = received.plan
    indexed = await case_queries.find_plan(api.pool, plan.sending_hospital_sor_id, plan.plan_id)
    assert indexed == {"case_id": case_id, "plan_fingerprint": received.plan_fingerprint}

    before = await case_queries.get_case(api.pool, case_id)
    await rebuild_cases_projection(api.pool, batch_size=50)
    assert await case_queries.get_case(api.pool, case_id) == before
    assert await case_queries.find_plan(api.pool, plan.sending_hospital_sor_id, plan.plan_id) == indexed
