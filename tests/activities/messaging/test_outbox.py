"""The outbox as the one hand-off: queueing is idempotent on the caller's message id, and the rows say
truthfully what became of a message."""

from __future__ import annotations

import uuid

import pytest
from pydantic import ValidationError

from activities.messaging.outbox import load_message, mark_acknowledged, mark_sent, message_for_envelope, queue_outbound
from activities.platform.db import Pool
from tests.support.store_helpers import scalar
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, OutboundMessage

EAN = "5790000121441"


def receipt(message_id: str, envelope_id: str | None = None) -> OutboundMessage:
    return OutboundMessage(
        message_id=message_id,
        channel=Channel.MEDCOM,
        kind=MessageKind.RECEIPT,
        recipient=MessageRecipient.HOSPITAL,
        address=EAN,
        content=b"<Emessage/>",
        content_type="application/xml",
        envelope_id=envelope_id,
    )


async def test_queueing_is_idempotent_on_the_message_id(pool: Pool) -> None:
    message_id = str(uuid.uuid4())
    async with pool.connection() as conn:
        assert await queue_outbound(conn, receipt(message_id)) is True
        assert await queue_outbound(conn, receipt(message_id)) is False
    assert await scalar(pool, "SELECT count(*) FROM outbox WHERE message_id = %s", message_id) == 1
    async with pool.connection() as conn:
        queued = await load_message(conn, message_id)
    assert queued is not None
    assert (queued.kind, queued.case_id, queued.content, queued.sent_at) == (
        MessageKind.RECEIPT,
        None,
        b"<Emessage/>",
        None,
    )


async def test_sent_and_acknowledged_are_recorded(pool: Pool) -> None:
    message_id, envelope = str(uuid.uuid4()), uuid.uuid4().hex
    async with pool.connection() as conn:
        await queue_outbound(conn, receipt(message_id, envelope))
        await mark_sent(conn, message_id, f"outbound/{EAN}/{message_id}.xml")
        found = await message_for_envelope(conn, envelope)
        await mark_acknowledged(conn, message_id)
    assert found is not None and found["message_id"] == message_id
    assert (
        await scalar(
            pool,
            "SELECT sent_at IS NOT NULL AND acknowledged_at IS NOT NULL FROM outbox WHERE message_id = %s",
            message_id,
        )
        is True
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"address": "digital_post"},  # MedCom needs an EAN
        {"ack_expected": True},  # a receipt is never acknowledged
        {"kind": MessageKind.LETTER_FIRST_CONTACT},  # a letter must name its citizen, to be sealed
        {"message_id": "not-a-uuid"},
    ],
)
def test_a_message_that_breaks_the_rules_is_refused(changes: dict[str, object]) -> None:
    fields = receipt(str(uuid.uuid4())).model_dump() | changes
    with pytest.raises(ValidationError):
        OutboundMessage(**fields)


def test_the_content_and_the_cpr_never_show_in_a_repr() -> None:
    message = receipt(str(uuid.uuid4())).model_copy(update={"citizen_cpr": "2509479989"})
    assert "2509479989" not in repr(message) and "Emessage" not in repr(message)
