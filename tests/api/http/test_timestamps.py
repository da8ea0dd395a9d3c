"""Every timestamp in every response is UTC with `Z`, whatever offset it was made or sent with."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.http.timestamps import utc_text
from tests.support.api_helpers import (
    Api,
    command,
    danish_today,
    fresh_plan,
    post_plan,
    register_provider,
    unused_municipality,
    wait_for_case,
)
from tests.support.application_api_helpers import post_application, running_application_api, wait_for_application
from tests.support.application_factories import application_payload

DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_application_api(dev_server_env, pool) as running:
        yield running


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def test_text_moves_to_utc_and_other_text_stays() -> None:
    assert utc_text("2026-11-30T11:15:00+01:00") == "2026-11-30T10:15:00Z"
    assert utc_text("2026-07-01T00:30:00.250000+02:00") == "2026-06-30T22:30:00.250000Z"
    for text in ("2026-11-30", "Ring 2026-11-30T11:15:00+01:00", "10:15:00+01:00", "2026-11-30T10:15:00Z"):
        assert utc_text(text) == text


async def test_a_full_case_and_an_application_answer_in_utc(api: Api) -> None:
    http = api.http
    municipality = await unused_municipality(api.pool)
    answers = [
        await http.put(f"/municipalities/{municipality}", json={"name": "Testkommune", "contact_working_days": 5})
    ]
    await register_provider(http, municipality)
    answers.append(await http.get(f"/municipalities/{municipality}/providers"))

    created = await post_plan(http, fresh_plan(home_municipality_code=municipality))
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    distributed = await wait_for_case(http, case_id, status="distributed")
    assert distributed["next_deadline"] is not None  # a deadline made in Danish time
    answers.append(await http.get("/cases", params={"municipality": municipality}))

    # Contact at the moment the plan arrived, sent in Danish time (+01:00 or +02:00).
    received = datetime.fromisoformat(distributed["received_at"])
    contacted_at = received.astimezone(ZoneInfo("Europe/Copenhagen")).isoformat()
    assert not contacted_at.endswith("Z")
    classified = await command(http, case_id, "classification", {"sub_level": "basal", "reason": "Let forløb"})
    assert classified.status_code == 200, classified.text
    contact = {"channel": "phone", "informed_of_provider_choices": True, "contacted_at": contacted_at}
    answers.append(await command(http, case_id, "contact", contact))
    answers += [await http.get(f"/cases/{case_id}"), await http.get(f"/cases/{case_id}/events")]

    application = await post_application(
        http, application_payload(application_date=danish_today(), municipality_code=municipality)
    )
    assert application.status_code == 201, application.text
    application_id = application.json()["application_id"]
    await wait_for_application(http, application_id, application.json()["status"])
    answers += [
        application,
        await http.get(f"/applications/{application_id}"),
        await http.get(f"/applications/{application_id}/events"),
        await http.get("/applications", params={"municipality": municipality}),
    ]

    assert all(answer.status_code in (200, 201) for answer in answers), [a.text for a in answers]
    timestamps = [text for answer in answers for text in strings(answer.json()) if DATETIME.match(text)]
    assert len(timestamps) > 25
    assert [t for t in timestamps if not t.endswith("Z")] == []
    case = answers[4].json()
    assert case["contacted_at"] == distributed["received_at"]  # the same instant, written the same way
    contacted = next(e for e in answers[5].json()["events"] if e["type"] == "CitizenContacted")
    assert contacted["data"]["contacted_at"] == case["contacted_at"]  # also inside the stored event body
