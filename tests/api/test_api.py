"""The API end to end: HTTP -> Temporal dev server -> workflow -> PostgreSQL event store -> read models."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.queries import cases as case_queries
from tests.support.api_helpers import (
    CASEWORKER,
    PROBLEM_JSON,
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
from tests.support.factories import HOSPITAL_SOR_ID, SYNTHETIC_CPR
from workflows.domain.events import event_from_json
from workflows.domain.state import CaseState, fold
from workflows.shell.identity import case_id_for_plan


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def test_almen_route_through_http(api: Api) -> None:
    http = api.http
    municipality = await unused_municipality(api.pool)
    response = await http.put(
        f"/municipalities/{municipality}", json={"name": "Testkommune", "contact_working_days": 7}
    )
    assert response.status_code == 200
    provider_id = await register_provider(http, municipality)

    created = await post_plan(http, fresh_plan(home_municipality_code=municipality))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    assert created.headers["location"] == f"/cases/{case_id}"
    assert created.json()["contact_working_days"] == 7  # from the municipality register, not the default
    await wait_for_case(http, case_id, status="distributed")

    steps: list[tuple[str, dict[str, Any], str]] = [
        ("classification", {"sub_level": "avanceret", "reason": "Behov for holdtræning"}, "classified"),
        ("contact", {"channel": "phone", "informed_of_provider_choices": True}, "citizen_contacted"),
        ("provider", {"provider_id": provider_id}, "provider_chosen"),
        ("start-offer", {"first_appointment_on": (danish_today() + timedelta(days=3)).isoformat()}, "training_started"),
        # Confirmed: every test plan is the same citizen's, whose other cases stay open (the closing check).
        ("completion", {"note": "Mål nået", "confirm": True}, "completed"),
    ]
    final: dict[str, Any] = {}
    for name, body, status in steps:
        response = await command(http, case_id, name, body, actor=f"caseworker:{name}")
        assert response.status_code == 200, response.text
        final = response.json()
        assert final["status"] == status
    assert final["provider"] == {
        "provider_id": provider_id,
        "name": f"Genoptræning {provider_id}",
        "municipality_code": municipality,
        "kind": "own",
    }
    assert final["sub_level"] == "avanceret" and final["overdue"] is False and final["next_deadline"] is None

    timeline = await http.get(f"/cases/{case_id}/events")
    assert timeline.status_code == 200
    events = timeline.json()["events"]
    # The copies settle with the plan's receipt, in the same append (the letter queued for the case to send, the
    # plan copies withheld: nothing is forwarded here); the sender's report (MessageSent) comes whenever the spool
    # took the letter.
    case_steps = [(e["type"], e["actor"]) for e in events if e["type"] not in ("MessageSent", "MessageAcknowledged")]
    assert case_steps == [
        ("PlanReceived", f"hospital:{HOSPITAL_SOR_ID}"),
        ("MessageQueued", f"hospital:{HOSPITAL_SOR_ID}"),
        ("PlanDeliveryWithheld", f"hospital:{HOSPITAL_SOR_ID}"),
        ("PlanDeliveryWithheld", f"hospital:{HOSPITAL_SOR_ID}"),
        ("AlmenSubLevelClassified", "caseworker:classification"),
        ("CitizenContacted", "caseworker:contact"),
        ("ProviderChosen", "caseworker:provider"),
        ("StartOffered", "caseworker:start-offer"),
        ("CourseCompleted", "caseworker:completion"),
    ]
    assert [e["version"] for e in events] == list(range(1, len(events) + 1))
    positions = [e["global_position"] for e in events]
    assert positions == sorted(positions) and len(set(positions)) == len(positions)
    case_commands = [e["command_type"] for e in events if e["type"] not in ("MessageSent", "MessageAcknowledged")]
    assert case_commands[-5:] == [
        "ClassifyAlmenLevel",
        "RecordCitizenContact",
        "ChooseProvider",
        "OfferStart",
        "CompleteCourse",
    ]
    assert all(e["command_id"] and e["recorded_at"] and e["occurred_at"] for e in events)

    folded = fold(CaseState(case_id=case_id), [event_from_json(e["data"]) for e in events])
    returned = CaseState.model_validate({key: final[key] for key in CaseState.model_fields})
    assert folded == returned
    stored = (await http.get(f"/cases/{case_id}")).json()
    assert stored == final  # the read model agrees with the workflow


async def test_same_plan_twice_is_one_case(api: Api) -> None:
    plan = fresh_plan()
    first = await post_plan(api.http, plan)
    second = await post_plan(api.http, plan)
    assert (first.status_code, second.status_code) == (201, 200)
    case_id = first.json()["case_id"]
    assert second.json()["case_id"] == case_id == case_id_for_plan(HOSPITAL_SOR_ID, plan["plan_id"])
    timeline = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
    assert [e["type"] for e in timeline].count("PlanReceived") == 1


async def test_same_plan_id_with_other_content_conflicts(api: Api) -> None:
    plan = fresh_plan()
    assert (await post_plan(api.http, plan)).status_code == 201
    changed = {**plan, "training_need": "Noget helt andet."}
    response = await post_plan(api.http, changed)
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("plan-conflict")
    assert "different content" in response.json()["detail"]


async def test_invalid_cpr_names_the_field_and_stays_out_of_the_logs(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    plan = fresh_plan()
    plan["patient"]["cpr"] = "3213479989"  # 32 December is no birth date
    with caplog.at_level(logging.DEBUG):
        response = await post_plan(api.http, plan)
        accepted = await post_plan(api.http, fresh_plan())
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert [error["field"] for error in problem["errors"]] == ["patient.cpr"]
    assert problem["status"] == 422 and problem["instance"] == "/plans"
    assert accepted.status_code == 201
    assert "3213479989" not in caplog.text and SYNTHETIC_CPR not in caplog.text


async def test_missing_field_is_named(api: Api) -> None:
    plan = fresh_plan()
    del plan["discharge_date"]
    del plan["contents"]["social_network"]
    response = await post_plan(api.http, plan)
    assert response.status_code == 422
    assert sorted(error["field"] for error in response.json()["errors"]) == [
        "contents.social_network",
        "discharge_date",
    ]


async def test_unknown_case_is_404(api: Api) -> None:
    unknown = uuid.uuid4()
    for response in (
        await api.http.get(f"/cases/{unknown}"),
        await api.http.get(f"/cases/{unknown}/events"),
        await command(api.http, str(unknown), "classification", {"sub_level": "basal"}),
    ):
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON
        assert str(unknown) in response.json()["detail"]


async def test_a_malformed_case_id_is_422(api: Api) -> None:
    response = await api.http.post("/cases/not-a-uuid/classification", json={"sub_level": "basal"})
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"path.case_id"}


async def test_out_of_order_command_is_409_with_a_reason(api: Api) -> None:
    case_id = await distributed_case(api.http)
    response = await command(api.http, case_id, "start-offer", {"first_appointment_on": danish_today().isoformat()})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"].endswith("not-allowed-now")
    assert "cannot offer a start while the case is distributed" in problem["detail"]
    # Received, the letter queued, two copies withheld, the letter sent: nothing more was stored.
    assert (await api.http.get(f"/cases/{case_id}")).json()["version"] == 5


async def test_invalid_provider_is_422_naming_provider_id(api: Api) -> None:
    case_id = await distributed_case(api.http)
    for name, body in (
        ("classification", {"sub_level": "basal"}),
        ("contact", {"channel": "letter", "informed_of_provider_choices": True}),
    ):
        response = await command(api.http, case_id, name, body)
        assert response.status_code == 200, response.text
    inactive = await register_provider(api.http, "101")
    await case_queries.set_provider_active(api.pool, inactive, False)
    # Another municipality's private provider passes the register but not the free-choice rule (decider).
    foreign_private = await register_provider(api.http, await unused_municipality(api.pool), kind="contracted")
    for provider_id, message in (
        ("no-such-provider", "is not in the provider register"),
        (inactive, "is no longer active"),
        (foreign_private, "another municipality's private provider"),
    ):
        response = await command(api.http, case_id, "provider", {"provider_id": provider_id})
        assert response.status_code == 422, provider_id
        errors = response.json()["errors"]
        assert [error["field"] for error in errors] == ["provider_id"]
        assert message in errors[0]["message"]
    assert (await api.http.get(f"/cases/{case_id}")).json()["status"] == "citizen_contacted"


async def test_invalid_contact_time_is_422_from_the_decider(api: Api) -> None:
    case_id = await distributed_case(api.http)
    assert (await command(api.http, case_id, "classification", {"sub_level": "basal"})).status_code == 200
    future = (danish_today() + timedelta(days=2)).isoformat() + "T10:00:00+01:00"
    body = {"channel": "phone", "informed_of_provider_choices": True, "contacted_at": future}
    response = await command(api.http, case_id, "contact", body)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "contacted_at", "message": "contacted_at lies in the future"}]


async def test_closed_case_takes_no_commands(api: Api) -> None:
    plan = fresh_plan()
    created = await post_plan(api.http, plan)
    case_id = created.json()["case_id"]
    await wait_for_case(api.http, case_id, status="distributed")
    closed = await command(api.http, case_id, "closure", {"reason": "citizen_did_not_show", "confirm": True})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    handle = api.env.client.get_workflow_handle(f"case-{case_id}")
    await handle.result()  # the workflow has completed: commands now meet no running workflow
    response = await command(api.http, case_id, "classification", {"sub_level": "basal"})
    assert response.status_code == 409
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "closed" in response.json()["detail"]
    # The plan again answers from the read model; other content under its id still conflicts.
    again = await post_plan(api.http, plan)
    assert again.status_code == 200 and again.json()["status"] == "closed"
    assert (await post_plan(api.http, {**plan, "training_need": "Ændret."})).status_code == 409


async def test_second_closure_is_409(api: Api) -> None:
    case_id = await distributed_case(api.http)
    assert (await command(api.http, case_id, "closure", {"reason": "deceased", "confirm": True})).status_code == 200
    response = await command(api.http, case_id, "closure", {"reason": "deceased"})
    assert response.status_code == 409
    assert response.json()["type"].endswith("case-closed")


async def test_idempotency_key_resend_stores_one_event(api: Api) -> None:
    case_id = await distributed_case(api.http)
    key = str(uuid.uuid4())
    first = await command(api.http, case_id, "classification", {"sub_level": "basal"}, key=key)
    second = await command(api.http, case_id, "classification", {"sub_level": "basal"}, key=key)
    assert first.status_code == second.status_code == 200
    assert first.json()["version"] == second.json()["version"] == 6
    events = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
    classified = [e for e in events if e["type"] == "AlmenSubLevelClassified"]
    assert len(classified) == 1
    assert classified[0]["command_id"] == f"classification:{key}"
    assert classified[0]["actor"] == CASEWORKER
    # Without a key, a resend is a new command, which the case now refuses.
    assert (await command(api.http, case_id, "classification", {"sub_level": "basal"})).status_code == 409
