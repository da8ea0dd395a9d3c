"""The application workflow with the real PostgreSQL activities: the events in the store, folded with
`evolve`, are exactly the state the workflow reports, and the `applications` row says the same."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.platform.db import Pool
from activities.queries.applications import application_timeline, get_application
from activities.store.activities import StoreActivities
from tests.support.application_factories import grant, make_application, receive, request_gp, transport
from tests.support.application_workflow_helpers import (
    own_time_skipping_env,
    send,
    start_application,
    terminate_started_applications,
    wait_for,
)
from tests.support.sender_helpers import sender_for_tests
from workflows.applications.workflow import ApplicationWorkflow
from workflows.domain.applications.model import ApplicationStatus
from workflows.domain.applications.state import ApplicationState, fold
from workflows.domain.calendar import local_date


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def store_worker(pool: Pool) -> AsyncIterator[tuple[WorkflowEnvironment, str]]:
    task_queue = f"application-store-{uuid.uuid4().hex[:8]}"
    activities = StoreActivities(pool)
    async with own_time_skipping_env() as env:
        sender, delivery_worker = sender_for_tests(env.client, pool, task_queue)
        async with (
            Worker(
                env.client,
                task_queue=task_queue,
                workflows=[ApplicationWorkflow],
                activities=[activities.append_application_events, *sender.case_queue_activities],
            ),
            delivery_worker,
        ):
            yield env, task_queue
            await terminate_started_applications()


async def _stored_state(pool: Pool, application_id: str) -> ApplicationState:
    stored = await application_timeline(pool, application_id)
    return fold(ApplicationState(application_id=application_id), [event.event for event in stored])


async def test_stored_events_fold_to_the_workflow_state_and_the_row(
    pool: Pool, store_worker: tuple[WorkflowEnvironment, str]
) -> None:
    env, task_queue = store_worker
    today = local_date(await env.get_current_time())
    handle, state = await start_application(env.client, task_queue, receive(make_application(application_date=today)))
    assert await _stored_state(pool, state.application_id) == state
    await send(handle, request_gp(today + timedelta(days=2)))
    await env.sleep(timedelta(days=4))
    state = await wait_for(handle, lambda s: s.gp_overdue)
    assert await _stored_state(pool, state.application_id) == state
    later = local_date(await env.get_current_time())
    for command in (transport(), grant(later, later + timedelta(days=30), later)):
        state = await send(handle, command)
        assert await _stored_state(pool, state.application_id) == state

    row = await get_application(pool, state.application_id)
    assert row is not None and ApplicationState.model_validate(row["state"]) == state
    assert (row["status"], row["overdue"]) == (ApplicationStatus.GRANTED.value, False)
    timeline = await application_timeline(pool, state.application_id)
    assert [stored.case_version for stored in timeline] == list(range(1, state.version + 1))
    assert {stored.metadata.actor for stored in timeline} >= {"caseworker:cw-86", "system:deadline"}
    assert {stored.metadata.workflow_id for stored in timeline} == {f"application-{state.application_id}"}
