"""Applications end to end: HTTP -> Temporal dev server -> ApplicationWorkflow -> PostgreSQL -> read model."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import PROBLEM_JSON, Api, danish_today, unused_municipality
from tests.support.application_api_helpers import (
    CASEWORKER,
    command,
    post_application,
    running_application_api,
    wait_for_application,
)
from tests.support.application_factories import application_payload
from tests.support.factories import SYNTHETIC_CPR
from tests.support.workflow_helpers import search_attribute
from workflows.domain.applications.events import application_event_from_json
from workflows.domain.applications.state import ApplicationState, fold
from workflows.shell import search_attributes as keys


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_application_api(dev_server_env, pool) as running:
        yield running


def days(offset: int) -> str:
    return (danish_today() + timedelta(days=offset)).isoformat()


async def new_application(api: Api, **overrides: Any) -> str:
    body = application_payload(**{"application_date": danish_today(), **overrides})
    response = await post_application(api.http, body)
    assert response.status_code == 201, response.text
    application_id: str = response.json()["application_id"]
    return application_id


async def ok(api: Api, application_id: str, name: str, body: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    response = await command(api.http, application_id, name, body, **kwargs)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_an_application_through_appeal_and_ankestyrelsen(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    body = application_payload(
        application_date=danish_today(), municipality_code=municipality, covered_by_aeldreloven=True
    )
    created = await post_application(api.http, body)
    assert created.status_code == 201, created.text
    application_id = created.json()["application_id"]
    assert created.headers["location"] == f"/applications/{application_id}"
    assert created.json()["legal_reference"]["care_level"] == "aeldreloven"  # dated today, after 1 July 2025

    refusal = {"outcome": "refused", "reason": "Kan træne selv", "notified_on": days(0)}
    steps: list[tuple[str, dict[str, Any], str]] = [
        ("gp-information-request", {"reply_by": days(10)}, "under_assessment"),
        ("gp-information-reply", {}, "under_assessment"),
        ("transport-assessment", {"granted": False, "grounds": "Kan benytte bus"}, "under_assessment"),
        ("decision", refusal, "refused"),
        ("appeal", {"received_on": days(0)}, "appealed"),
        ("reassessment", {"outcome": "upheld", "note": "Fastholdt"}, "upheld"),
        ("ankestyrelsen-forwarding", {"forwarded_on": days(0)}, "at_ankestyrelsen"),
        ("ankestyrelsen-outcome", {"outcome": "returned", "decided_on": days(0)}, "under_assessment"),
        (
            "decision",
            {"outcome": "granted", "period_from": days(0), "period_to": days(60), "notified_on": days(0)},
            "granted",
        ),
    ]
    final: dict[str, Any] = {}
    for name, step, status in steps:
        final = await ok(api, application_id, name, step, actor=f"caseworker:{name}")
        assert final["status"] == status, name
    assert final["decision_basis"] == "after_ankestyrelsen" and final["free_of_charge"] is True
    assert final["appeal_guidance"]["appeal_due_on"] == days(28)
    assert final["next_deadline"]["kind"] == "grant_period" and final["overdue"] is False

    # Each decision's letter goes out beside the caseworker's steps: wait until the sender has reported on both.
    for _ in range(300):
        current = (await api.http.get(f"/applications/{application_id}")).json()
        if len(current["messages"]) == 2 and all(m["status"] == "sent" for m in current["messages"].values()):
            break
        await asyncio.sleep(0.05)
    assert {key: current[key] for key in final if key not in ("version", "updated_at", "messages")} == {
        key: final[key] for key in final if key not in ("version", "updated_at", "messages")
    }  # the read model agrees
    final = current
    events = (await api.http.get(f"/applications/{application_id}/events")).json()["events"]
    letters = [e["type"] for e in events if e["type"].startswith("Message")]
    assert sorted(letters) == sorted(["MessageQueued", "MessageSent"] * 2)  # both decisions written
    events_without_letters = [e for e in events if not e["type"].startswith("Message")]
    assert [e["type"] for e in events_without_letters] == [
        "ApplicationReceived",
        "GpInformationRequested",
        "GpInformationReceived",
        "TransportAssessed",
        "DecisionMade",
        "AppealReceived",
        "ReassessmentCompleted",
        "ForwardedToAnkestyrelsen",
        "AnkestyrelsenOutcomeRecorded",
        "DecisionMade",
    ]
    assert events[0]["actor"] == CASEWORKER and events_without_letters[-1]["actor"] == "caseworker:decision"
    folded = fold(
        ApplicationState(application_id=application_id), [application_event_from_json(e["data"]) for e in events]
    )
    assert folded == ApplicationState.model_validate({key: final[key] for key in ApplicationState.model_fields})

    listed = (await api.http.get("/applications", params={"municipality": municipality})).json()["items"]
    assert [item["application_id"] for item in listed] == [application_id]
    assert "citizen" not in listed[0] and listed[0]["care_level"] == "aeldreloven"
    handle = api.env.client.get_workflow_handle(f"application-{application_id}")
    assert await search_attribute(handle, keys.CARE_LEVEL.name) == "aeldreloven"  # type: ignore[arg-type]
    assert await search_attribute(handle, keys.MUNICIPALITY_CODE.name) == municipality  # type: ignore[arg-type]
    assert (await api.http.get(f"/cases/{application_id}")).status_code == 404  # not a hospital case


async def test_list_filters_by_status_and_pages(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    ids = [await new_application(api, municipality_code=municipality) for _ in range(3)]
    await ok(api, ids[1], "closure", {"reason": "withdrawn_by_citizen"})
    pages: list[str] = []
    cursor: str | None = None
    while True:
        params = {"municipality": municipality, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await api.http.get("/applications", params=params)).json()
        pages += [item["application_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == list(reversed(ids))
    closed = (await api.http.get("/applications", params={"municipality": municipality, "status": "closed"})).json()
    assert [item["application_id"] for item in closed["items"]] == [ids[1]]
    bad = await api.http.get("/applications", params={"cursor": "bm90IGEgY3Vyc29y"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"


async def test_the_same_idempotency_key_is_one_application_and_one_command(api: Api) -> None:
    body, key = application_payload(application_date=danish_today()), str(uuid.uuid4())
    first = await post_application(api.http, body, key=key)
    again = await post_application(api.http, body, key=key)
    assert (first.status_code, again.status_code) == (201, 200)
    application_id = first.json()["application_id"]
    assert again.json()["application_id"] == application_id
    other = await post_application(api.http, {**body, "description_of_need": "Andet behov"}, key=key)
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")
    assert other.json()["errors"][0]["field"] == "header.Idempotency-Key"

    transport = {"granted": True, "grounds": "Kørestolsbruger"}
    command_key = str(uuid.uuid4())
    answers = [await ok(api, application_id, "transport-assessment", transport, key=command_key) for _ in range(2)]
    assert answers[0]["version"] == answers[1]["version"] == 2


@pytest.mark.parametrize(
    ("name", "body", "fields"),
    [
        ("decision", {"outcome": "granted", "notified_on": days(0)}, ["period_from", "period_to"]),
        ("decision", {"outcome": "refused", "notified_on": days(0)}, ["reason"]),
        (
            "decision",
            {"outcome": "granted", "period_from": days(0), "period_to": days(9), "notified_on": days(1)},
            ["notified_on"],
        ),
        ("gp-information-request", {"reply_by": days(-1)}, ["reply_by"]),
        ("reassessment", {"outcome": "changed"}, ["decision"]),
        ("closure", {"reason": "other"}, ["note"]),
        ("closure", {"reason": "bored"}, ["reason"]),
    ],
)
async def test_invalid_commands_are_422_naming_the_field(
    api: Api, name: str, body: dict[str, Any], fields: list[str]
) -> None:
    application_id = await new_application(api)
    response = await command(api.http, application_id, name, body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == fields


async def test_a_late_appeal_is_422_naming_received_on(api: Api) -> None:
    application_id = await new_application(api, application_date=date.fromisoformat(days(-60)))
    grant = {"outcome": "granted", "period_from": days(-40), "period_to": days(30), "notified_on": days(-29)}
    await ok(api, application_id, "decision", grant)
    response = await command(api.http, application_id, "appeal", {"received_on": days(0)})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "received_on", "message": f"the appeal is late: the appeal period ended on {days(-1)}"}
    ]
    assert (await ok(api, application_id, "appeal", {"received_on": days(-1)}))["status"] == "appealed"


async def test_a_refusal_whose_appeal_period_is_over_closes_by_its_timer(api: Api) -> None:
    application_id = await new_application(api, application_date=date.fromisoformat(days(-60)))
    await ok(api, application_id, "decision", {"outcome": "refused", "reason": "Ingen behov", "notified_on": days(-40)})
    closed = await wait_for_application(api.http, application_id, "closed")
    assert closed["close_reason"] == "refusal_not_appealed"


async def test_intake_problems_name_the_field_and_keep_the_cpr_out_of_the_logs(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    body = application_payload(application_date=danish_today())
    with caplog.at_level(logging.DEBUG):
        bad_cpr = await post_application(api.http, {**body, "citizen": {"cpr": "3213479989", "name": "X"}})
        future = await post_application(api.http, {**body, "application_date": days(1)})
        accepted = await post_application(api.http, body)
    assert [e["field"] for e in bad_cpr.json()["errors"]] == ["citizen.cpr"]
    assert future.status_code == 422 and [e["field"] for e in future.json()["errors"]] == ["application_date"]
    assert accepted.status_code == 201
    assert "3213479989" not in caplog.text and SYNTHETIC_CPR not in caplog.text
    missing = await api.http.post("/applications", json={**body, "legal_basis": "stk3"})
    assert {e["field"] for e in missing.json()["errors"]} == {"legal_basis"}


async def test_a_closed_application_answers_409(api: Api) -> None:
    application_id = await new_application(api)
    assert (await ok(api, application_id, "closure", {"reason": "deceased"}))["status"] == "closed"
    await api.env.client.get_workflow_handle(f"application-{application_id}").result()  # the workflow is gone
    for name, body in (
        ("closure", {"reason": "deceased"}),
        ("transport-assessment", {"granted": True, "grounds": "x"}),
    ):
        response = await command(api.http, application_id, name, body)
        assert response.status_code == 409 and response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["type"].endswith("application-closed") and "closed" in response.json()["detail"]


async def test_a_command_the_status_does_not_allow_is_409(api: Api) -> None:
    application_id = await new_application(api)
    response = await command(api.http, application_id, "appeal", {"received_on": days(0)})
    assert response.status_code == 409 and response.json()["type"].endswith("not-allowed-now")
    assert "while the application is under_assessment" in response.json()["detail"]


async def test_unknown_and_malformed_applications(api: Api) -> None:
    unknown = uuid.uuid4()
    for response in (
        await api.http.get(f"/applications/{unknown}"),
        await api.http.get(f"/applications/{unknown}/events"),
        await command(api.http, str(unknown), "closure", {"reason": "deceased"}),
    ):
        assert response.status_code == 404 and response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["type"].endswith("application-not-found") and str(unknown) in response.json()["detail"]
    malformed = await api.http.post("/applications/not-a-uuid/closure", json={"reason": "deceased"})
    assert {e["field"] for e in malformed.json()["errors"]} == {"path.application_id"}
