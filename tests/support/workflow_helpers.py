"""Start and drive case workflows in tests."""

from __future__ import annotations

import asyncio
import json
import typing
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from temporalio import workflow
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle, WorkflowQueryFailedError
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.service import RPCError

from workflows.cases.workflow import CaseWorkflow, CaseWorkflowInput
from workflows.contracts.messaging import delivery_workflow_id
from workflows.domain.commands import CaseCommand, ReceivePlan
from workflows.domain.state import CaseState
from workflows.shell.identity import workflow_id_for_case
from workflows.shell.results import CaseResult


async def start_case(
    client: Client,
    task_queue: str,
    command: ReceivePlan,
    case_id: str | None = None,
    *,
    light: bool = False,
    forwarded: Sequence[str] = (),
) -> tuple[WorkflowHandle[CaseWorkflow, CaseResult], CaseState]:
    """Start a case with its plan; `light` as the doors start it since issue 18 (workflows/shell/patches.py), else
    as cases started before, whose histories must still replay and run."""
    case_id = case_id or str(uuid.uuid4())
    start = WithStartWorkflowOperation(
        CaseWorkflow.run,
        CaseWorkflowInput(case_id=case_id, light_shell=light, forwarded_municipalities=list(forwarded)),
        id=workflow_id_for_case(case_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    state = await client.execute_update_with_start_workflow(
        CaseWorkflow.receive_plan, command, start_workflow_operation=start, id=command.command_id
    )
    handle = await start.workflow_handle()
    _started.append(handle)
    return handle, state


# Cases left open when a test's worker stops would keep firing timers on the shared time-skipping server
# while no worker serves them; fixtures terminate them on teardown.
_started: list[WorkflowHandle[CaseWorkflow, CaseResult]] = []


async def terminate_started_cases() -> None:
    while _started:
        handle = _started.pop()
        await terminate_deliveries(handle)
        try:
            await handle.terminate("test finished")
        except RPCError:
            pass  # already completed


async def terminate_deliveries(handle: WorkflowHandle[Any, Any]) -> None:
    """End the delivery workflows of a case's or application's messages: one still waiting for a receipt would
    otherwise fire its timer on the shared time-skipping server when no worker serves it any more."""
    try:
        state = await handle.query("current_state")
    except (RPCError, WorkflowQueryFailedError):
        return
    messages = state.get("messages", {}) if isinstance(state, dict) else getattr(state, "messages", {})
    for message_id, message in messages.items():
        resends = message.get("resends", 0) if isinstance(message, dict) else message.resends
        for resend in range(resends + 1):
            try:
                await handle._client.get_workflow_handle(delivery_workflow_id(message_id, resend)).terminate(
                    "test finished"
                )
            except RPCError:
                pass  # completed, or never started


async def wait_for_state(
    handle: WorkflowHandle[CaseWorkflow, CaseResult], condition: Callable[[CaseState], bool], attempts: int = 200
) -> CaseState:
    for _ in range(attempts):
        state = await handle.query(CaseWorkflow.current_state)
        if condition(state):
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition never held; last state: {state.status}")


async def search_attribute(handle: WorkflowHandle[CaseWorkflow, CaseResult], name: str) -> object:
    """One search attribute's value as the server stores it.

    Read raw because the Java test server keeps an unset attribute as JSON null, which the SDK's typed
    decoding of a Datetime attribute cannot parse.
    """
    client = handle._client
    description = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(namespace=client.namespace, execution=WorkflowExecution(workflow_id=handle.id))
    )
    payload = description.workflow_execution_info.search_attributes.indexed_fields.get(name)
    if payload is None or not payload.data:
        return None
    value = json.loads(payload.data)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _updates_by_command() -> dict[type, Any]:
    """Each Update of CaseWorkflow, keyed by the command class it takes."""
    definition = workflow._Definition.must_from_class(CaseWorkflow)  # the SDK has no public accessor
    return {typing.get_type_hints(update.fn)["command"]: update.name for update in definition.updates.values()}


_UPDATES = _updates_by_command()


async def send(handle: WorkflowHandle[CaseWorkflow, CaseResult], command: CaseCommand) -> CaseState:
    """Send `command` as the Update that takes it, with its command id as the update id."""
    state: CaseState = await handle.execute_update(
        _UPDATES[type(command)], command, id=command.command_id, result_type=CaseState
    )
    return state
