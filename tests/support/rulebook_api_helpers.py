"""Helpers for the API tests of the rulebook's commands: cases brought to a given step, and timelines."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from tests.support.api_helpers import command, danish_today, distributed_case, register_provider


def field_names(response: httpx.Response) -> list[str]:
    """The fields a 422 problem names, in order."""
    return [error["field"] for error in response.json()["errors"]]


async def ok(http: httpx.AsyncClient, case_id: str, name: str, body: dict[str, Any]) -> dict[str, Any]:
    """Send a command that must succeed; returns the case it answers with."""
    response = await command(http, case_id, name, body)
    assert response.status_code == 200, f"{name}: {response.status_code} {response.text}"
    result: dict[str, Any] = response.json()
    return result


async def timeline(http: httpx.AsyncClient, case_id: str) -> list[dict[str, Any]]:
    response = await http.get(f"/cases/{case_id}/events")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


async def wait_for_events(
    http: httpx.AsyncClient, case_id: str, done: Callable[[list[dict[str, Any]]], bool], what: str
) -> list[dict[str, Any]]:
    """Poll the case's timeline (at most ~15 s) until `done(events)` holds."""
    events: list[dict[str, Any]] = []
    for _ in range(300):
        events = await timeline(http, case_id)
        if done(events):
            return events
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id}: never saw {what}; types: {[e['type'] for e in events]}")


def of_type(events: list[dict[str, Any]], event_type: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == event_type]


async def contacted_case(http: httpx.AsyncClient, **plan_overrides: Any) -> str:
    """A distributed almen case, classified basal, with the citizen contacted."""
    case_id = await distributed_case(http, **plan_overrides)
    await ok(http, case_id, "classification", {"sub_level": "basal"})
    await ok(http, case_id, "contact", {"channel": "phone", "informed_of_provider_choices": True})
    return case_id


async def started_case(
    http: httpx.AsyncClient, municipality: str, *, first_appointment_in_days: int = 3, **plan_overrides: Any
) -> str:
    """An almen case of `municipality` with a start offered `first_appointment_in_days` from today."""
    case_id = await contacted_case(http, home_municipality_code=municipality, **plan_overrides)
    provider_id = await register_provider(http, municipality)
    await ok(http, case_id, "provider", {"provider_id": provider_id})
    first = danish_today() + timedelta(days=first_appointment_in_days)
    await ok(http, case_id, "start-offer", {"first_appointment_on": first.isoformat()})
    return case_id


async def list_items(http: httpx.AsyncClient, **params: str) -> dict[str, dict[str, Any]]:
    """GET /cases with the filters; the rows by case id."""
    response = await http.get("/cases", params=params)
    assert response.status_code == 200, response.text
    return {item["case_id"]: item for item in response.json()["items"]}
