"""The case workflow with the real PostgreSQL activities on the time-skipping server.

The central promise: the events in PostgreSQL, folded with `evolve`, are exactly the state the workflow
reports, and the read model says the same.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.platform.db import Pool
from activities.queries.cases import case_timeline, get_case
from activities.store.activities import StoreActivities
from tests.support.domain_helpers import choose, classify, contact, offer
from tests.support.factories import make_plan, receive_plan
from tests.support.sender_helpers import sender_for_tests
from tests.support.workflow_helpers import send, start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.model import DISCHARGE_RECIPIENTS, CaseStatus
from workflows.domain.state import CaseState, fold


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def store_worker(time_skipping_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[str]:
    task_queue = f"store-{uuid.uuid4().hex[:8]}"
    activities = StoreActivities(pool)
    sender, delivery_worker = sender_for_tests(time_skipping_env.client, pool, task_queue)
    async with (
        Worker(
            time_skipping_env.client,
            task_queue=task_queue,
            workflows=[CaseWorkflow, *sender.case_queue_workflows],
            activities=[activities.append_case_events, activities.deliver_plan, *sender.case_queue_activities],
        ),
        delivery_worker,
    ):
        yield task_queue
        await terminate_started_cases()


async def _stored_state(pool: Pool, case_id: str) -> CaseState:
    return fold(CaseState(case_id=case_id), [stored.event for stored in await case_timeline(pool, case_id)])


async def test_stored_events_fold_to_the_workflow_state(
    time_skipping_env: WorkflowEnvironment, pool: Pool, store_worker: str
) -> None:
    env = time_skipping_env
    today = (await env.get_current_time()).date()
    plan = make_plan(discharge_date=today.isoformat())
    handle, _ = await start_case(env.client, store_worker, receive_plan(plan))
    await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)
    for command in (classify(), contact(), choose(), offer(today + timedelta(days=10))):
        workflow_state = await send(handle, command)
        assert await _stored_state(pool, workflow_state.case_id) == workflow_state

    assert workflow_state.start_guarantee_breached, "an offer on day 10 breaches the 7-day guarantee"
    row = await get_case(pool, workflow_state.case_id)
    assert row is not None
    assert CaseState.model_validate(row["state"]) == workflow_state
    assert row["status"] == CaseStatus.TRAINING_STARTED.value

    timeline = await case_timeline(pool, workflow_state.case_id)
    assert [stored.case_version for stored in timeline] == list(range(1, workflow_state.version + 1))
    # Each copy settled by what happened: the citizen's letter queued, the others withheld (none forwarded).
    settled = [stored for stored in timeline if stored.event_type in ("MessageQueued", "PlanDeliveryWithheld")]
    assert sorted(stored.event.recipient for stored in settled) == sorted(DISCHARGE_RECIPIENTS)  # type: ignore[union-attr]
    assert not [stored for stored in timeline if stored.event_type == "PlanDelivered"]
    assert {stored.metadata.actor for stored in timeline} >= {"caseworker:cw-1", "system:case-workflow"}


async def test_deadline_timer_writes_its_event_to_the_store(
    time_skipping_env: WorkflowEnvironment, pool: Pool, store_worker: str
) -> None:
    env = time_skipping_env
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(env.client, store_worker, receive_plan(make_plan(discharge_date=today.isoformat())))
    await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)
    await env.sleep(timedelta(days=16))
    workflow_state = await wait_for_state(handle, lambda s: s.start_guarantee_breached and s.contact_overdue)
    assert await _stored_state(pool, workflow_state.case_id) == workflow_state
    row = await get_case(pool, workflow_state.case_id)
    assert row is not None and row["overdue"] is True
