"""The case workflow on the time-skipping test server, with the in-memory store."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.domain_helpers import choose, classify, contact, offer
from tests.support.factories import make_plan, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import search_attribute, send, start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import CaseworkerRef, ClaimCase
from workflows.domain.commands import CompleteCourse
from workflows.domain.model import DISCHARGE_RECIPIENTS, CaseStatus
from workflows.domain.state import CaseState, fold
from workflows.shell import search_attributes as keys
from workflows.shell.results import CaseResult


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running(
    time_skipping_env: WorkflowEnvironment,
) -> AsyncIterator[tuple[WorkflowEnvironment, InMemoryCaseStore, str]]:
    store = InMemoryCaseStore()
    task_queue = f"cases-{uuid.uuid4().hex[:8]}"
    async with (
        Worker(
            time_skipping_env.client, task_queue=task_queue, workflows=[CaseWorkflow], activities=store.activities()
        ),
        store.message_worker(time_skipping_env.client, task_queue),
    ):
        yield time_skipping_env, store, task_queue
        await terminate_started_cases()


def _distributed(state: CaseState) -> bool:
    return state.status is CaseStatus.DISTRIBUTED


async def test_almen_route_end_to_end(running: tuple[WorkflowEnvironment, InMemoryCaseStore, str]) -> None:
    env, store, task_queue = running
    today = (await env.get_current_time()).date()
    handle, received = await start_case(
        env.client, task_queue, receive_plan(make_plan(discharge_date=today.isoformat()))
    )
    assert received.status is CaseStatus.RECEIVED
    await wait_for_state(handle, _distributed)
    claim = ClaimCase(
        command_id="claim-1", actor="caseworker:cw-1", caseworker=CaseworkerRef(subject="cw-1", municipality_code="101")
    )
    for command in (classify(), claim, contact(), choose(), offer(today + timedelta(days=2))):
        await send(handle, command)
    final = await send(handle, CompleteCourse(command_id="done-1", actor="caseworker:cw-1"))
    assert final.status is CaseStatus.COMPLETED
    result = await handle.result()  # ids and status only: the state stays out of the history's result
    assert result == CaseResult(case_id=final.case_id, status=CaseStatus.COMPLETED, version=final.version)
    stored = store.events(final.case_id)
    assert fold(CaseState(case_id=final.case_id), stored) == final
    # Every copy is settled by what truly happened: the citizen's letter queued, the plan withheld where the
    # deployment forwards none (the fake's setting); nothing claims a delivery.
    settled = [e.recipient for e in stored if e.type in ("MessageQueued", "PlanDeliveryWithheld")]  # type: ignore[union-attr]
    assert sorted(settled) == sorted(DISCHARGE_RECIPIENTS)
    assert not [e for e in stored if e.type == "PlanDelivered"]
    assert [key[1] for key in store.outbox if key[0] == final.case_id] == ["letter_first_contact"]
    metadata = await handle.query("__temporal_workflow_metadata")
    details = metadata.current_details  # what the Temporal UI shows on the workflow page
    assert "Status: **completed**" in details and "Level: almen / basal" in details and "held by cw-1" in details
    assert final.plan is not None and final.plan.patient.cpr not in details and final.plan.patient.name not in details


async def test_rejected_command_changes_nothing(running: tuple[WorkflowEnvironment, InMemoryCaseStore, str]) -> None:
    env, store, task_queue = running
    handle, state = await start_case(env.client, task_queue, receive_plan())
    state = await wait_for_state(handle, _distributed)
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await send(handle, contact())  # almen: classify first
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotAllowedNow"
    assert len(store.events(state.case_id)) == state.version


async def test_resent_command_is_applied_once(running: tuple[WorkflowEnvironment, InMemoryCaseStore, str]) -> None:
    env, store, task_queue = running
    handle, _ = await start_case(env.client, task_queue, receive_plan())
    await wait_for_state(handle, _distributed)
    command = classify()
    first = await send(handle, command)
    again = await send(handle, command)
    assert first == again
    assert [e.type for e in store.events(first.case_id)].count("AlmenSubLevelClassified") == 1


async def test_start_guarantee_breach_opens_free_choice(
    running: tuple[WorkflowEnvironment, InMemoryCaseStore, str],
) -> None:
    env, store, task_queue = running
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(env.client, task_queue, receive_plan(make_plan(discharge_date=today.isoformat())))
    await wait_for_state(handle, _distributed)
    await env.sleep(timedelta(days=16))
    state = await wait_for_state(handle, lambda s: s.start_guarantee_breached)
    assert state.free_choice_open
    assert state.contact_overdue  # 5 working days passed as well
    types = [e.type for e in store.events(state.case_id)]
    assert types.count("StartGuaranteeBreached") == 1 and types.count("ContactDeadlineMissed") == 1
    assert await search_attribute(handle, keys.CASE_OVERDUE.name) is True


async def test_start_offered_in_time_cancels_the_guarantee_timer(
    running: tuple[WorkflowEnvironment, InMemoryCaseStore, str],
) -> None:
    env, store, task_queue = running
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(env.client, task_queue, receive_plan(make_plan(discharge_date=today.isoformat())))
    await wait_for_state(handle, _distributed)
    for command in (classify(), contact(), choose(), offer(today + timedelta(days=7))):
        await send(handle, command)
    await env.sleep(timedelta(days=30))
    state = await handle.query(CaseWorkflow.current_state)
    assert not state.start_guarantee_breached and not state.contact_overdue
    assert "StartGuaranteeBreached" not in [e.type for e in store.events(state.case_id)]
    assert await search_attribute(handle, keys.CASE_STATUS.name) == CaseStatus.TRAINING_STARTED.value
    assert await search_attribute(handle, keys.NEXT_DEADLINE.name) is None
