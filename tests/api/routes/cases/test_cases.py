"""Reads through the API: case list filters and pages, the registers, and the workflows' search attributes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from tests.support.api_helpers import (
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
from workflows.shell import search_attributes as keys
from workflows.shell.identity import workflow_id_for_case


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def _ids(api: Api, **params: object) -> list[str]:
    response = await api.http.get("/cases", params={key: str(value).lower() for key, value in params.items()})
    assert response.status_code == 200, response.text
    return [item["case_id"] for item in response.json()["items"]]


async def test_filters_by_municipality_status_and_overdue(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    plain = await distributed_case(api.http, home_municipality_code=municipality)
    classified = await distributed_case(api.http, home_municipality_code=municipality)
    assert (await command(api.http, classified, "classification", {"sub_level": "basal"})).status_code == 200
    # Discharged a month ago: the start guarantee ran out long since, so its timer fires at once.
    late = await post_plan(
        api.http, fresh_plan(home_municipality_code=municipality, discharge_date=danish_today() - timedelta(days=30))
    )
    overdue = late.json()["case_id"]
    await wait_for_case(api.http, overdue, overdue=True)
    elsewhere = await distributed_case(api.http)

    in_municipality = await _ids(api, municipality=municipality)
    assert set(in_municipality) == {plain, classified, overdue}
    assert elsewhere not in in_municipality
    assert await _ids(api, municipality=municipality, status="classified") == [classified]
    assert await _ids(api, municipality=municipality, overdue=True) == [overdue]
    assert set(await _ids(api, municipality=municipality, overdue=False)) == {plain, classified}
    item = (await api.http.get("/cases", params={"municipality": municipality, "overdue": "true"})).json()["items"][0]
    assert item["overdue"] is True and item["municipality_code"] == municipality and item["level"] == "almen"
    assert "patient" not in item  # the list carries no personal data


async def test_cursor_pagination(api: Api) -> None:
    municipality = await unused_municipality(api.pool)
    created = [
        (await post_plan(api.http, fresh_plan(home_municipality_code=municipality))).json()["case_id"] for _ in range(5)
    ]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params = {"municipality": municipality, "limit": "2", **({"cursor": cursor} if cursor else {})}
        page = (await api.http.get("/cases", params=params)).json()
        seen += [item["case_id"] for item in page["items"]]
        received = [item["received_at"] for item in page["items"]]
        assert received == sorted(received, reverse=True)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == list(reversed(created))  # newest first, each case once


async def test_bad_cursor_and_limit_are_422(api: Api) -> None:
    response = await api.http.get("/cases", params={"cursor": "not-a-cursor", "limit": "1000"})
    assert response.status_code == 422
    assert {error["field"] for error in response.json()["errors"]} == {"query.cursor", "query.limit"}
    response = await api.http.get("/cases", params={"cursor": "not-a-cursor"})
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert [error["field"] for error in response.json()["errors"]] == ["query.cursor"]


async def test_any_cursor_of_the_documented_shape_is_a_position_to_page_from(api: Api) -> None:
    """The schema states a cursor's shape (its pattern); every cursor of that shape pages, given out or not."""
    municipality = await unused_municipality(api.pool)
    for _ in range(2):
        await post_plan(api.http, fresh_plan(home_municipality_code=municipality))
    params = {"municipality": municipality}
    latest = await api.http.get("/cases", params={**params, "cursor": "999999999999999999.z"})  # after all of them
    assert latest.status_code == 200 and len(latest.json()["items"]) == 2
    earliest = await api.http.get("/cases", params={**params, "cursor": "0.0"})  # 1970: before every case
    assert earliest.status_code == 200 and earliest.json()["items"] == []


async def test_search_attributes_show_stage_municipality_and_level(api: Api) -> None:
    """An operator filters cases by a few attributes that move seldom (each move is a billable upsert): the stage,
    the municipality, the level; the status and deadlines are in the workflow's details and the API."""
    municipality = await unused_municipality(api.pool)
    case_id = await distributed_case(api.http, home_municipality_code=municipality)
    handle = api.env.client.get_workflow_handle(workflow_id_for_case(case_id))
    assert (await command(api.http, case_id, "classification", {"sub_level": "avanceret"})).status_code == 200
    attributes = (await handle.describe()).typed_search_attributes
    assert attributes.get(keys.CASE_STAGE) == "awaiting_contact"
    assert attributes.get(keys.MUNICIPALITY_CODE) == municipality
    assert attributes.get(keys.CARE_LEVEL) == "almen"
    assert attributes.get(keys.CASE_OVERDUE) is False
    contact = {"channel": "phone", "informed_of_provider_choices": True}
    assert (await command(api.http, case_id, "contact", contact)).status_code == 200
    assert (await handle.describe()).typed_search_attributes.get(keys.CASE_STAGE) == "awaiting_start"


async def test_municipality_register(api: Api) -> None:
    code = await unused_municipality(api.pool)
    missing = await api.http.get(f"/municipalities/{code}")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM_JSON
    first = await api.http.put(f"/municipalities/{code}", json={"name": "Prøve", "contact_working_days": 3})
    second = await api.http.put(f"/municipalities/{code}", json={"name": "Prøve Kommune", "contact_working_days": 4})
    assert first.status_code == second.status_code == 200
    stored = (await api.http.get(f"/municipalities/{code}")).json()
    assert (stored["code"], stored["name"], stored["contact_working_days"]) == (code, "Prøve Kommune", 4)
    # A plan for the municipality now gets its contact deadline.
    case = (await post_plan(api.http, fresh_plan(home_municipality_code=code))).json()
    assert case["contact_working_days"] == 4
    for bad_code, body in (
        ("12", {"name": "X", "contact_working_days": 3}),
        (code, {"name": "X", "contact_working_days": 0}),
    ):
        response = await api.http.put(f"/municipalities/{bad_code}", json=body)
        assert response.status_code == 422, bad_code


async def test_provider_register(api: Api) -> None:
    code = await unused_municipality(api.pool)
    own = await register_provider(api.http, code, kind="own")
    contracted = await register_provider(api.http, code, kind="contracted")
    again = await api.http.post(
        f"/municipalities/{code}/providers", json={"provider_id": own, "name": f"Genoptræning {own}", "kind": "own"}
    )
    assert again.status_code == 200
    clash = await api.http.post(
        f"/municipalities/{code}/providers", json={"provider_id": own, "name": "Et andet navn", "kind": "own"}
    )
    assert clash.status_code == 409 and clash.headers["content-type"] == PROBLEM_JSON
    bad_kind = await api.http.post(
        f"/municipalities/{code}/providers", json={"provider_id": "p-x", "name": "X", "kind": "private"}
    )
    assert bad_kind.status_code == 422 and [e["field"] for e in bad_kind.json()["errors"]] == ["kind"]
    listed = (await api.http.get(f"/municipalities/{code}/providers")).json()
    assert {(p["provider_id"], p["kind"], p["active"]) for p in listed} == {
        (own, "own", True),
        (contracted, "contracted", True),
    }
