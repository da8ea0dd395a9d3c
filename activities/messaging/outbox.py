"""The outbox: the one hand-off of every outbound message (MedCom messages, Digital Post letters).

Whoever owes a message queues it here, in its own transaction: `queue_outbound(conn, message)`. The sender
in the worker (`workflows/messaging/delivery_workflow.py`) takes it from here to its transport and records
what became of it (`mark_sent`, `mark_acknowledged`, `mark_failed`), so a row says truthfully whether the
message left the service. Personal content is sealed with the citizen's key before it is stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from activities.sealing.citizen_cipher import open_for_citizen, seal_for_citizen
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, OutboundMessage

logger = logging.getLogger(__name__)

OUTBOX_CHANNEL = "outbox"  # pg_notify channel: a new message was queued (its id is the payload)

_INSERT = """
INSERT INTO outbox (message_id, channel, kind, recipient, address, case_id, application_id, plan_id, content,
                    content_type, sealed, envelope_id, ack_expected, details)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (message_id) DO NOTHING
RETURNING message_id
"""


async def queue_outbound(conn: psycopg.AsyncConnection[Any], message: OutboundMessage) -> bool:
    """Queue `message` in the caller's transaction; True when new, False when its id was queued before.

    Idempotent on `message.message_id`: a retried or replayed caller queues nothing twice (the content of
    the first queueing stays). Content with `citizen_cpr` is sealed for that citizen first."""
    content = message.content
    if message.citizen_cpr is not None:
        content = await seal_for_citizen(conn, message.citizen_cpr, content)
    cursor = await conn.execute(
        _INSERT,
        (
            message.message_id,
            message.channel.value,
            message.kind.value,
            message.recipient.value,
            message.address,
            message.case_id,
            message.application_id,
            message.plan_id,
            content,
            message.content_type,
            message.citizen_cpr is not None,
            message.envelope_id,
            message.ack_expected,
            Jsonb(message.details),
        ),
    )
    created = await cursor.fetchone() is not None
    if created:
        await conn.execute("SELECT pg_notify(%s, %s)", (OUTBOX_CHANNEL, message.message_id))
        logger.info("message %s (%s over %s) queued", message.message_id, message.kind.value, message.channel.value)
    return created


@dataclass(frozen=True)
class QueuedMessage:
    """A queued message as the sender reads it back (content opened when it was sealed)."""

    message_id: str
    channel: Channel
    kind: MessageKind
    recipient: MessageRecipient
    address: str
    case_id: str | None
    application_id: str | None
    content: bytes
    content_type: str
    envelope_id: str | None
    ack_expected: bool
    details: dict[str, str]
    resends: int
    created_at: datetime
    sent_at: datetime | None
    transport_ref: str | None


_SELECT = """
SELECT message_id::text, channel, kind, recipient, address, case_id, application_id, content, content_type,
       sealed, envelope_id, ack_expected, details, resends, created_at, sent_at, transport_ref
FROM outbox WHERE message_id = %s AND content IS NOT NULL
"""


async def load_message(conn: psycopg.AsyncConnection[Any], message_id: str) -> QueuedMessage | None:
    """The message to send, or None if there is no such sendable message (or its seal cannot be opened)."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(_SELECT, (message_id,))
        row = await cursor.fetchone()
    if row is None:
        return None
    content = bytes(row["content"])
    if row["sealed"]:
        opened = await open_for_citizen(conn, content)
        if opened is None:
            return None  # the citizen's key is gone (erased): the message cannot be sent any more
        content = opened
    return QueuedMessage(
        message_id=row["message_id"],
        channel=Channel(row["channel"]),
        kind=MessageKind(row["kind"]),
        recipient=MessageRecipient(row["recipient"]),
        address=row["address"],
        case_id=row["case_id"],
        application_id=row["application_id"],
        content=content,
        content_type=row["content_type"],
        envelope_id=row["envelope_id"],
        ack_expected=row["ack_expected"],
        details=dict(row["details"]),
        resends=row["resends"],
        created_at=row["created_at"],
        sent_at=row["sent_at"],
        transport_ref=row["transport_ref"],
    )


async def mark_dispatched(conn: psycopg.AsyncConnection[Any], message_id: str) -> None:
    await conn.execute(
        "UPDATE outbox SET dispatched_at = coalesce(dispatched_at, now()) WHERE message_id = %s", (message_id,)
    )


async def record_attempt(conn: psycopg.AsyncConnection[Any], message_id: str, error_kind: str | None) -> None:
    """Count a send attempt; `error_kind` is the failure's type name only (never its text)."""
    await conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = %s, dispatched_at = coalesce(dispatched_at, now())"
        " WHERE message_id = %s",
        (error_kind, message_id),
    )


async def mark_sent(conn: psycopg.AsyncConnection[Any], message_id: str, transport_ref: str) -> None:
    await conn.execute(
        "UPDATE outbox SET sent_at = coalesce(sent_at, now()), transport_ref = %s, last_error = NULL,"
        " failed_at = NULL WHERE message_id = %s",
        (transport_ref, message_id),
    )


async def mark_failed(conn: psycopg.AsyncConnection[Any], message_id: str, reason: str) -> str | None:
    """Mark the message given up on; returns its channel (for the failure count), None for an unknown id."""
    cursor = await conn.execute(
        "UPDATE outbox SET failed_at = now(), last_error = %s WHERE message_id = %s RETURNING channel",
        (reason, message_id),
    )
    row = await cursor.fetchone()
    return str(row[0]) if row is not None else None


async def mark_acknowledged(conn: psycopg.AsyncConnection[Any], message_id: str) -> None:
    await conn.execute(
        "UPDATE outbox SET acknowledged_at = coalesce(acknowledged_at, now()), failed_at = NULL WHERE message_id = %s",
        (message_id,),
    )


async def mark_resent(conn: psycopg.AsyncConnection[Any], message_id: str, resend: int) -> None:
    """Open a failed message for its `resend`-th delivery (idempotent: a repeat changes nothing)."""
    await conn.execute(
        "UPDATE outbox SET resends = %s, failed_at = NULL, sent_at = NULL, transport_ref = NULL"
        " WHERE message_id = %s AND resends < %s",
        (resend, message_id, resend),
    )


async def add_envelope_id(conn: psycopg.AsyncConnection[Any], message_id: str, envelope_id: str) -> None:
    """Record the new envelope id of an automatic resend (idempotent), so its receipt finds the message."""
    await conn.execute(
        "UPDATE outbox SET envelope_ids = array_append(envelope_ids, %s)"
        " WHERE message_id = %s AND NOT (%s = ANY (envelope_ids))",
        (envelope_id, message_id, envelope_id),
    )


_BY_ENVELOPE = "SELECT message_id::text, case_id, application_id, resends FROM outbox WHERE "


async def message_for_envelope(conn: psycopg.AsyncConnection[Any], envelope_id: str) -> dict[str, Any] | None:
    """The message a receipt quoting `envelope_id` answers: its id and owner, or None. Any envelope the
    message was sent in counts: the first, or an automatic resend's (MedCom: each resend has a new one)."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(_BY_ENVELOPE + "envelope_id = %s", (envelope_id,))
        found = await cursor.fetchone()
        if found is None:
            await cursor.execute(_BY_ENVELOPE + "envelope_ids @> ARRAY[%s]::text[]", (envelope_id,))
            found = await cursor.fetchone()
        return found


async def undispatched(conn: psycopg.AsyncConnection[Any], older_than_seconds: float, limit: int) -> list[str]:
    """Sendable messages no delivery has taken yet (queued outside a workflow, or its start was lost)."""
    cursor = await conn.execute(
        "SELECT message_id::text FROM outbox WHERE dispatched_at IS NULL AND content IS NOT NULL"
        " AND created_at < now() - make_interval(secs => %s) ORDER BY created_at LIMIT %s",
        (older_than_seconds, limit),
    )
    return [row[0] for row in await cursor.fetchall()]


@dataclass(frozen=True)
class DeliveryRow:
    """Where a queued message's current delivery stands (no content)."""

    resends: int
    transport_ref: str | None


async def delivery_row(conn: psycopg.AsyncConnection[Any], message_id: str) -> DeliveryRow | None:
    """The message's delivery so far, or None if it was never queued."""
    cursor = await conn.execute(
        "SELECT resends, CASE WHEN sent_at IS NOT NULL THEN transport_ref END FROM outbox WHERE message_id = %s",
        (message_id,),
    )
    row = await cursor.fetchone()
    return DeliveryRow(resends=row[0], transport_ref=row[1]) if row is not None else None
