"""A long case continues as new with its state and the commands it has handled.

The dev server is told to suggest continue-as-new after 40 history events (the default is 4,096), so a
few dozen commands cross the boundary. Temporal deduplicates update ids only within one run: the case
itself must remember them, or a retried HTTP request would be applied twice after the new run starts.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.binaries import temporal_cli
from tests.support.domain_helpers import CASEWORKER, cid
from tests.support.factories import make_plan, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import send, start_case, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import AssignTeam
from workflows.domain.model import CaseStatus
from workflows.shell.search_attributes import ALL_SEARCH_ATTRIBUTES

# It starts a server of its own (tests/conftest.py reads the others from their fixtures).
pytestmark = pytest.mark.temporal


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def short_history_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        data_converter=pydantic_data_converter,
        dev_server_existing_path=str(temporal_cli()),
        search_attributes=list(ALL_SEARCH_ATTRIBUTES),
        dev_server_extra_args=["--dynamic-config-value", "limit.historyCount.suggestContinueAsNew=40"],
    )
    try:
        yield env
    finally:
        await env.shutdown()


async def test_a_long_case_continues_as_new_with_its_state_and_handled_commands(
    short_history_env: WorkflowEnvironment,
) -> None:
    env, store, task_queue = short_history_env, InMemoryCaseStore(), f"can-{uuid.uuid4().hex[:8]}"
    async with (
        Worker(env.client, task_queue=task_queue, workflows=[CaseWorkflow], activities=store.activities()),
        store.message_worker(env.client, task_queue),
    ):
        handle, _ = await start_case(env.client, task_queue, receive_plan(make_plan()))
        await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)
        first_run = (await handle.describe()).run_id
        early = AssignTeam(command_id=cid(), actor=CASEWORKER, team="team-early")
        await send(handle, early)
        for number in range(30):
            await send(handle, AssignTeam(command_id=cid(), actor=CASEWORKER, team=f"team-{number}"))

        latest = env.client.get_workflow_handle_for(CaseWorkflow.run, handle.id)
        assert (await latest.describe()).run_id != first_run, "the case should have continued as new"
        state = await latest.query(CaseWorkflow.current_state)
        assert state.team == "team-29" and state.version == len(store.events(state.case_id))

        # The same request again, now in a later run: recognised, not applied a second time.
        again = await send(latest, early)
        assert again.team == "team-29" and again.version == state.version
        assert [e.type for e in store.events(state.case_id)].count("TeamAssigned") == 31
        await latest.terminate("test finished")
