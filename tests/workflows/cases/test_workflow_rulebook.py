"""Rulebook scenarios on the time-skipping server: timers, redistribution and moves between municipalities."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.domain_helpers import CASEWORKER, choose, cid, classify, contact
from tests.support.factories import make_plan, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import search_attribute, send, start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import DeadlineWarningIssued
from workflows.domain.commands import (
    AcceptFreeChoice,
    ChooseTrainingHospital,
    FreeChoiceProvider,
    HospitalRef,
    PostponeStart,
    ReplacePlan,
    TransferCase,
)
from workflows.domain.model import (
    CaseStatus,
    DeadlineKind,
    GuaranteeStatusReason,
    Level,
    ProviderKind,
    Recipient,
    TransferReason,
)
from workflows.domain.plan.plan import PreviousPlan
from workflows.domain.state import CaseState
from workflows.shell import search_attributes as keys

Running = tuple[WorkflowEnvironment, InMemoryCaseStore, str]


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def running(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[Running]:
    store = InMemoryCaseStore()
    task_queue = f"rulebook-{uuid.uuid4().hex[:8]}"
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


async def _fresh_case(running: Running, **plan_fields: object):  # type: ignore[no-untyped-def]
    env, _, task_queue = running
    today = (await env.get_current_time()).date()
    plan = make_plan(discharge_date=today.isoformat(), **plan_fields)
    handle, _ = await start_case(env.client, task_queue, receive_plan(plan))
    await wait_for_state(handle, _distributed)
    return handle, today


async def test_warning_then_escalation_of_the_contact_deadline(running: Running) -> None:
    # New cases are warned before the deadline (the contact reminder of older cases is guarded by the replay
    # of their saved histories, tests/workflows/test_replay.py).
    env, store, _ = running
    handle, _ = await _fresh_case(running)
    await env.sleep(timedelta(days=16))  # 5 working days span up to 12 calendar days (Easter)
    state = await wait_for_state(handle, lambda s: s.contact_overdue)
    events = store.events(state.case_id)
    types = [event.type for event in events]
    warnings = [event for event in events if isinstance(event, DeadlineWarningIssued)]
    contact = next(event for event in warnings if event.deadline is DeadlineKind.CONTACT)
    assert events.index(contact) < types.index("ContactDeadlineMissed")
    assert contact.due_on == state.contact_due_on
    assert "ContactReminderDue" not in types and not state.contact_reminder_sent


async def test_postponed_start_never_breaches(running: Running) -> None:
    env, store, _ = running
    handle, _ = await _fresh_case(running)
    await send(handle, PostponeStart(command_id=cid(), actor=CASEWORKER))
    await env.sleep(timedelta(days=20))
    state = await handle.query(CaseWorkflow.current_state)
    assert not state.start_guarantee_breached and state.start_guarantee_lapsed
    assert "StartGuaranteeBreached" not in [event.type for event in store.events(state.case_id)]


async def test_breach_by_timer_then_free_choice_accepted(running: Running) -> None:
    env, _, _ = running
    handle, _ = await _fresh_case(running)
    await env.sleep(timedelta(days=16))
    await wait_for_state(handle, lambda s: s.free_choice_open)
    provider = FreeChoiceProvider(provider_id="fritvalg-42", name="Privat Fys ApS")
    state = await send(handle, AcceptFreeChoice(command_id=cid(), actor=CASEWORKER, provider=provider))
    assert state.status is CaseStatus.PROVIDER_CHOSEN
    assert state.provider is not None and state.provider.kind is ProviderKind.KL_FREE_CHOICE
    assert state.guarantee_status_reason is GuaranteeStatusReason.FRIT_VALG


async def test_specialiseret_plan_goes_to_the_chosen_hospital(running: Running) -> None:
    _, store, _ = running
    handle, _ = await _fresh_case(running, level=Level.SPECIALISERET.value)
    assert (await handle.query(CaseWorkflow.current_state)).start_guarantee_due_on is None
    hospital = HospitalRef(sor_id="227871000016001", name="Aarhus Universitetshospital", region="midtjylland")
    await send(handle, ChooseTrainingHospital(command_id=cid(), actor=CASEWORKER, hospital=hospital))
    state = await wait_for_state(handle, lambda s: Recipient.TRAINING_HOSPITAL in s.deliveries)
    # Settled truthfully: the hospital sends its own copy; this deployment forwards none, so it is withheld.
    assert state.deliveries[Recipient.TRAINING_HOSPITAL] is None
    withheld = [e for e in store.events(state.case_id) if e.type == "PlanDeliveryWithheld"]
    assert any(e.recipient is Recipient.TRAINING_HOSPITAL and e.reason == "not_forwarded" for e in withheld)  # type: ignore[union-attr]


async def test_transfer_moves_the_case_and_its_search_attributes(running: Running) -> None:
    handle, _ = await _fresh_case(running)
    for command in (classify(), contact()):
        await send(handle, command)
    transfer = TransferCase(
        command_id=cid(),
        actor=CASEWORKER,
        to_municipality_code="751",
        reason=TransferReason.CITIZEN_MOVED,
        contact_working_days=4,
    )
    state = await send(handle, transfer)
    assert state.status is CaseStatus.DISTRIBUTED and state.responsible_municipality_code == "751"
    assert await search_attribute(handle, keys.MUNICIPALITY_CODE.name) == "751"


async def test_replacing_plan_is_distributed_again(running: Running) -> None:
    _, store, _ = running
    handle, today = await _fresh_case(running)
    for command in (classify(), contact(), choose()):
        await send(handle, command)
    old = (await handle.query(CaseWorkflow.current_state)).require_plan()
    new_plan = make_plan(
        discharge_date=today.isoformat(), previous_plan=PreviousPlan(plan_id=old.plan_id, relation="replaces")
    )
    await send(handle, ReplacePlan(command_id=cid(), actor="hospital:x", plan=new_plan, contact_working_days=5))
    state = await wait_for_state(handle, _distributed)
    assert state.plan == new_plan and state.revoked_plan_ids == [old.plan_id]
    # The first-contact letter again for the new plan; the other copies withheld (nothing is forwarded here).
    assert [event.type for event in store.events(state.case_id)].count("MessageQueued") == 2
    assert len([key for key in store.outbox if key[0] == state.case_id]) == 2  # the new plan's letter anew
