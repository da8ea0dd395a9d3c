"""An If-Match naming the version the store already holds, while the workflow still waits for that append: the
command is checked once the append is folded, not refused against the state before it (docs/api.md, If-Match).

The time-skipping server, a store whose append commits and then waits (the read model a caseworker reads is then
ahead of the workflow's state for as long as the activity's answer takes)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest_asyncio
from temporalio import activity
from temporalio.client import WorkflowUpdateStage
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.domain_helpers import CASEWORKER, classify
from tests.support.factories import make_plan, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.contracts.store import APPEND_CASE_EVENTS, AppendCaseEvents, AppendResult
from workflows.domain.commands import AssignTeam
from workflows.domain.model import CaseStatus
from workflows.domain.state import CaseState
from workflows.messaging.starting import in_flight


class HeldStore(InMemoryCaseStore):
    """Appends commit at once; the answer waits while `held` is set (a slow round trip back to the workflow)."""

    def __init__(self) -> None:
        super().__init__()
        self.held: asyncio.Event | None = None
        self.committed = asyncio.Event()

    @activity.defn(name=APPEND_CASE_EVENTS)
    async def append_case_events(self, request: AppendCaseEvents) -> AppendResult:
        result = self.append(request.case_id, request.expected_version, request.event_ids, request.events)
        if self.held is not None:
            self.committed.set()
            await self.held.wait()
        return result


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def held(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[tuple[WorkflowEnvironment, HeldStore, str]]:
    store, task_queue = HeldStore(), f"held-{uuid.uuid4().hex[:8]}"
    async with (
        Worker(
            time_skipping_env.client, task_queue=task_queue, workflows=[CaseWorkflow], activities=store.activities()
        ),
        store.message_worker(time_skipping_env.client, task_queue),
    ):
        yield time_skipping_env, store, task_queue
        await terminate_started_cases()


async def test_an_if_match_of_the_version_an_append_in_flight_makes_holds(
    held: tuple[WorkflowEnvironment, HeldStore, str],
) -> None:
    env, store, task_queue = held
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(env.client, task_queue, receive_plan(make_plan(discharge_date=today)))
    before = await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED and not in_flight(s.messages))
    store.held, store.committed = asyncio.Event(), asyncio.Event()
    team = AssignTeam(command_id=f"team-{uuid.uuid4()}", actor=CASEWORKER, team="visitation")
    first = await handle.start_update(
        CaseWorkflow.assign_team, team, id=team.command_id, wait_for_stage=WorkflowUpdateStage.ACCEPTED
    )
    await asyncio.wait_for(store.committed.wait(), 10)
    seen = len(store.streams[before.case_id])  # what a caseworker reading now sees: the team's event is stored
    assert seen == before.version + 1
    second_command = classify().model_copy(update={"expected_version": seen})
    second = await handle.start_update(
        CaseWorkflow.classify_level,
        second_command,
        id=second_command.command_id,
        wait_for_stage=WorkflowUpdateStage.ACCEPTED,
    )
    store.held.set()
    store.held = None
    await first.result()
    answered: CaseState = await second.result()  # not 412: the append it waited for made the version it named
    assert answered.version == seen + 1 and answered.sub_level is not None
