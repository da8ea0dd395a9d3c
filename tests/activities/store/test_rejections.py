"""A command the store refuses for good fails alone: the case lets go of its lock and takes the next one,
no failure carries the data, and a case whose first command was refused ends instead of lingering.

On the time-skipping server with the real PostgreSQL activities and an event store that refuses poisoned
appends the way PostgreSQL refuses a NUL character (tests/support/failing_store.py).
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.intake.plans import _start_operation
from activities.platform.db import Pool
from activities.runtime.settings import Settings
from activities.store.activities import StoreActivities
from tests.support.domain_helpers import classify
from tests.support.factories import make_command, make_plan, receive_plan
from tests.support.failing_store import POISON, QUOTED_CPR, PoisonedEventStore
from tests.support.workflow_helpers import send, start_case, terminate_started_cases
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import AssignTeam
from workflows.shell.waiting import NOT_STARTED, START_GRACE


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def poisoned_worker(time_skipping_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[str]:
    task_queue = f"poisoned-{uuid.uuid4().hex[:8]}"
    activities = StoreActivities(pool, PoisonedEventStore(pool))
    async with Worker(
        time_skipping_env.client,
        task_queue=task_queue,
        workflows=[CaseWorkflow],
        activities=[activities.append_case_events, activities.deliver_plan],
    ):
        yield task_queue
        await terminate_started_cases()


async def test_a_refused_append_fails_the_command_alone_and_the_case_goes_on(
    time_skipping_env: WorkflowEnvironment, poisoned_worker: str, caplog: pytest.LogCaptureFixture
) -> None:
    handle, state = await start_case(time_skipping_env.client, poisoned_worker, receive_plan(make_plan()))
    with caplog.at_level(logging.DEBUG), pytest.raises(WorkflowUpdateFailedError) as failed:
        await send(handle, make_command(AssignTeam, team=POISON))
    logged = "\n".join(caplog.messages) + caplog.text
    assert "22P05" in logged and QUOTED_CPR not in logged  # the worker logged the failure, without the data
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "StoreRejected"
    assert QUOTED_CPR not in str(cause)

    # Not wedged: the lock was released, the next commands are applied, nothing of the refused one stayed.
    after = await send(handle, make_command(AssignTeam, team="visitation-nord"))
    assert after.team == "visitation-nord" and after.version == state.version + 1 + len(after.deliveries)
    classified = await send(handle, classify())
    assert classified.sub_level is not None

    failures = failures_in(json.loads((await handle.fetch_history()).to_json()))
    assert any("StoreRejected" in json.dumps(failure) for failure in failures)
    assert all(QUOTED_CPR not in json.dumps(failure) for failure in failures)


def failures_in(node: Any) -> list[Any]:
    """Every `failure` object anywhere in a history's JSON (activity failures, failed updates, ...)."""
    if isinstance(node, dict):
        found = [value for key, value in node.items() if key == "failure"]
        return found + [f for value in node.values() for f in failures_in(value)]
    if isinstance(node, list):
        return [f for value in node for f in failures_in(value)]
    return []


async def test_a_case_whose_first_plan_is_refused_ends_and_its_plan_id_can_be_sent_again(
    time_skipping_env: WorkflowEnvironment, poisoned_worker: str
) -> None:
    client = time_skipping_env.client
    poisoned = make_plan(training_need=f"Gang og balance {POISON}")
    case_id = str(uuid.uuid4())
    settings = Settings(temporal_task_queue=poisoned_worker)
    start = _start_operation(case_id, poisoned, settings)  # the production start options (id reuse policy)
    with pytest.raises(WorkflowUpdateFailedError):
        await client.execute_update_with_start_workflow(
            CaseWorkflow.receive_plan, receive_plan(poisoned), start_workflow_operation=start, id="first"
        )
    orphan = await start.workflow_handle()
    await time_skipping_env.sleep(START_GRACE + timedelta(minutes=1))
    with pytest.raises(WorkflowFailureError) as ended:
        await orphan.result()
    assert isinstance(ended.value.cause, ApplicationError) and ended.value.cause.type == NOT_STARTED

    corrected = poisoned.model_copy(update={"training_need": "Gang og balance"})
    retry = _start_operation(case_id, corrected, settings)
    state = await client.execute_update_with_start_workflow(
        CaseWorkflow.receive_plan, receive_plan(corrected), start_workflow_operation=retry, id="second"
    )
    assert state.plan is not None and state.version >= 1
    await (await retry.workflow_handle()).terminate("test finished")
