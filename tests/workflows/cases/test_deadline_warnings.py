"""Deadline warnings as the case workflow's durable timers, on the time-skipping server.

The clock is shared with every other module's tests, so each test reads today from the server and computes the
instants from the case's own due dates: holidays and weekends move them, never the test's expectations.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, timedelta

import pytest
import pytest_asyncio
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.domain_helpers import CASEWORKER, cid, classify, contact
from tests.support.factories import make_command, make_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import send, start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.calendar import end_of_local_day, local_date, subtract_working_days
from workflows.domain.casework.model import AcknowledgeWarning, AssignCase, CaseworkerRef, DeadlineWarningIssued
from workflows.domain.commands import AssignTeam, ConfirmProposedStartDate, ReceivePlan, TransferCase
from workflows.domain.events import ContactReminderDue
from workflows.domain.model import CaseStatus, DeadlineKind, TransferReason
from workflows.domain.state import CaseState, fold
from workflows.shell.results import CaseResult

Running = tuple[WorkflowEnvironment, InMemoryCaseStore, str]
Case = WorkflowHandle[CaseWorkflow, CaseResult]
CONTACT, GUARANTEE = DeadlineKind.CONTACT, DeadlineKind.START_GUARANTEE
MARGIN = timedelta(minutes=1)
RULES_LEAD = 2  # RuleSet.deadline_warning_working_days


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Running]:
    store = InMemoryCaseStore()
    task_queue = f"warnings-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    async with (
        Worker(client, task_queue=task_queue, workflows=[CaseWorkflow], activities=store.activities()),
        store.message_worker(client, task_queue),
    ):
        yield time_skipping_env, store, task_queue
        await terminate_started_cases()


async def _case(running: Running, lead: int | None = None, **plan_fields: object) -> tuple[Case, CaseState]:
    env, _, task_queue = running
    today = local_date(await env.get_current_time())
    plan = make_plan(discharge_date=today.isoformat(), **plan_fields)
    receive = make_command(ReceivePlan, plan=plan, contact_working_days=5, warning_working_days=lead)
    handle, _ = await start_case(env.client, task_queue, receive)
    return handle, await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)


def warning_at(due_on: date | None, lead: int) -> datetime:
    """When the warning of a deadline due on `due_on` falls due: at the end of the day `lead` working days
    before it (the issue's rule; `pending_deadlines` implements it)."""
    assert due_on is not None
    return end_of_local_day(subtract_working_days(due_on, lead))


def issued(store: InMemoryCaseStore, case_id: str) -> list[DeadlineWarningIssued]:
    return [event for event in store.events(case_id) if isinstance(event, DeadlineWarningIssued)]


async def skip_to(env: WorkflowEnvironment, instant: datetime) -> bool:
    """Advance the shared clock to `instant`; False if it is past already."""
    now = await env.get_current_time()
    if instant <= now:
        return False
    await env.sleep(instant - now)
    return True


def _all_issued(
    new_warnings: Callable[[], list[DeadlineWarningIssued]], due: set[DeadlineKind]
) -> Callable[[CaseState], bool]:
    return lambda _: {event.deadline for event in new_warnings()} >= due


async def warned_at_their_instants(
    running: Running, handle: Case, expected: dict[DeadlineKind, datetime], since: datetime | None
) -> None:
    """Each deadline's warning is issued once its instant has come, and not a minute before. `since`: when the
    deadline came to be (receipt, a move); a warning whose instant lies before it is issued at once."""
    env, store, _ = running
    assert since is not None
    case_id = handle.id.removeprefix("case-")
    effective = {kind: max(at, since) for kind, at in expected.items()}

    def new_warnings() -> list[DeadlineWarningIssued]:
        return [event for event in issued(store, case_id) if event.occurred_at >= since]

    for instant in sorted(set(effective.values())):
        if await skip_to(env, instant - MARGIN):
            await handle.query(CaseWorkflow.current_state)  # the worker has caught up with the clock
            earlier = {kind for kind, at in effective.items() if at < instant}
            assert {event.deadline for event in new_warnings()} == earlier
        await skip_to(env, instant + MARGIN)
        due = {kind for kind, at in effective.items() if at <= instant}
        await wait_for_state(handle, _all_issued(new_warnings, due))
    for event in new_warnings():
        assert effective[event.deadline] <= event.occurred_at < effective[event.deadline] + MARGIN


async def test_a_team_is_warned_of_both_deadlines_at_their_instants_and_only_once(running: Running) -> None:
    env, store, _ = running
    handle, state = await _case(running)
    await send(handle, AssignTeam(command_id=cid(), actor=CASEWORKER, team="team-nord"))
    expected = {
        CONTACT: warning_at(state.contact_due_on, RULES_LEAD),
        GUARANTEE: warning_at(state.start_guarantee_due_on, RULES_LEAD),
    }
    await warned_at_their_instants(running, handle, expected, state.received_at)
    # On to past both deadlines: each fires (missed, breached), and neither is warned of again.
    assert state.contact_due_on is not None and state.start_guarantee_due_on is not None
    await skip_to(env, end_of_local_day(max(state.contact_due_on, state.start_guarantee_due_on)) + MARGIN)
    final = await wait_for_state(handle, lambda s: s.contact_overdue and s.start_guarantee_breached)
    warnings = issued(store, state.case_id)
    assert sorted((w.deadline, w.due_on, w.assignee, w.team) for w in warnings) == [
        (CONTACT, state.contact_due_on, None, "team-nord"),
        (GUARANTEE, state.start_guarantee_due_on, None, "team-nord"),
    ]
    assert [w.warning_id for w in final.unseen_warnings] == [w.warning_id for w in warnings]
    # Warnings replace the contact reminder in cases that run them.
    assert not [event for event in store.events(state.case_id) if isinstance(event, ContactReminderDue)]
    assert fold(CaseState(case_id=state.case_id), store.events(state.case_id)) == final


async def test_the_assignee_is_warned_with_the_lead_time_the_command_carried(running: Running) -> None:
    _, store, _ = running
    handle, state = await _case(running, lead=4)
    caseworker = CaseworkerRef(subject="cw-7", municipality_code="101", team="team-syd")
    await send(handle, AssignCase(command_id=cid(), actor=CASEWORKER, assignee=caseworker))
    expected = {CONTACT: warning_at(state.contact_due_on, 4), GUARANTEE: warning_at(state.start_guarantee_due_on, 4)}
    await warned_at_their_instants(running, handle, expected, state.received_at)
    warnings = issued(store, state.case_id)
    assert {(w.assignee, w.team) for w in warnings} == {("cw-7", "team-syd")}
    # Seen: gone from the unseen ones; seen again: nothing new; an id the case never issued: refused.
    contact_warning = next(w.warning_id for w in warnings if w.deadline is CONTACT)
    seen = await send(handle, AcknowledgeWarning(command_id=cid(), actor=CASEWORKER, warning_id=contact_warning))
    assert contact_warning not in [w.warning_id for w in seen.unseen_warnings]
    again = await send(handle, AcknowledgeWarning(command_id=cid(), actor=CASEWORKER, warning_id=contact_warning))
    assert again.version == seen.version
    with pytest.raises(WorkflowUpdateFailedError) as failed:
        await send(handle, AcknowledgeWarning(command_id=cid(), actor=CASEWORKER, warning_id="contact:1999-01-01"))
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidCommand"


async def test_a_confirmed_later_start_is_warned_of_again_for_its_new_date(running: Running) -> None:
    env, store, _ = running
    handle, state = await _case(running, rehabilitation_deadline_text="tidligst 14 dage efter udskrivelse")
    first = warning_at(state.start_guarantee_due_on, RULES_LEAD)
    await skip_to(env, first + MARGIN)
    await wait_for_state(handle, lambda s: GUARANTEE in s.deadline_warnings)
    proposal = state.start_date_proposal
    assert proposal is not None and proposal.proposed_on is not None
    confirm = ConfirmProposedStartDate(command_id=cid(), actor=CASEWORKER, proposed_on=proposal.proposed_on)
    moved = await send(handle, confirm)
    assert moved.start_guarantee_due_on == proposal.proposed_on + timedelta(days=7)
    expected = {GUARANTEE: warning_at(moved.start_guarantee_due_on, RULES_LEAD)}
    await warned_at_their_instants(running, handle, expected, moved.updated_at)
    guarantee = [(w.due_on, w.warning_id) for w in issued(store, state.case_id) if w.deadline is GUARANTEE]
    assert guarantee == [
        (state.start_guarantee_due_on, f"start_guarantee:{state.start_guarantee_due_on}"),
        (moved.start_guarantee_due_on, f"start_guarantee:{moved.start_guarantee_due_on}"),
    ]


async def test_a_transfer_gives_a_new_contact_deadline_warned_of_to_nobody_yet(running: Running) -> None:
    env, store, _ = running
    handle, state = await _case(running)
    caseworker = CaseworkerRef(subject="cw-7", municipality_code="101")
    await send(handle, AssignCase(command_id=cid(), actor=CASEWORKER, assignee=caseworker))
    await skip_to(env, warning_at(state.contact_due_on, RULES_LEAD) + MARGIN)
    await wait_for_state(handle, lambda s: CONTACT in s.deadline_warnings)
    transfer = TransferCase(
        command_id=cid(),
        actor=CASEWORKER,
        to_municipality_code="751",
        reason=TransferReason.CITIZEN_MOVED,
        contact_working_days=4,
        warning_working_days=1,
    )
    moved = await send(handle, transfer)
    assert moved.contact_due_on is not None and moved.contact_due_on != state.contact_due_on
    await warned_at_their_instants(running, handle, {CONTACT: warning_at(moved.contact_due_on, 1)}, moved.updated_at)
    contact_warnings = [(w.due_on, w.assignee) for w in issued(store, state.case_id) if w.deadline is CONTACT]
    # The first went to the caseworker who held the case; the transfer cleared the holder.
    assert contact_warnings == [(state.contact_due_on, "cw-7"), (moved.contact_due_on, None)]


async def test_a_met_contact_deadline_is_not_warned_of(running: Running) -> None:
    env, store, _ = running
    handle, state = await _case(running)
    await send(handle, classify())
    await send(handle, contact())
    assert state.contact_due_on is not None
    guarantee_warning = warning_at(state.start_guarantee_due_on, RULES_LEAD)
    await skip_to(env, max(end_of_local_day(state.contact_due_on), guarantee_warning) + MARGIN)
    await wait_for_state(handle, lambda s: GUARANTEE in s.deadline_warnings)
    assert [w.deadline for w in issued(store, state.case_id)] == [GUARANTEE]
