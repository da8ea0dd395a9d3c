"""Run the API against the real Temporal dev server and PostgreSQL, and drive it over HTTP."""

from __future__ import annotations

import asyncio
import random
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.messaging.settings import TransportSettings
from activities.messaging.setup import messaging_parts
from activities.platform.db import Pool
from activities.store.activities import StoreActivities
from activities.store.eventstore import EventStore
from api.main import create_app
from api.settings import ApiSettings
from tests.support.auth_helpers import ScopedAuth, auth_settings
from tests.support.factories import plan_payload
from workflows.cases.workflow import CaseWorkflow

CASEWORKER = "caseworker:cw-1"
PROBLEM_JSON = "application/problem+json"


@dataclass
class Api:
    app: FastAPI
    http: httpx.AsyncClient
    env: WorkflowEnvironment
    pool: Pool
    settings: ApiSettings


def settings_for(task_queue: str, **overrides: Any) -> ApiSettings:
    """ApiSettings for an app in a test: its own task queue, trusting the run's token issuer."""
    return ApiSettings(
        temporal_task_queue=task_queue, default_contact_working_days=5, **{**auth_settings(), **overrides}
    )


def api_client(app: FastAPI, pool: Pool | None) -> httpx.AsyncClient:
    """An in-process client whose requests carry the token their caller would hold (tests.support.auth_helpers)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", auth=ScopedAuth(pool))


@asynccontextmanager
async def running_api(
    env: WorkflowEnvironment,
    pool: Pool,
    *,
    event_store: EventStore | None = None,
    data_dir: Path | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[Api]:
    """A worker with the real store activities on its own task queue, and the app in front of it."""
    task_queue = f"api-tests-{uuid.uuid4().hex[:8]}"
    store = StoreActivities(pool, event_store)
    settings = settings_for(task_queue, **settings_overrides)
    app = create_app(pool=pool, temporal_client=env.client, settings=settings)
    # The sender with its embedded transports in a throw-away directory (the plans' copies are not forwarded).
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="genop-"))  # the embedded transports' directories
    # The transports read their own settings (activities.messaging.settings): overrides of theirs go there.
    transports = TransportSettings(
        **{name: value for name, value in settings_overrides.items() if name in TransportSettings.model_fields}
    )
    sender = messaging_parts(pool, env.client, task_queue, transports, data_dir)
    async with (
        Worker(
            env.client,
            task_queue=task_queue,
            workflows=[CaseWorkflow, *sender.case_queue_workflows],
            activities=[store.append_case_events, store.deliver_plan, *sender.case_queue_activities],
        ),
        Worker(
            env.client,
            task_queue=f"{task_queue}-messages",
            workflows=sender.message_queue_workflows,
            activities=sender.message_queue_activities,
        ),
        api_client(app, pool) as http,
    ):
        yield Api(app=app, http=http, env=env, pool=pool, settings=settings)


def danish_today() -> date:
    return datetime.now(ZoneInfo("Europe/Copenhagen")).date()


def fresh_plan(**overrides: Any) -> dict[str, Any]:
    """A valid plan discharged today, so no deadline falls due while a test runs."""
    return plan_payload(**{"discharge_date": danish_today(), **overrides})


_HANDED_OUT: set[str] = set()  # codes given to a test already: two calls in a row never give the same one


async def unused_municipality(pool: Pool) -> str:
    """A municipality code no case and no register entry uses yet (the database is shared by all tests), and none
    handed out before in this process (a test's `home` and `other` were sometimes the same code)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT code FROM municipalities"
            " UNION SELECT municipality_code FROM cases WHERE municipality_code IS NOT NULL"
            " UNION SELECT responsible_municipality_code FROM cases WHERE responsible_municipality_code IS NOT NULL"
            " UNION SELECT municipality_code FROM teams UNION SELECT municipality_code FROM caseworkers"
        )
        used = {row[0] for row in await cursor.fetchall()} | _HANDED_OUT
    free = [str(code) for code in range(102, 900) if str(code) not in used]
    code = random.choice(free)
    _HANDED_OUT.add(code)
    return code


async def post_plan(http: httpx.AsyncClient, plan: dict[str, Any]) -> httpx.Response:
    return await http.post("/plans", json=plan)


async def command(
    http: httpx.AsyncClient,
    case_id: str,
    name: str,
    body: dict[str, Any],
    *,
    actor: str = CASEWORKER,
    key: str | None = None,
) -> httpx.Response:
    headers = {"X-Actor": actor}
    if key is not None:
        headers["Idempotency-Key"] = key
    return await http.post(f"/cases/{case_id}/{name}", json=body, headers=headers)


async def wait_for_case(
    http: httpx.AsyncClient, case_id: str, *, status: str | None = None, overdue: bool | None = None
) -> dict[str, Any]:
    """Poll GET /cases/{id} (at most ~15 s) until the case has the status and/or overdue flag."""
    body: dict[str, Any] = {}
    for _ in range(300):
        response = await http.get(f"/cases/{case_id}")
        if response.status_code == 200:
            body = response.json()
            if (status is None or body["status"] == status) and (overdue is None or body["overdue"] is overdue):
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id} never reached status={status} overdue={overdue}; last: {body}")


async def distributed_case(http: httpx.AsyncClient, **plan_overrides: Any) -> str:
    """POST a fresh plan and wait until it has been delivered to every recipient."""
    response = await post_plan(http, fresh_plan(**plan_overrides))
    assert response.status_code == 201, response.text
    case_id: str = response.json()["case_id"]
    await wait_for_case(http, case_id, status="distributed")
    await wait_for_messages_settled(http, case_id)
    return case_id


async def wait_for_messages_settled(http: httpx.AsyncClient, case_id: str) -> dict[str, Any]:
    """Poll GET /cases/{id} until no message of the case waits for its transport (the sender reported)."""
    body: dict[str, Any] = {}
    for _ in range(300):
        body = (await http.get(f"/cases/{case_id}")).json()
        if all(message["status"] != "queued" for message in body.get("messages", {}).values()):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"case {case_id}'s messages never left the outbox: {body.get('messages')}")


async def register_provider(
    http: httpx.AsyncClient, municipality: str, *, kind: str = "own", provider_id: str | None = None
) -> str:
    provider_id = provider_id or f"prov-{uuid.uuid4().hex[:10]}"
    response = await http.post(
        f"/municipalities/{municipality}/providers",
        json={"provider_id": provider_id, "name": f"Genoptræning {provider_id}", "kind": kind},
    )
    assert response.status_code == 201, response.text
    return provider_id
