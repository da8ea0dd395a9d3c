"""Messages truly sent: queued -> sent (a file in outbound/<EAN>/) -> acknowledged (a receipt read back from
inbound/), with the events in that order; a letter rendered as a PDF with its Danish text; one file per
delivery however often a send is retried. Workflows on the time-skipping server, the store in PostgreSQL."""

from __future__ import annotations

import io
import tempfile
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pypdf
import pytest_asyncio
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.messaging.letters.memo import letter_pdf
from activities.messaging.mailroom import Mailroom, medcom_receipt_reader
from activities.messaging.medcom.receipts import Original, build_positive_receipt
from activities.messaging.outbox import load_message
from activities.messaging.settings import TransportSettings
from activities.messaging.setup import embedded_transports, messaging_parts
from activities.messaging.transports.base import Delivery
from activities.messaging.transports.vans_file_drop import VansFileDrop
from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from tests.support.factories import make_plan, receive_plan
from tests.support.sender_helpers import case_and_message_workers
from tests.support.workflow_helpers import start_case, terminate_started_cases, wait_for_state
from workflows.domain.messaging.model import Channel, MessageKind
from workflows.domain.messaging.state import DeliveryStatus

EHR_EAN = "5790001234567"


def _receipt_for(envelope_id: str) -> bytes:
    original = Original(
        envelope_id=envelope_id, sender_ean="5790000000000", receiver_ean=EHR_EAN, letter_id=None, version_code=None
    )
    return build_positive_receipt(original, datetime.now(UTC))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def stack(
    time_skipping_env: WorkflowEnvironment, pool: Pool
) -> AsyncIterator[tuple[WorkflowEnvironment, Pool, str, TransportSettings, Path]]:
    data_dir = Path(tempfile.mkdtemp(prefix="genop-msg-"))
    settings = TransportSettings(medcom_plan_forward_eans={"101": EHR_EAN})
    task_queue = f"messages-{uuid.uuid4().hex[:8]}"
    client = time_skipping_env.client
    parts = messaging_parts(pool, client, task_queue, settings, data_dir)
    async with case_and_message_workers(client, pool, task_queue, parts):
        yield time_skipping_env, pool, task_queue, settings, data_dir
        await terminate_started_cases()


async def test_a_plan_is_queued_sent_and_acknowledged_in_that_order(
    stack: tuple[WorkflowEnvironment, Pool, str, TransportSettings, Path],
) -> None:
    env, pool, task_queue, _, data_dir = stack
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(env.client, task_queue, receive_plan(make_plan(discharge_date=today.isoformat())))

    def forwarded_sent(state: object) -> bool:
        messages = state.messages  # type: ignore[attr-defined]
        return any(m.kind is MessageKind.PLAN_FORWARD and m.status is DeliveryStatus.SENT for m in messages.values())

    state = await wait_for_state(handle, forwarded_sent)
    message_id = next(i for i, m in state.messages.items() if m.kind is MessageKind.PLAN_FORWARD)
    assert (data_dir / "vans" / "outbound" / EHR_EAN / f"{message_id}.xml").exists()

    (data_dir / "vans" / "inbound").mkdir(parents=True, exist_ok=True)
    (data_dir / "vans" / "inbound" / "receipt-1.xml").write_bytes(_receipt_for(uuid.UUID(message_id).hex))
    mailroom = Mailroom(
        pool=pool,
        client=env.client,
        vans_root=data_dir / "vans",
        message_task_queue=f"{task_queue}-messages",
        give_up_after=timedelta(hours=24),
        read_receipt=medcom_receipt_reader(),
    )
    assert await ActivityEnvironment().run(mailroom.poll_inbox) == 1
    assert len(list((data_dir / "vans" / "processed").iterdir())) == 1

    state = await wait_for_state(handle, lambda s: s.messages[message_id].status is DeliveryStatus.ACKNOWLEDGED)
    stored = await EventStore(pool).read_stream(state.case_id)
    about = [e.event.type for e in stored if getattr(e.event, "message_id", None) == message_id]
    assert about == ["MessageQueued", "MessageSent", "MessageAcknowledged"]
    assert not [e for e in stored if e.event.type == "PlanDelivered"]


async def test_the_first_contact_letter_is_a_pdf_in_plain_danish(
    stack: tuple[WorkflowEnvironment, Pool, str, TransportSettings, Path],
) -> None:
    env, pool, task_queue, _, data_dir = stack
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(env.client, task_queue, receive_plan(make_plan(discharge_date=today.isoformat())))
    state = await wait_for_state(
        handle,
        lambda s: any(
            m.kind is MessageKind.LETTER_FIRST_CONTACT and m.status is DeliveryStatus.SENT for m in s.messages.values()
        ),
    )
    letter_id = next(i for i, m in state.messages.items() if m.kind is MessageKind.LETTER_FIRST_CONTACT)
    async with pool.connection() as conn:
        queued = await load_message(conn, letter_id)
        sealed = await conn.execute(
            "SELECT sealed, position(convert_to('Testa', 'UTF8') in content) FROM outbox WHERE message_id = %s",
            (letter_id,),
        )
        row = await sealed.fetchone()
    assert row == (True, 0)  # stored sealed: the name is not in the row
    assert queued is not None
    text = pypdf.PdfReader(io.BytesIO(letter_pdf(queued.content))).pages[0].extract_text()
    assert "Vi har modtaget din genoptræningsplan" in text and "Testa Testesen" in text
    assert "anden kommunes eget genoptræningstilbud" in text
    spooled = data_dir / "digital-post" / f"{letter_id}.pdf"
    assert spooled.read_bytes() == letter_pdf(queued.content)


async def test_a_retried_send_writes_one_file(
    stack: tuple[WorkflowEnvironment, Pool, str, TransportSettings, Path],
) -> None:
    env, pool, task_queue, settings, data_dir = stack
    today = (await env.get_current_time()).date()
    handle, _ = await start_case(env.client, task_queue, receive_plan(make_plan(discharge_date=today.isoformat())))
    state = await wait_for_state(
        handle,
        lambda s: any(
            m.kind is MessageKind.PLAN_FORWARD and m.status is not DeliveryStatus.QUEUED for m in s.messages.values()
        ),
    )
    message_id = next(i for i, m in state.messages.items() if m.kind is MessageKind.PLAN_FORWARD)
    async with pool.connection() as conn:
        queued = await load_message(conn, message_id)
    assert queued is not None and queued.channel is Channel.MEDCOM
    transport = VansFileDrop(data_dir / "vans")
    references = {await transport.send(Delivery(message=queued, resend=0)) for _ in range(3)}
    assert references == {f"outbound/{EHR_EAN}/{message_id}.xml"}
    assert [p.name for p in (data_dir / "vans" / "outbound" / EHR_EAN).iterdir() if message_id in p.name] == [
        f"{message_id}.xml"
    ]
    assert embedded_transports(settings, data_dir)  # the embedded defaults build from the settings alone
