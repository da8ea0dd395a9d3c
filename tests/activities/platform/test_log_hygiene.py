"""No CPR number, name or health text in any log line of a whole case: API, worker, activities, SDK.

One case runs through the API against the dev server with every logger at DEBUG, including the refusals
and failures whose messages are most tempted to quote data: a refused command, a validation error with the
CPR number in the body, and a store failure whose database message quotes a CPR number. Every record, its
arguments, extras and traceback, and whatever reached stdout and stderr, must hold none of it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
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
    wait_for_case,
)
from tests.support.failing_store import POISON, QUOTED_CPR, PoisonedEventStore
from tests.support.staff_helpers import register_teams

# Synthetic, and distinctive enough that no timestamp, id or port can contain them by chance.
CPR = "1207928834"
CPR_WITH_HYPHEN = "120792-8834"
NAME = "Zyxqvine Plumbeck-Østergaard"
TRAINING_NEED = "Quokkagang og trappetræning efter hoftebrud"
FUNCTION_AT_DISCHARGE = "Går med gåbuk, højst ti meter"
DIAGNOSIS_TEXT = "Fraktur af xylofonknogle"
FORBIDDEN = (CPR, CPR_WITH_HYPHEN, NAME, "Plumbeck", TRAINING_NEED, FUNCTION_AT_DISCHARGE, DIAGNOSIS_TEXT, QUOTED_CPR)


class Everything(logging.Handler):
    """Keeps each record as text: the formatted line with its traceback, plus every attribute (arguments,
    extras such as the SDK's activity and workflow info), so a JSON log formatter could not leak either."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{self.format(record)} {vars(record)!r}")


@pytest.fixture
def every_log_record() -> Iterator[Everything]:
    handler, root = Everything(), logging.getLogger()
    # Loggers with a level of their own would drop DEBUG records before the root sees them.
    names = ["", "temporalio", "uvicorn", "uvicorn.error", "uvicorn.access", "psycopg", "genoptraening", "httpx"]
    levels = {name: logging.getLogger(name).level for name in names}
    for name in names:
        logging.getLogger(name).setLevel(logging.DEBUG)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def the_plan(municipality: str) -> dict[str, Any]:
    plan = fresh_plan(home_municipality_code=municipality, training_need=TRAINING_NEED)
    plan["patient"] = {"cpr": CPR_WITH_HYPHEN, "name": NAME}
    plan["function_at_discharge"] = FUNCTION_AT_DISCHARGE
    plan["diagnoses"] = [{"code": "DS720", "text": DIAGNOSIS_TEXT, "primary": True}]
    return plan


async def _until_delivered(api: Api, case_id: str) -> None:
    for _ in range(300):
        events = (await api.http.get(f"/cases/{case_id}/events")).json()["events"]
        types = [event["type"] for event in events]
        # The letter sent (the sender reported) and the two copies withheld: every copy settled.
        if "MessageSent" in types and types.count("PlanDeliveryWithheld") == 2:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the plan's copies never all went out")


async def run_a_whole_case(api: Api) -> str:
    municipality = await unused_municipality(api.pool)
    provider_id = await register_provider(api.http, municipality)
    plan = the_plan(municipality)

    invalid = {**plan, "plan_id": f"{plan['plan_id']}-x", "discharge_date": "2025-02-30"}
    refused_at_the_door = await post_plan(api.http, invalid)
    assert refused_at_the_door.status_code == 422, refused_at_the_door.text

    created = await post_plan(api.http, plan)
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await wait_for_case(api.http, case_id, status="distributed")

    too_early = await command(api.http, case_id, "completion", {})
    assert too_early.status_code == 409, too_early.text
    await register_teams(api.pool, POISON, municipality=municipality)
    not_stored = await command(api.http, case_id, "team", {"team": POISON})
    assert not_stored.status_code == 422 and not_stored.json()["type"].endswith("not-storable"), not_stored.text

    first = danish_today() + timedelta(days=3)
    for name, body in [
        ("classification", {"sub_level": "basal"}),
        ("contact", {"channel": "phone", "informed_of_provider_choices": True}),
        ("provider", {"provider_id": provider_id}),
        ("start-offer", {"first_appointment_on": first.isoformat()}),
        ("completion", {"confirm": True}),  # past the closing check: the letter may still be queued
    ]:
        response = await command(api.http, case_id, name, body)
        assert response.status_code == 200, f"{name}: {response.text}"
    await _until_delivered(api, case_id)
    read = await api.http.get(f"/cases/{case_id}")
    assert read.json()["status"] == "completed" and NAME in read.text  # the data is there, just not in logs
    return case_id


async def test_no_log_line_of_a_whole_case_holds_personal_data(
    dev_server_env: WorkflowEnvironment,
    pool: Pool,
    every_log_record: Everything,
    capfd: pytest.CaptureFixture[str],
) -> None:
    async with running_api(dev_server_env, pool, event_store=PoisonedEventStore(pool)) as api:
        case_id = await run_a_whole_case(api)

    captured = capfd.readouterr()
    text = "\n".join([*every_log_record.lines, captured.out, captured.err])
    # The control: the capture saw the API, the activities and the SDK, at DEBUG.
    assert case_id in text
    assert "genoptraening.api" in text and "activities.store.activities" in text and "temporalio" in text
    assert "DEBUG" in text
    leaks = [(secret, line[:300]) for line in text.splitlines() for secret in FORBIDDEN if secret in line]
    assert leaks == []
