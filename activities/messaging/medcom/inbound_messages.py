"""The MedCom messages the service received, with the answer it gave (table `inbound_messages`, 0013).

Duplicates are found by sender, envelope id and letter id (MedCom: the envelope id and letter id together
identify a message); the row keeps the receipt so a duplicate is answered with the identical bytes. The
original message is stored sealed with the citizen's key, or not at all for a refused message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from activities.messaging.outbox import queue_outbound
from activities.platform.db import Pool
from activities.sealing.citizen_cipher import open_for_citizen, seal_for_citizen
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, OutboundMessage, message_id_for

logger = logging.getLogger("genoptraening.medcom")

_FIELDS = (
    "channel",
    "message_type",
    "sender_ean",
    "receiver_ean",
    "envelope_id",
    "letter_id",
    "sending_hospital_sor_id",
    "episode_of_care_id",
    "outcome",
    "case_id",
    "http_status",
    "refuse_code",
    "refuse_text",
    "receipt",
    "receipt_kind",
)
_SELECT = """
SELECT channel, message_type, sender_ean, receiver_ean, envelope_id, letter_id, sending_hospital_sor_id,
       episode_of_care_id, outcome, case_id, http_status, refuse_code, refuse_text, receipt, receipt_kind
FROM inbound_messages WHERE sender_ean = %s AND envelope_id = %s AND letter_id = %s
"""
_INSERT = """
INSERT INTO inbound_messages (channel, message_type, sender_ean, receiver_ean, envelope_id, letter_id,
    sending_hospital_sor_id, episode_of_care_id, outcome, case_id, http_status, refuse_code, refuse_text,
    receipt, receipt_kind, raw_message)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (sender_ean, envelope_id, letter_id) DO NOTHING
RETURNING id
"""


# The values the CHECK constraints of migration 0013 allow
# (tests/activities/store/test_enums_match_database.py holds them together).
InboundChannel = Literal["http", "vans"]
InboundOutcome = Literal["accepted", "refused"]
ReceiptKind = Literal["positive", "negative"]


@dataclass(frozen=True)
class InboundMessage:
    """One received message and the answer it got (no personal data but in the sealed original)."""

    channel: InboundChannel
    message_type: str
    sender_ean: str
    receiver_ean: str | None
    envelope_id: str
    letter_id: str
    sending_hospital_sor_id: str | None
    episode_of_care_id: str | None
    outcome: InboundOutcome
    case_id: str | None
    http_status: int
    refuse_code: str | None
    refuse_text: str | None
    receipt: bytes | None
    receipt_kind: ReceiptKind | None

    @property
    def accepted(self) -> bool:
        return self.outcome == "accepted"


def _message(row: dict[str, Any]) -> InboundMessage:
    receipt = row["receipt"]
    return InboundMessage(**{**{name: row[name] for name in _FIELDS}, "receipt": bytes(receipt) if receipt else None})


async def find_message(pool: Pool, sender_ean: str, envelope_id: str, letter_id: str | None) -> InboundMessage | None:
    """The message with this sender, envelope id and letter id, if it came before."""
    async with pool.connection() as conn:
        cursor = conn.cursor(row_factory=dict_row)
        await cursor.execute(_SELECT, (sender_ean, envelope_id, letter_id or ""))
        row = await cursor.fetchone()
    return _message(row) if row else None


_REPLACED = """
SELECT letter_id FROM inbound_messages
WHERE sending_hospital_sor_id = %(sor)s AND episode_of_care_id = %(episode)s AND outcome = 'accepted'
  AND letter_id <> %(letter)s
  AND id < coalesce((SELECT min(id) FROM inbound_messages WHERE sending_hospital_sor_id = %(sor)s
                     AND letter_id = %(letter)s AND outcome = 'accepted'), 9223372036854775807)
ORDER BY id DESC LIMIT 1
"""


async def letter_replaced_by_episode(pool: Pool, sor_id: str, episode_of_care_id: str, letter_id: str) -> str | None:
    """The letter id of the latest plan this hospital sent for the episode of care before this letter first
    came (so a resend of the letter names the same plan it replaced the first time)."""
    async with pool.connection() as conn:
        cursor = await conn.execute(_REPLACED, {"sor": sor_id, "episode": episode_of_care_id, "letter": letter_id})
        row = await cursor.fetchone()
    return str(row[0]) if row else None


async def record_message(
    conn: AsyncConnection[Any], message: InboundMessage, *, raw: bytes | None, citizen_cpr: str | None
) -> InboundMessage:
    """Store the message in `conn`'s transaction, sealing `raw` for the citizen; if the same message was
    stored meanwhile (a concurrent duplicate), nothing is written and that row is returned instead."""
    sealed = await seal_for_citizen(conn, citizen_cpr, raw) if raw is not None and citizen_cpr else None
    values = [getattr(message, name) for name in _FIELDS]
    cursor = await conn.execute(_INSERT, (*values, sealed))
    if await cursor.fetchone() is not None:
        return message
    found = conn.cursor(row_factory=dict_row)
    await found.execute(_SELECT, (message.sender_ean, message.envelope_id, message.letter_id))
    row = await found.fetchone()
    assert row is not None
    return _message(row)


async def original_message(
    conn: AsyncConnection[Any], sender_ean: str, envelope_id: str, letter_id: str
) -> bytes | None:
    """The original bytes of an accepted message, opened with the citizen's key (None once it is erased)."""
    cursor = await conn.execute(
        "SELECT raw_message FROM inbound_messages WHERE sender_ean = %s AND envelope_id = %s AND letter_id = %s",
        (sender_ean, envelope_id, letter_id),
    )
    row = await cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return await open_for_citizen(conn, bytes(row[0]))


async def original_of_case_letter(conn: AsyncConnection[Any], case_id: str, letter_id: str) -> bytes | None:
    """The GGOP message a case's plan came in (its latest accepted copy: a resend carries the same letter),
    opened with the citizen's key; None when the plan did not come as GGOP or the citizen was erased."""
    cursor = await conn.execute(
        "SELECT raw_message FROM inbound_messages WHERE case_id = %s AND letter_id = %s AND outcome = 'accepted'"
        " AND raw_message IS NOT NULL ORDER BY received_at DESC LIMIT 1",
        (case_id, letter_id),
    )
    row = await cursor.fetchone()
    return None if row is None else await open_for_citizen(conn, bytes(row[0]))


async def keep_answer(
    pool: Pool, row: InboundMessage, *, raw: bytes | None = None, cpr: str | None = None
) -> InboundMessage:
    """The row and its receipt's place in the outbox, in one transaction; a concurrent duplicate's row wins."""
    async with pool.connection() as conn, conn.transaction():
        kept = await record_message(conn, row, raw=raw, citizen_cpr=cpr)
        if kept is row and row.receipt is not None:
            await _queue_receipt(conn, row)
    return kept


async def _queue_receipt(conn: AsyncConnection[Any], row: InboundMessage) -> None:
    if not (row.sender_ean.isdigit() and len(row.sender_ean) == 13):
        logger.warning("receipt for envelope %s not queued: the sender EAN is not 13 digits", row.envelope_id)
        return
    assert row.receipt is not None
    message = OutboundMessage(
        message_id=message_id_for("medcom-receipt", row.sender_ean, row.envelope_id, row.letter_id),
        channel=Channel.MEDCOM,
        kind=MessageKind.RECEIPT,
        recipient=MessageRecipient.HOSPITAL,
        address=row.sender_ean,
        case_id=row.case_id,
        plan_id=row.letter_id,
        content=row.receipt,
        content_type="application/xml",
        details={"receipt": row.receipt_kind or "", "original_envelope_id": row.envelope_id},
    )
    await queue_outbound(conn, message)
