"""The Temporal work a case costs, counted from its real histories on the dev server (issue 18's budget): at most 6
billable actions for a plan's intake through the door, with its first-contact letter sent, and at most 18 for a
whole almen case. A withheld copy costs nothing, and a letter needs no workflow of its own."""

from __future__ import annotations

import tempfile
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.intake.plans import take_plan
from activities.intake.settings import IntakeSettings
from activities.messaging.settings import TransportSettings
from activities.messaging.setup import messaging_parts
from activities.platform.db import Pool
from activities.platform.identity import SystemIdentity
from tests.support.actions import actions_of_workflows
from tests.support.factories import make_command, make_plan, make_provider_ref
from tests.support.sender_helpers import case_and_message_workers
from tests.support.workflow_helpers import wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.contracts.messaging import delivery_workflow_id
from workflows.domain.commands import (
    ChooseProvider,
    ClassifyAlmenLevel,
    CompleteCourse,
    OfferStart,
    RecordCitizenContact,
)
from workflows.domain.messaging.model import MessageKind
from workflows.domain.messaging.state import DeliveryStatus
from workflows.domain.model import AlmenSubLevel, ContactChannel, Recipient
from workflows.domain.state import CaseState
from workflows.shell.identity import workflow_id_for_case

INTAKE_BUDGET = 6
ALMEN_CASE_BUDGET = 18
HOSPITAL = SystemIdentity(subject="vans:5790000000001", primary_role="hospital")


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[tuple[Client, Pool, str]]:
    task_queue = f"budget-{uuid.uuid4().hex[:8]}"
    data_dir = Path(tempfile.mkdtemp(prefix="genop-budget-"))
    parts = messaging_parts(pool, dev_server_env.client, task_queue, TransportSettings(), data_dir)
    async with case_and_message_workers(dev_server_env.client, pool, task_queue, parts):
        yield dev_server_env.client, pool, task_queue


def _letter_sent(state: CaseState) -> bool:
    return any(
        m.kind is MessageKind.LETTER_FIRST_CONTACT and m.status is DeliveryStatus.SENT for m in state.messages.values()
    )


async def _case_actions(client: Client, state: CaseState) -> Counter[str]:
    """The case's own actions and those of any delivery workflow of its messages."""
    deliveries = [delivery_workflow_id(message_id) for message_id in state.messages]
    return await actions_of_workflows(client, [workflow_id_for_case(state.case_id), *deliveries])


async def test_an_almen_case_stays_within_its_temporal_budget(stack: tuple[Client, Pool, str]) -> None:
    client, pool, task_queue = stack
    plan = make_plan(discharge_date=date.today().isoformat())
    settings = IntakeSettings(temporal_task_queue=task_queue)
    received = await take_plan(plan, sender=HOSPITAL, pool=pool, client=client, settings=settings)
    handle = client.get_workflow_handle_for(CaseWorkflow.run, workflow_id_for_case(received.state.case_id))
    state = await wait_for_state(handle, _letter_sent)  # type: ignore[arg-type]

    # The GP's and the municipality's copies are withheld (no forwarding configured), at no cost of their own.
    assert {Recipient.GP, Recipient.MUNICIPALITY} <= set(state.deliveries)
    intake = await _case_actions(client, state)
    assert sum(intake.values()) <= INTAKE_BUDGET, intake
    assert intake["child_start"] == 0, "a letter needs no workflow of its own"

    steps = [
        make_command(ClassifyAlmenLevel, sub_level=AlmenSubLevel.BASAL),
        make_command(RecordCitizenContact, channel=ContactChannel.PHONE, informed_of_provider_choices=True),
        make_command(ChooseProvider, provider=make_provider_ref()),
        make_command(OfferStart, first_appointment_on=plan.discharge_date + timedelta(days=5)),
        make_command(CompleteCourse),
    ]
    updates = [
        CaseWorkflow.classify_level,
        CaseWorkflow.record_contact,
        CaseWorkflow.choose_provider,
        CaseWorkflow.offer_start,
        CaseWorkflow.complete_course,
    ]
    for update, command in zip(updates, steps, strict=True):
        await handle.execute_update(update, command)  # type: ignore[arg-type]
    await handle.result()

    whole = await _case_actions(client, await handle.query(CaseWorkflow.current_state))
    assert sum(whole.values()) <= ALMEN_CASE_BUDGET, whole
