"""MedCom's resend rule, applied by the delivery workflow itself: a MedCom message that gets no receipt is
sent again after MEDCOM_RESEND_AFTER_MINUTES (30) with a new envelope id, at most MEDCOM_AUTOMATIC_RESENDS (2)
times, then fails at the give-up period; a receipt for any of its envelopes answers it; a negative receipt
fails it at once. Workflows on the time-skipping server, the store in PostgreSQL, the real VANS file drop."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from lxml import etree
from temporalio.client import WorkflowHandle
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.messaging.mailroom import Mailroom, medcom_receipt_reader
from activities.messaging.medcom.outbound_envelope import with_envelope_id
from activities.messaging.medcom.receipts import Original, RefuseCode, build_negative_receipt, build_positive_receipt
from activities.messaging.outbox import queue_outbound
from activities.messaging.settings import TransportSettings
from activities.messaging.setup import messaging_parts
from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from tests.support.factories import make_plan, receive_plan
from tests.support.sender_helpers import case_and_message_workers
from tests.support.store_helpers import scalar
from tests.support.workflow_helpers import start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.contracts.messaging import DeliveryInput, delivery_workflow_id
from workflows.domain.messaging.commands import Outcome
from workflows.domain.messaging.events import DeliveryFailure, MessageDeliveryFailed, MessageSent
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, OutboundMessage
from workflows.domain.messaging.state import DeliveryStatus
from workflows.domain.state import CaseState
from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow
from workflows.shell.results import CaseResult

EHR_EAN = "5790001234574"
MUNICIPALITY = "187"  # a municipality no other messaging test forwards to
GIVE_UP = timedelta(hours=2)
LETTER_ID = "LETTER0000001"
GGOP_LIKE = f"""<?xml version="1.0" encoding="UTF-8"?>
<Emessage xmlns="urn:oio:medcom:municipality:1.0.4" xmlns:mm100="urn:oio:medcom:municipality:1.0.0">
  <mm100:Envelope><mm100:Identifier>FIRSTENVELOPE</mm100:Identifier>
    <mm100:AcknowledgementCode>pluspositivkvitt</mm100:AcknowledgementCode></mm100:Envelope>
  <RehabilitationPlan><Letter><Identifier>{LETTER_ID}</Identifier></Letter></RehabilitationPlan>
</Emessage>
""".encode()


@dataclass(frozen=True)
class Stack:
    env: WorkflowEnvironment
    pool: Pool
    task_queue: str
    vans: Path

    def outbound_names(self, message_id: str) -> list[str]:
        directory = self.vans / "outbound" / EHR_EAN
        return sorted(p.name for p in directory.iterdir() if p.name.startswith(message_id))

    async def receipt_arrives(self, receipt: bytes) -> None:
        """The receiver's receipt lands in the VANS inbound directory and the inbox poll reads it."""
        inbound = self.vans / "inbound" / EHR_EAN
        inbound.mkdir(parents=True, exist_ok=True)
        (inbound / f"receipt-{uuid.uuid4().hex}.xml").write_bytes(receipt)
        mailroom = Mailroom(
            pool=self.pool,
            client=self.env.client,
            vans_root=self.vans,
            message_task_queue=f"{self.task_queue}-messages",
            give_up_after=GIVE_UP,
            read_receipt=medcom_receipt_reader(),
        )
        assert await ActivityEnvironment().run(mailroom.poll_inbox) == 1


def _original(envelope_id: str) -> Original:
    return Original(
        envelope_id=envelope_id, sender_ean="5790000000000", receiver_ean=EHR_EAN, letter_id=None, version_code=None
    )


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(time_skipping_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Stack]:
    data_dir = Path(tempfile.mkdtemp(prefix="genop-resend-"))
    # The defaults of the resend rule (30 minutes, twice); a give-up period of 2 hours.
    settings = TransportSettings(medcom_plan_forward_eans={MUNICIPALITY: EHR_EAN}, message_give_up_hours=2)
    task_queue = f"resends-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    parts = messaging_parts(pool, client, task_queue, settings, data_dir)
    async with case_and_message_workers(client, pool, task_queue, parts):
        yield Stack(time_skipping_env, pool, task_queue, settings.vans_root(data_dir))
        await terminate_started_cases()


def _forward_id(state: CaseState) -> str | None:
    return next((i for i, m in state.messages.items() if m.kind is MessageKind.PLAN_FORWARD), None)


async def _forwarded_case(stack: Stack) -> tuple[WorkflowHandle[CaseWorkflow, CaseResult], str]:
    today = (await stack.env.get_current_time()).date()
    plan = make_plan(discharge_date=today.isoformat(), home_municipality_code=MUNICIPALITY)
    handle, _ = await start_case(stack.env.client, stack.task_queue, receive_plan(plan))
    state = await wait_for_state(
        handle, lambda s: (m := _forward_id(s)) is not None and s.messages[m].status is DeliveryStatus.SENT
    )
    message_id = _forward_id(state)
    assert message_id is not None
    return handle, message_id


async def _sends(stack: Stack, case_id: str, message_id: str) -> list[MessageSent]:
    stored = await EventStore(stack.pool).read_stream(case_id)
    return [e.event for e in stored if isinstance(e.event, MessageSent) and e.event.message_id == message_id]


async def test_without_a_receipt_the_message_is_resent_twice_with_new_envelopes_then_fails(stack: Stack) -> None:
    handle, message_id = await _forwarded_case(stack)
    for resend in (1, 2):
        await stack.env.sleep(timedelta(minutes=31))
        await wait_for_state(handle, lambda s, n=resend: s.messages[message_id].automatic_resends == n)  # type: ignore[misc]
    await stack.env.sleep(timedelta(hours=1, minutes=30))  # past the give-up period: no third resend
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.FAILED)

    sends = await _sends(stack, state.case_id, message_id)
    assert [s.automatic_resend for s in sends] == [0, 1, 2]
    first = uuid.UUID(message_id).hex
    envelopes = [s.envelope_id for s in sends]
    assert envelopes[0] == first and len(set(envelopes)) == 3
    stored = await EventStore(stack.pool).read_stream(state.case_id)
    (failure,) = [e.event for e in stored if isinstance(e.event, MessageDeliveryFailed)]
    assert failure.reason is DeliveryFailure.NOT_ACKNOWLEDGED
    # One file per envelope in the VANS outbound directory, each resend's id kept on the outbox row.
    assert stack.outbound_names(message_id) == [
        f"{message_id}-auto-1.xml",
        f"{message_id}-auto-2.xml",
        f"{message_id}.xml",
    ]
    kept = await scalar(stack.pool, "SELECT envelope_ids FROM outbox WHERE message_id = %s", message_id)
    assert kept == envelopes[1:]


async def test_a_receipt_for_the_second_envelope_acknowledges_and_stops_the_resends(stack: Stack) -> None:
    handle, message_id = await _forwarded_case(stack)
    await stack.env.sleep(timedelta(minutes=31))
    state = await wait_for_state(handle, lambda s: s.messages[message_id].automatic_resends == 1)
    second = (await _sends(stack, state.case_id, message_id))[1].envelope_id
    assert second is not None and second != uuid.UUID(message_id).hex

    await stack.receipt_arrives(build_positive_receipt(_original(second), datetime.now(UTC)))
    await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.ACKNOWLEDGED)
    await stack.env.sleep(timedelta(hours=3))  # past every resend and the give-up period
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.ACKNOWLEDGED)
    assert [s.automatic_resend for s in await _sends(stack, state.case_id, message_id)] == [0, 1]
    assert not state.delivery_failed
    assert len(stack.outbound_names(message_id)) == 2


async def test_a_negative_receipt_fails_the_message_at_once_without_resends(stack: Stack) -> None:
    handle, message_id = await _forwarded_case(stack)
    refused = build_negative_receipt(
        _original(uuid.UUID(message_id).hex), datetime.now(UTC), RefuseCode.SYNTAX_ERROR, "nej"
    )
    await stack.receipt_arrives(refused)
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.FAILED)
    await stack.env.sleep(timedelta(hours=1))  # the resends' time passes: a refused message is not sent again
    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.FAILED)
    assert [s.automatic_resend for s in await _sends(stack, state.case_id, message_id)] == [0]
    stored = await EventStore(stack.pool).read_stream(state.case_id)
    (failure,) = [e.event for e in stored if isinstance(e.event, MessageDeliveryFailed)]
    assert failure.reason is DeliveryFailure.NEGATIVE_RECEIPT
    assert stack.outbound_names(message_id) == [f"{message_id}.xml"]


async def test_an_oioxml_resend_carries_its_new_envelope_id_and_the_same_letter(stack: Stack) -> None:
    message_id = str(uuid.uuid4())
    message = OutboundMessage(
        message_id=message_id,
        channel=Channel.MEDCOM,
        kind=MessageKind.PLAN_FORWARD,
        recipient=MessageRecipient.MUNICIPALITY,
        address=EHR_EAN,
        content=GGOP_LIKE,
        content_type="application/xml",
        envelope_id=uuid.UUID(message_id).hex,
        ack_expected=True,
    )
    async with stack.pool.connection() as conn:
        assert await queue_outbound(conn, message)
    delivery = DeliveryInput(
        message_id=message_id,
        owner_workflow_id=None,
        ack_expected=True,
        give_up_after=GIVE_UP,
        resend_after=timedelta(minutes=30),
        automatic_resends=2,
    )
    handle = await stack.env.client.start_workflow(
        MessageDeliveryWorkflow.run,
        delivery,
        id=delivery_workflow_id(message_id),
        task_queue=f"{stack.task_queue}-messages",
    )
    outbound = stack.vans / "outbound" / EHR_EAN
    await stack.env.sleep(timedelta(minutes=31))
    for _ in range(200):
        if (outbound / f"{message_id}-auto-1.xml").exists():
            break
        await stack.env.sleep(timedelta(seconds=1))
    first = etree.fromstring((outbound / f"{message_id}.xml").read_bytes())
    resent = etree.fromstring((outbound / f"{message_id}-auto-1.xml").read_bytes())
    ids = "string(//*[local-name()='Envelope']/*[local-name()='Identifier'])"
    letter = "string(//*[local-name()='Letter']/*[local-name()='Identifier'])"
    assert first.xpath(ids) == "FIRSTENVELOPE"  # the first send is the queued message, byte for byte
    new_envelope = str(resent.xpath(ids))
    assert new_envelope not in ("FIRSTENVELOPE", uuid.UUID(message_id).hex) and len(new_envelope) == 32
    assert resent.xpath(letter) == first.xpath(letter) == LETTER_ID

    await stack.receipt_arrives(build_positive_receipt(_original(new_envelope), datetime.now(UTC)))
    assert await handle.result() is Outcome.ACKNOWLEDGED


def test_only_an_oioxml_envelope_is_rewritten() -> None:
    assert with_envelope_id(b'{"plan": "json"}', "NEW") is None
    assert with_envelope_id(b"<Emessage><Other/></Emessage>", "NEW") is None
    rewritten = with_envelope_id(GGOP_LIKE, "NEWENVELOPE")
    assert rewritten is not None and b"NEWENVELOPE" in rewritten and b"FIRSTENVELOPE" not in rewritten
    assert LETTER_ID.encode() in rewritten
