"""The proposed later start on the time-skipping server: only a confirmed date moves the start guarantee's timer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.domain_helpers import CASEWORKER, cid
from tests.support.factories import make_plan, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import send, start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import ConfirmProposedStartDate, RejectProposedStartDate
from workflows.domain.events import StartGuaranteeBreached
from workflows.domain.model import CaseStatus
from workflows.domain.plan.start_proposal import ProposalOutcome
from workflows.domain.state import CaseState, fold
from workflows.shell.results import CaseResult

Running = tuple[WorkflowEnvironment, InMemoryCaseStore, str]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Running]:
    store = InMemoryCaseStore()
    task_queue = f"proposals-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    async with (
        Worker(client, task_queue=task_queue, workflows=[CaseWorkflow], activities=store.activities()),
        store.message_worker(client, task_queue),  # the cases' deliveries (see tests/support/fakes.py)
    ):
        yield time_skipping_env, store, task_queue
        await terminate_started_cases()


async def _case_with_proposal(running: Running) -> tuple[WorkflowHandle[CaseWorkflow, CaseResult], CaseState, date]:
    env, store, task_queue = running
    today = (await env.get_current_time()).date()
    plan = make_plan(
        discharge_date=today.isoformat(), rehabilitation_deadline_text="tidligst 14 dage efter udskrivelse"
    )
    handle, state = await start_case(env.client, task_queue, receive_plan(plan))
    proposal = state.start_date_proposal
    assert proposal is not None and proposal.outcome is ProposalOutcome.OPEN
    assert proposal.proposed_on == today + timedelta(days=14)
    assert proposal.source_text == "tidligst 14 dage efter udskrivelse"
    assert state.start_guarantee_due_on == today + timedelta(days=7)  # proposed only: the clock has not moved
    assert [e.type for e in store.events(state.case_id)][:2] == ["PlanReceived", "StartDateProposed"]
    await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)  # the copies are out: no more events
    return handle, state, today


async def test_a_confirmed_start_moves_the_guarantee_past_day_8(running: Running) -> None:
    env, store, _ = running
    handle, state, today = await _case_with_proposal(running)
    proposed_on = today + timedelta(days=14)
    confirmed = await send(
        handle, ConfirmProposedStartDate(command_id=cid(), actor=CASEWORKER, proposed_on=proposed_on)
    )
    assert confirmed.start_guarantee_due_on == today + timedelta(days=21)
    details = (await handle.query("__temporal_workflow_metadata")).current_details  # the Temporal UI's summary
    assert f"Later start proposed from the plan's text: {proposed_on} (confirmed)" in details
    assert "tidligst" not in details  # the plan's words are health text: never in the unencrypted summary
    await env.sleep(timedelta(days=8))
    # The contact deadline (working days) fires within these 8 days unless holidays push it past them: the
    # shared time-skipping clock may stand in late December by the time this test runs.
    contact_fired = confirmed.contact_due_on is not None and confirmed.contact_due_on < today + timedelta(days=8)
    day_8 = await wait_for_state(handle, lambda s: s.contact_overdue or not contact_fired)
    assert not day_8.start_guarantee_breached
    await env.sleep(timedelta(days=14))  # past the moved last day, 7 days after the confirmed start
    breached = await wait_for_state(handle, lambda s: s.start_guarantee_breached)
    breach = [e.due_on for e in store.events(state.case_id) if isinstance(e, StartGuaranteeBreached)]
    assert breach == [today + timedelta(days=21)]
    assert fold(CaseState(case_id=state.case_id), store.events(state.case_id)) == breached


async def test_a_rejected_proposal_leaves_the_breach_on_day_8(running: Running) -> None:
    env, store, _ = running
    handle, state, today = await _case_with_proposal(running)
    rejected = await send(handle, RejectProposedStartDate(command_id=cid(), actor=CASEWORKER, reason="Ikke begrundet"))
    assert rejected.start_date_proposal is not None
    assert rejected.start_date_proposal.outcome is ProposalOutcome.REJECTED
    await env.sleep(timedelta(days=8))
    breached = await wait_for_state(handle, lambda s: s.start_guarantee_breached)
    assert breached.free_choice_open
    breach = [e.due_on for e in store.events(state.case_id) if isinstance(e, StartGuaranteeBreached)]
    assert breach == [today + timedelta(days=7)]


async def test_a_second_decision_is_a_typed_rejection_and_records_nothing(running: Running) -> None:
    _, store, _ = running
    handle, state, today = await _case_with_proposal(running)
    await send(handle, RejectProposedStartDate(command_id=cid(), actor=CASEWORKER))
    version = len(store.events(state.case_id))
    confirm = ConfirmProposedStartDate(command_id=cid(), actor=CASEWORKER, proposed_on=today + timedelta(days=14))
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await send(handle, confirm)
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "NotAllowedNow"
    assert cause.non_retryable
    assert len(store.events(state.case_id)) == version
