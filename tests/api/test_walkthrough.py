"""The README's curl walkthrough, pasted at once: no command waits for the plan's copies to go out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest_asyncio
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import (
    Api,
    command,
    danish_today,
    fresh_plan,
    post_plan,
    register_provider,
    running_api,
    unused_municipality,
)
from workflows.shell.identity import workflow_id_for_case


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def _events(api: Api, case_id: str) -> list[dict[str, Any]]:
    response = await api.http.get(f"/cases/{case_id}/events")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


async def _until_delivered(api: Api, case_id: str) -> list[dict[str, Any]]:
    """The timeline once the three copies are recorded (at most ~15 s)."""
    events: list[dict[str, Any]] = []
    for _ in range(300):
        events = await _events(api, case_id)
        # Settled: the letter sent (the sender reported) and the two copies withheld (none forwarded here).
        types = [e["type"] for e in events]
        if "MessageSent" in types and types.count("PlanDeliveryWithheld") == 2:
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"the copies never all went out: {[e['type'] for e in events]}")


async def test_the_readme_walkthrough_pasted_at_once(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    registered = await api.http.put(
        f"/municipalities/{municipality}", json={"name": "Testkommune", "contact_working_days": 4}
    )
    assert registered.status_code == 200, registered.text
    provider_id = await register_provider(api.http, municipality)

    created = await post_plan(api.http, fresh_plan(home_municipality_code=municipality))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    first = danish_today() + timedelta(days=3)
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("classification", {"sub_level": "basal"}, "classified"),
        ("contact", {"channel": "phone", "informed_of_provider_choices": True}, "citizen_contacted"),
        ("provider", {"provider_id": provider_id}, "provider_chosen"),
        ("start-offer", {"first_appointment_on": first.isoformat()}, "training_started"),
        # Pasted at once, the letter may still be on its way: confirmed, as the README does (the closing check).
        ("completion", {"confirm": True}, "completed"),
    ]
    final: dict[str, Any] = {}
    for name, body, status in steps:  # no wait for `distributed` anywhere
        response = await command(api.http, case_id, name, body)
        assert response.status_code == 200, f"{name}: {response.text}"
        final = response.json()
        assert final["status"] == status
    assert (final["next_deadline"], final["overdue"], final["free_choice_open"]) == (None, False, False)

    # The copies go out beside the caseworker's steps, are all recorded, and never move the case back.
    events = await _until_delivered(api, case_id)
    settling = ("MessageQueued", "PlanDeliveryWithheld")
    assert {e["data"]["recipient"] for e in events if e["type"] in settling} == {
        "patient",
        "gp",
        "municipality",
    }
    handle = api.env.client.get_workflow_handle(workflow_id_for_case(case_id))
    await handle.result()
    assert (await handle.describe()).status is WorkflowExecutionStatus.COMPLETED
    read = await api.http.get(f"/cases/{case_id}")
    assert read.status_code == 200, read.text
    case = read.json()
    assert case["status"] == "completed" and len(case["deliveries"]) == 3
    assert case["version"] == len(await _events(api, case_id))  # the read model holds every event


async def test_a_first_appointment_before_receipt_names_the_field(api: Api) -> None:
    plan = fresh_plan(discharge_date=(danish_today() - timedelta(days=5)).isoformat())
    created = await post_plan(api.http, plan)
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    provider_id = await register_provider(api.http, plan["home_municipality_code"])
    for name, body in [
        ("classification", {"sub_level": "basal"}),
        ("contact", {"channel": "phone", "informed_of_provider_choices": True}),
        ("provider", {"provider_id": provider_id}),
    ]:
        assert (await command(api.http, case_id, name, body)).status_code == 200
    yesterday = danish_today() - timedelta(days=1)  # after the discharge, before the plan arrived
    response = await command(api.http, case_id, "start-offer", {"first_appointment_on": yesterday.isoformat()})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == ["first_appointment_on"]
    assert f"received the plan on {danish_today().isoformat()}" in errors[0]["message"]
