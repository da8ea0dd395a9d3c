"""Start and drive application workflows in tests."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from deploy.binaries import temporal_test_server
from tests.support.temporal_fixtures import register_search_attributes
from workflows.applications.workflow import ApplicationWorkflow, ApplicationWorkflowInput
from workflows.domain.applications.commands import ApplicationCommand, ReceiveApplication
from workflows.domain.applications.identity import workflow_id_for_application
from workflows.domain.applications.state import ApplicationState
from workflows.shell.results import ApplicationResult

Handle = WorkflowHandle[ApplicationWorkflow, ApplicationResult]

# Applications left open when a test's worker stops would keep firing timers on the shared time-skipping
# server while no worker serves them; fixtures terminate them on teardown.
_started: list[Handle] = []

UPDATES: dict[str, Any] = {
    "RequestGpInformation": ApplicationWorkflow.request_gp_information,
    "RecordGpReply": ApplicationWorkflow.record_gp_reply,
    "MakeDecision": ApplicationWorkflow.make_decision,
    "RecordAppeal": ApplicationWorkflow.record_appeal,
    "ReassessDecision": ApplicationWorkflow.reassess_decision,
    "RecordForwarding": ApplicationWorkflow.record_forwarding,
    "RecordAnkestyrelsenOutcome": ApplicationWorkflow.record_ankestyrelsen_outcome,
    "AssessTransport": ApplicationWorkflow.assess_transport,
    "CloseApplication": ApplicationWorkflow.close_application,
}


@asynccontextmanager
async def own_time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server of its own (about 0.1 s to start). Application scenarios skip months (appeal
    periods, grant periods); on the shared server that would move the clock under other modules' tests."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(temporal_test_server())
    )
    try:
        await register_search_attributes(env.client)
        yield env
    finally:
        await env.shutdown()


async def start_application(
    client: Client,
    task_queue: str,
    command: ReceiveApplication,
    application_id: str | None = None,
    *,
    light: bool = False,
) -> tuple[Handle, ApplicationState]:
    """Start an application; `light` as the door starts it since issue 18, else as applications started before."""
    application_id = application_id or str(uuid.uuid4())
    start = WithStartWorkflowOperation(
        ApplicationWorkflow.run,
        ApplicationWorkflowInput(application_id=application_id, light_shell=light),
        id=workflow_id_for_application(application_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    state = await client.execute_update_with_start_workflow(
        ApplicationWorkflow.receive_application, command, start_workflow_operation=start, id=command.command_id
    )
    handle = await start.workflow_handle()
    _started.append(handle)
    return handle, state


async def terminate_started_applications() -> None:
    while _started:
        handle = _started.pop()
        try:
            await handle.terminate("test finished")
        except RPCError:
            pass  # already completed


async def send(handle: Handle, command: ApplicationCommand) -> ApplicationState:
    state: ApplicationState = await handle.execute_update(
        UPDATES[type(command).__name__], command, id=command.command_id, result_type=ApplicationState
    )
    return state


async def wait_for(
    handle: Handle, condition: Callable[[ApplicationState], bool], attempts: int = 200
) -> ApplicationState:
    for _ in range(attempts):
        state = await handle.query(ApplicationWorkflow.current_state)
        if condition(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never held; last state: {state.status}")
