"""Optimistic concurrency and idempotency over HTTP: ETag / If-Match, and Idempotency-Key semantics.

Against the Temporal dev server and PostgreSQL, through the API.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import (
    CASEWORKER,
    PROBLEM_JSON,
    Api,
    danish_today,
    distributed_case,
    fresh_plan,
    post_plan,
    register_provider,
    running_api,
    unused_municipality,
    wait_for_case,
    wait_for_messages_settled,
)
from tests.support.staff_helpers import register_teams

RACES = 15


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def post(
    http: httpx.AsyncClient, case_id: str, name: str, body: dict[str, Any], **headers: str
) -> httpx.Response:
    sent = {"X-Actor": CASEWORKER, **{key.replace("_", "-"): value for key, value in headers.items()}}
    return await http.post(f"/cases/{case_id}/{name}", json=body, headers=sent)


async def case_ready_for_provider(api: Api, municipality: str) -> tuple[str, str]:
    """A new case with its copies out and the citizen contacted, and its ETag."""
    case_id = await distributed_case(api.http, home_municipality_code=municipality)
    for name, body in (
        ("classification", {"sub_level": "basal"}),
        ("contact", {"channel": "phone", "informed_of_provider_choices": True}),
    ):
        answer = await post(api.http, case_id, name, body)
        assert answer.status_code == 200, answer.text
    current = await api.http.get(f"/cases/{case_id}")
    return case_id, current.headers["ETag"]


async def test_the_case_and_every_command_answer_carry_the_version_as_etag(api: Api) -> None:
    created = await post_plan(api.http, fresh_plan())
    assert created.headers["ETag"] == f'"{created.json()["version"]}"'
    case_id = created.json()["case_id"]
    classified = await post(api.http, case_id, "classification", {"sub_level": "basal"})
    assert classified.headers["ETag"] == f'"{classified.json()["version"]}"'
    read = await api.http.get(f"/cases/{case_id}")
    assert read.headers["ETag"] == f'"{read.json()["version"]}"'


async def test_if_match_naming_an_older_version_answers_412_and_changes_nothing(api: Api) -> None:
    # The plan's copies go out in the background and are versions of the case too: wait for them first.
    case_id = await distributed_case(api.http)
    seen = (await api.http.get(f"/cases/{case_id}")).headers["ETag"]
    await register_teams(api.pool, "visitation-syd", "visitation-nord")
    await post(api.http, case_id, "team", {"team": "visitation-syd"})  # someone else moved the case on
    now = (await api.http.get(f"/cases/{case_id}")).json()["version"]

    stale = await post(api.http, case_id, "classification", {"sub_level": "basal"}, If_Match=seen)
    assert stale.status_code == 412 and stale.headers["content-type"] == PROBLEM_JSON
    assert stale.json()["current_version"] == now and stale.headers["ETag"] == f'"{now}"'
    assert (await api.http.get(f"/cases/{case_id}")).json()["version"] == now

    fresh = await post(
        api.http, case_id, "classification", {"sub_level": "basal"}, If_Match=str(now)
    )  # quotes optional
    assert fresh.status_code == 200 and fresh.json()["sub_level"] == "basal"
    star = await post(api.http, case_id, "team", {"team": "visitation-nord"}, If_Match="*")
    assert star.status_code == 200


async def test_an_if_match_from_before_the_letters_went_out_still_holds(api: Api) -> None:
    # The plan's copies and the citizen's letter go out in the background after the plan is received; a
    # caseworker acting on the case as it was read must not be refused for that (only the case's facts count).
    created = await post_plan(api.http, fresh_plan())
    case_id, seen = created.json()["case_id"], created.headers["ETag"]
    await wait_for_case(api.http, case_id, status="distributed")  # every copy and the letter are queued
    settled = await wait_for_messages_settled(api.http, case_id)
    assert settled["version"] > created.json()["version"] and settled["messages"]  # letters went out since
    assert settled["facts_version"] == created.json()["facts_version"]  # only messages moved

    classified = await post(api.http, case_id, "classification", {"sub_level": "basal"}, If_Match=seen)
    assert classified.status_code == 200, classified.text
    assert classified.json()["facts_version"] == classified.json()["version"]  # a fact: the next If-Match needs it
    await register_teams(api.pool, "visitation-syd")
    stale = await post(api.http, case_id, "team", {"team": "visitation-syd"}, If_Match=seen)
    assert stale.status_code == 412 and stale.json()["current_version"] == classified.json()["version"]


@pytest.mark.parametrize(
    ("name", "body", "field"),
    [
        ("closure", {"reason": "active_opt_out"}, "opt_out_reason"),  # the opt-out's sub-reason goes with it
        ("closure", {"reason": "deceased", "opt_out_reason": "other"}, "opt_out_reason"),  # and only with it
        ("hand-on", {"reason": "Ferie"}, "to_caseworker"),  # somewhere to go
    ],
)
async def test_a_body_its_schema_refuses_is_422_whatever_if_match_says(
    api: Api, name: str, body: dict[str, Any], field: str
) -> None:
    """The OpenAPI document states these rules (`if`/`then`), so the door holds them, before the version is
    compared: a client learns what is wrong with its request, not only that the case moved on."""
    case_id = await distributed_case(api.http)
    answer = await post(api.http, case_id, name, body, If_Match='"1"')
    assert answer.status_code == 422, answer.text
    assert [error["field"] for error in answer.json()["errors"]] == [field]


@pytest.mark.parametrize("value", ['W/"7"', '"7", "8"', '"seven"', '"-1"', "**"])
async def test_a_malformed_if_match_is_422_naming_the_header(api: Api, value: str) -> None:
    case_id = (await post_plan(api.http, fresh_plan())).json()["case_id"]
    answer = await post(api.http, case_id, "team", {"team": "x"}, If_Match=value)
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == ["header.If-Match"]


async def test_two_caseworkers_choosing_providers_at_once_with_if_match_exactly_one_wins(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    providers = [await register_provider(api.http, municipality) for _ in range(2)]
    for _ in range(RACES):
        case_id, etag = await case_ready_for_provider(api, municipality)
        answers = await asyncio.gather(
            *(post(api.http, case_id, "provider", {"provider_id": p}, If_Match=etag) for p in providers)
        )
        assert sorted(answer.status_code for answer in answers) == [200, 412], [a.text for a in answers]
        winner = next(answer for answer in answers if answer.status_code == 200)
        timeline = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
        chosen = [event for event in timeline if event["type"] == "ProviderChosen"]
        assert len(chosen) == 1 and winner.json()["provider"]["provider_id"] in str(chosen[0])


async def test_without_if_match_a_command_applies_to_the_current_state(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    providers = [await register_provider(api.http, municipality) for _ in range(2)]
    case_id, _ = await case_ready_for_provider(api, municipality)
    first = await post(api.http, case_id, "provider", {"provider_id": providers[0]})
    second = await post(api.http, case_id, "provider", {"provider_id": providers[1]})
    assert (first.status_code, second.status_code) == (200, 200)
    assert second.json()["provider"]["provider_id"] == providers[1]


async def test_an_idempotency_key_belongs_to_its_first_accepted_request(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    provider = await register_provider(api.http, municipality)
    case_id, key = await distributed_case(api.http, home_municipality_code=municipality), str(uuid.uuid4())

    # Refused while the case does not allow it: nothing is left behind under the key ...
    early = await post(api.http, case_id, "provider", {"provider_id": provider}, Idempotency_Key=key)
    assert early.status_code == 409
    await post(api.http, case_id, "classification", {"sub_level": "basal"})
    await post(api.http, case_id, "contact", {"channel": "phone", "informed_of_provider_choices": True})
    # ... so the same request is applied once the case allows it, and only once.
    applied = await post(api.http, case_id, "provider", {"provider_id": provider}, Idempotency_Key=key)
    again = await post(api.http, case_id, "provider", {"provider_id": provider}, Idempotency_Key=key)
    assert (applied.status_code, again.status_code) == (200, 200)
    assert again.json()["version"] == applied.json()["version"]

    other = await register_provider(api.http, municipality)
    reused = await post(api.http, case_id, "provider", {"provider_id": other}, Idempotency_Key=key)
    assert reused.status_code == 422 and reused.json()["type"].endswith("idempotency-key-reused")
    assert [error["field"] for error in reused.json()["errors"]] == ["header.Idempotency-Key"]
    assert (await api.http.get(f"/cases/{case_id}")).json()["provider"]["provider_id"] == provider


async def test_the_command_that_ended_a_case_answers_its_repeat_after_the_workflow_finished(api: Api) -> None:
    # A client told to send the command again with the same key (a 503 says so) learns that it was applied.
    case_id, key = await distributed_case(api.http), str(uuid.uuid4())
    body = {"reason": "citizen_did_not_show", "confirm": True}
    closed = await post(api.http, case_id, "closure", body, Idempotency_Key=key)
    assert closed.status_code == 200, closed.text
    await api.env.client.get_workflow_handle(f"case-{case_id}").result()  # the workflow has finished

    again = await post(api.http, case_id, "closure", body, Idempotency_Key=key)
    assert again.status_code == 200, again.text
    assert again.json()["status"] == "closed" and again.headers["ETag"] == f'"{again.json()["version"]}"'
    timeline = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
    assert [event["type"] for event in timeline].count("CaseClosed") == 1

    other = await post(api.http, case_id, "closure", {**body, "reason": "deceased"}, Idempotency_Key=key)
    assert other.status_code == 422 and other.json()["type"].endswith("idempotency-key-reused")
    assert [error["field"] for error in other.json()["errors"]] == ["header.Idempotency-Key"]
    fresh_key = await post(api.http, case_id, "closure", body, Idempotency_Key=str(uuid.uuid4()))
    assert fresh_key.status_code == 409 and fresh_key.json()["type"].endswith("case-closed")


async def test_an_application_command_with_a_stale_if_match_is_412(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    from tests.support.application_api_helpers import post_application, running_application_api
    from tests.support.application_factories import application_payload

    async with running_application_api(dev_server_env, pool) as app_api:
        created = await post_application(app_api.http, application_payload(application_date=danish_today()))
        assert created.status_code == 201, created.text
        application_id, etag = created.json()["application_id"], created.headers["ETag"]
        read = await app_api.http.get(f"/applications/{application_id}")
        assert read.headers["ETag"] == etag
        body = {"granted": True, "grounds": "Kørestolsbruger"}
        headers = {"X-Actor": CASEWORKER}
        moved = await app_api.http.post(
            f"/applications/{application_id}/transport-assessment", json=body, headers=headers
        )
        assert moved.status_code == 200
        stale = await app_api.http.post(
            f"/applications/{application_id}/transport-assessment", json=body, headers={**headers, "If-Match": etag}
        )
        assert stale.status_code == 412 and stale.json()["current_version"] == moved.json()["version"]


@pytest.mark.parametrize(("header", "value"), [("Idempotency-Key", "key\x7f"), ("Idempotency-Key", "key\x01x")])
async def test_stored_headers_refuse_control_characters(api: Api, header: str, value: str) -> None:
    case_id = (await post_plan(api.http, fresh_plan())).json()["case_id"]
    headers = {"X-Actor": CASEWORKER, header: value}
    answer = await api.http.post(f"/cases/{case_id}/team", json={"team": "x"}, headers=headers)
    assert answer.status_code == 422
    assert [error["field"] for error in answer.json()["errors"]] == [f"header.{header}"]
