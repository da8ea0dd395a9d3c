"""The sender for tests that run the case workflow with the real store: its activities for the case's task
queue, and a worker for the deliveries' own queue (embedded transports in a throw-away directory)."""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from temporalio.client import Client
from temporalio.worker import Worker

from activities.messaging.settings import TransportSettings
from activities.messaging.setup import MessagingParts, message_task_queue, messaging_parts
from activities.platform.db import Pool
from activities.store.activities import StoreActivities
from workflows.cases.workflow import CaseWorkflow


def sender_for_tests(client: Client, pool: Pool, task_queue: str) -> tuple[MessagingParts, Worker]:
    parts = messaging_parts(pool, client, task_queue, TransportSettings(), Path(tempfile.mkdtemp(prefix="genop-")))
    worker = Worker(
        client,
        task_queue=message_task_queue(task_queue),
        workflows=parts.message_queue_workflows,
        activities=parts.message_queue_activities,
    )
    return parts, worker


@asynccontextmanager
async def case_and_message_workers(
    client: Client, pool: Pool, task_queue: str, parts: MessagingParts
) -> AsyncIterator[None]:
    """The case workflow with the real store on `task_queue`, and the deliveries on their own queue, both running."""
    store = StoreActivities(pool)
    async with (
        Worker(
            client,
            task_queue=task_queue,
            workflows=[CaseWorkflow, *parts.case_queue_workflows],
            activities=[store.append_case_events, store.deliver_plan, *parts.case_queue_activities],
        ),
        Worker(
            client,
            task_queue=message_task_queue(task_queue),
            workflows=parts.message_queue_workflows,
            activities=parts.message_queue_activities,
        ),
    ):
        yield
