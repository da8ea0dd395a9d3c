"""Run the API with an application worker against the Temporal dev server and PostgreSQL."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.messaging.settings import TransportSettings
from activities.messaging.setup import messaging_parts
from activities.messaging.transports.base import Transport
from activities.platform.db import Pool
from activities.store.activities import StoreActivities
from api.main import create_app
from tests.support.api_helpers import Api, api_client, settings_for
from workflows.applications.workflow import ApplicationWorkflow
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.messaging.model import Channel

CASEWORKER = "caseworker:cw-86"


@asynccontextmanager
async def running_application_api(
    env: WorkflowEnvironment,
    pool: Pool,
    *,
    transports: Callable[[Path], dict[Channel, Transport]] | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[Api]:
    """A worker with both workflows and the real store activities on its own task queue, and the app;
    `transports` (given the data directory) replaces the embedded transports, to make letters fail, say."""
    task_queue = f"application-api-{uuid.uuid4().hex[:8]}"
    store = StoreActivities(pool)
    settings = settings_for(task_queue, **settings_overrides)
    app = create_app(pool=pool, temporal_client=env.client, settings=settings)
    # The sender with its embedded transports in a throw-away directory (the plans' copies are not forwarded).
    data_dir = Path(tempfile.mkdtemp(prefix="genop-"))
    chosen = transports(data_dir) if transports is not None else None
    sender = messaging_parts(pool, env.client, task_queue, TransportSettings(), data_dir, chosen)
    async with (
        Worker(
            env.client,
            task_queue=task_queue,
            workflows=[ApplicationWorkflow, CaseWorkflow, *sender.case_queue_workflows],
            activities=[
                store.append_application_events,
                store.append_case_events,
                store.deliver_plan,
                *sender.case_queue_activities,
            ],
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


def headers(actor: str = CASEWORKER, key: str | None = None) -> dict[str, str]:
    return {"X-Actor": actor, **({"Idempotency-Key": key} if key else {})}


async def post_application(
    http: httpx.AsyncClient, body: dict[str, Any], *, actor: str = CASEWORKER, key: str | None = None
) -> httpx.Response:
    return await http.post("/applications", json=body, headers=headers(actor, key))


async def command(
    http: httpx.AsyncClient,
    application_id: str,
    name: str,
    body: dict[str, Any],
    *,
    actor: str = CASEWORKER,
    key: str | None = None,
) -> httpx.Response:
    return await http.post(f"/applications/{application_id}/{name}", json=body, headers=headers(actor, key))


async def wait_for_application(http: httpx.AsyncClient, application_id: str, status: str) -> dict[str, Any]:
    """Poll GET /applications/{id} (at most ~15 s) until the application has the status."""
    body: dict[str, Any] = {}
    for _ in range(300):
        response = await http.get(f"/applications/{application_id}")
        if response.status_code == 200:
            body = response.json()
            if body["status"] == status:
                return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"application {application_id} never reached {status}; last: {body}")
