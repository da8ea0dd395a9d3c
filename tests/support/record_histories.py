"""Record the workflow histories the replay test keeps (`python -m tests.support.record_histories [NAME ...]`).

Only missing files are recorded: a saved history is what a case started by that version of the code
looks like, and the replay test proves the current code can still continue it. Never re-record an
existing file to make the replay test pass; guard the change with `workflow.patched` instead.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from deploy.binaries import temporal_test_server
from tests.support.domain_helpers import CASEWORKER, choose, cid, classify, contact, offer
from tests.support.factories import make_command, make_plan, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.paths import HISTORIES
from tests.support.temporal_fixtures import register_search_attributes
from tests.support.workflow_helpers import send, start_case, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import AcknowledgeWarning, AssignCase, CaseworkerRef
from workflows.domain.commands import (
    AcceptFreeChoice,
    ChooseTrainingHospital,
    CloseCase,
    CompleteCourse,
    ConfirmProposedStartDate,
    FreeChoiceProvider,
    HospitalRef,
    ReceivePlan,
    ReplacePlan,
    TransferCase,
)
from workflows.domain.messaging.commands import ResendMessage
from workflows.domain.model import CaseStatus, CloseReason, Level, TransferReason
from workflows.domain.plan.plan import PreviousPlan
from workflows.domain.state import CaseState
from workflows.messaging.starting import in_flight
from workflows.shell.results import CaseResult

_WITH_STORE = {"truthful_messages", "resent_after_end", "light_case"}  # scenarios that steer the fake transport
TASK_QUEUE = "record"
logger = logging.getLogger(__name__)

Case = WorkflowHandle[CaseWorkflow, CaseResult]
Scenario = Callable[[WorkflowEnvironment, date], Awaitable[Case]]


async def _distributed_case(client: Client, today: date, **plan_fields: object) -> Case:
    handle, _ = await start_case(client, TASK_QUEUE, receive_plan(make_plan(discharge_date=today, **plan_fields)))
    await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)
    return handle


async def almen_completed(env: WorkflowEnvironment, today: date) -> Case:
    handle = await _distributed_case(env.client, today)
    for command in (classify(), contact(), choose(), offer(today + timedelta(days=3))):
        await send(handle, command)
    await send(handle, CompleteCourse(command_id="complete", actor="caseworker:record"))
    await handle.result()
    return handle


async def deadlines_breached(env: WorkflowEnvironment, today: date) -> Case:
    handle = await _distributed_case(env.client, today)
    await env.sleep(timedelta(days=9))
    await wait_for_state(handle, lambda s: s.start_guarantee_breached and s.contact_overdue)
    await handle.terminate("recorded")
    return handle


async def rulebook_free_choice_and_transfer(env: WorkflowEnvironment, today: date) -> Case:
    """Reminder, escalation and breach by timer; free choice accepted; then the citizen moves."""
    handle = await _distributed_case(env.client, today)
    await env.sleep(timedelta(days=9))
    await wait_for_state(handle, lambda s: s.free_choice_open and s.contact_reminder_sent)
    provider = FreeChoiceProvider(provider_id="fritvalg-1", name="Privat Fys ApS")
    await send(handle, AcceptFreeChoice(command_id=cid(), actor=CASEWORKER, provider=provider))
    move = TransferCase(
        command_id=cid(),
        actor=CASEWORKER,
        to_municipality_code="751",
        reason=TransferReason.CITIZEN_MOVED,
        contact_working_days=4,
    )
    await send(handle, move)
    await handle.terminate("recorded")
    return handle


async def rulebook_specialiseret_replaced(env: WorkflowEnvironment, today: date) -> Case:
    """A hospital chosen for specialised training gets the plan; a new plan replaces the first."""
    handle = await _distributed_case(env.client, today, level=Level.SPECIALISERET.value)
    hospital = HospitalRef(sor_id="227871000016001", name="Aarhus Universitetshospital", region="midtjylland")
    await send(handle, ChooseTrainingHospital(command_id=cid(), actor=CASEWORKER, hospital=hospital))
    state = await wait_for_state(handle, lambda s: len(s.deliveries) == 4)
    previous = PreviousPlan(plan_id=state.require_plan().plan_id, relation="replaces")
    new_plan = make_plan(discharge_date=today, previous_plan=previous)
    await send(handle, ReplacePlan(command_id=cid(), actor="hospital:x", plan=new_plan, contact_working_days=5))
    await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED and s.plan == new_plan)
    await handle.terminate("recorded")
    return handle


async def start_date_proposal_confirmed(env: WorkflowEnvironment, today: date) -> Case:
    """A later start read from the plan's free text is proposed, confirmed, and moves the guarantee's timer."""
    text = "tidligst 14 dage efter udskrivelse"
    handle = await _distributed_case(env.client, today, rehabilitation_deadline_text=text)
    confirm = ConfirmProposedStartDate(command_id=cid(), actor=CASEWORKER, proposed_on=today + timedelta(days=14))
    await send(handle, confirm)
    await env.sleep(timedelta(days=9))
    await wait_for_state(handle, lambda s: s.contact_overdue and not s.start_guarantee_breached)
    await handle.terminate("recorded")
    return handle


async def _resent_then_free_choice(env: WorkflowEnvironment, store: InMemoryCaseStore, handle: Case) -> None:
    """The one letter that failed resent by a caseworker once sends work again, then the guarantee breached (nine
    days on) and the free-choice letter sent."""
    state = await wait_for_state(handle, lambda s: any(m.status.value == "failed" for m in s.messages.values()))
    (failed,) = [message_id for message_id, m in state.messages.items() if m.status.value == "failed"]
    store.refuse_sends = False
    await send(handle, ResendMessage(command_id=cid(), actor=CASEWORKER, message_id=failed))
    await wait_for_state(handle, lambda s: s.messages[failed].status.value == "sent")
    await env.sleep(timedelta(days=9))
    await wait_for_state(
        handle, lambda s: s.free_choice_open and all(m.status.value == "sent" for m in s.messages.values())
    )


async def truthful_messages(env: WorkflowEnvironment, today: date, store: InMemoryCaseStore) -> Case:
    """The plan's copies settled by a queued letter (sent) and withheld copies; a letter whose delivery fails,
    resent by a caseworker; the free-choice letter after the breach (the truthful-messages patch)."""
    store.refuse_sends = True
    handle = await _distributed_case(env.client, today)
    await _resent_then_free_choice(env, store, handle)
    await handle.terminate("recorded")
    return handle


async def resent_after_end(env: WorkflowEnvironment, today: date, store: InMemoryCaseStore) -> Case:
    """A caseworker acts with an If-Match read before the letters went out (patch facts-version-precondition);
    the case is closed while its letters fail; a failed letter is resent after the end (patch resends-after-end),
    and the workflow finishes once nothing has failed."""
    store.refuse_sends = True
    handle, received = await start_case(env.client, TASK_QUEUE, receive_plan(make_plan(discharge_date=today)))
    await wait_for_state(handle, lambda s: s.version > s.facts_version)  # a letter went out since the read
    await send(handle, classify().model_copy(update={"expected_version": received.version}))
    await send(handle, CloseCase(command_id=cid(), actor=CASEWORKER, reason=CloseReason.PLAN_SENT_IN_ERROR))
    state = await wait_for_state(handle, lambda s: s.delivery_failed and not in_flight(s.messages))
    store.refuse_sends = False
    for message_id, message in state.messages.items():
        if message.status.value == "failed":
            await send(handle, ResendMessage(command_id=cid(), actor=CASEWORKER, message_id=message_id))
    await handle.result()
    return handle


async def light_case(env: WorkflowEnvironment, today: date, store: InMemoryCaseStore) -> Case:
    """A case started light, as the doors start cases since issue 18: the copies settled in the plan's own append,
    the first-contact letter sent by the case itself and failing, resent by a caseworker; the deadlines passing on
    a kept timer, the free-choice letter; then classified and closed."""
    store.refuse_sends = True
    receive = receive_plan(make_plan(discharge_date=today))
    handle, _ = await start_case(env.client, TASK_QUEUE, receive, light=True)
    await _resent_then_free_choice(env, store, handle)
    await send(handle, classify())
    await send(handle, CloseCase(command_id=cid(), actor=CASEWORKER, reason=CloseReason.PLAN_SENT_IN_ERROR))
    await handle.result()
    return handle


async def deadline_warnings_seen(env: WorkflowEnvironment, today: date) -> Case:
    """Warnings before both deadlines (the municipality's lead of 3 working days) to the caseworker who holds the
    case; one marked seen, and seen again; then the deadlines pass without a second warning."""
    plan = make_plan(discharge_date=today)
    receive = make_command(ReceivePlan, plan=plan, contact_working_days=5, warning_working_days=3)
    handle, _ = await start_case(env.client, TASK_QUEUE, receive)
    await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)
    caseworker = CaseworkerRef(subject="cw-record", municipality_code="101", team="team-nord")
    await send(handle, AssignCase(command_id=cid(), actor=CASEWORKER, assignee=caseworker))
    state = await _skip_days_until(env, handle, lambda s: len(s.deadline_warnings) == 2)
    seen = AcknowledgeWarning(command_id=cid(), actor=CASEWORKER, warning_id=state.unseen_warnings[0].warning_id)
    await send(handle, seen)
    await send(handle, seen.model_copy(update={"command_id": cid()}))  # seen twice: no second event
    await _skip_days_until(env, handle, lambda s: s.contact_overdue and s.start_guarantee_breached)
    await handle.terminate("recorded")
    return handle


async def _skip_days_until(env: WorkflowEnvironment, handle: Case, condition: Callable[[CaseState], bool]) -> CaseState:
    for _ in range(30):
        state = await handle.query(CaseWorkflow.current_state)
        if condition(state):
            return state
        await env.sleep(timedelta(days=1))
    return await wait_for_state(handle, condition)


SCENARIOS: dict[str, Scenario] = {
    "almen_completed": almen_completed,
    "deadlines_breached": deadlines_breached,
    "rulebook_free_choice_and_transfer": rulebook_free_choice_and_transfer,
    "rulebook_specialiseret_replaced": rulebook_specialiseret_replaced,
    "start_date_proposal_confirmed": start_date_proposal_confirmed,
    "truthful_messages": truthful_messages,
    "deadline_warnings_seen": deadline_warnings_seen,
    "resent_after_end": resent_after_end,
    "light_case": light_case,
}


async def record(names: list[str]) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter, test_server_existing_path=str(temporal_test_server())
    )
    await register_search_attributes(env.client)
    store = InMemoryCaseStore()
    async with (
        env,
        Worker(env.client, task_queue=TASK_QUEUE, workflows=[CaseWorkflow], activities=store.activities()),
        store.message_worker(env.client, TASK_QUEUE),
    ):
        for name in names:
            today = (await env.get_current_time()).date()
            scenario = SCENARIOS[name]
            handle = await (scenario(env, today, store) if name in _WITH_STORE else scenario(env, today))  # type: ignore[call-arg]
            history = await handle.fetch_history()
            (HISTORIES / f"{name}.json").write_text(history.to_json())
            logger.info("recorded %s (%d events) from case %s", name, len(history.events), uuid.UUID(handle.id[5:]))


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    wanted = sys.argv[1:] or [name for name in SCENARIOS if not (HISTORIES / f"{name}.json").exists()]
    asyncio.run(record(wanted))
