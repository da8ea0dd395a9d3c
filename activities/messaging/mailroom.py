"""The sender's two jobs (`workflows/messaging/mailroom_workflows.py`), started when the worker's watcher sees work
(`watcher.py`) and by a slow Temporal Schedule as a safety net (`schedules.py`):

- the outbox sweep starts a delivery workflow for every message queued outside a workflow (a receipt the
  GGOP intake queued) or whose start was lost, so nothing queued is ever left behind;
- the inbox poll reads the VANS inbound directory: a receiver's receipt goes to the delivery that waits for
  it (or, when that has ended, to the message's owner), a GGOP message to the GGOP intake. Each file then
  moves to processed/ or failed/; nothing is deleted. A file that cannot be moved goes back to its mailbox
  and is taken again at the next poll: the intake knows it by then and answers it as a duplicate.

The inbound layout mirrors the outbound one: `inbound/<sender EAN>/<file>`, the directory being the VANS
envelope's sender (what the mailbox vouches for). A file directly in `inbound/` has no vouched sender: a
receipt there is still matched by the envelope id it quotes (the first or an automatic resend's), a GGOP
message there goes to failed/.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Protocol

from temporalio import activity
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from activities.messaging import outbox
from activities.messaging.medcom.receipts import parse_receipt
from activities.messaging.transports import vans_inbox
from activities.messaging.transports.vans_file_drop import FAILED, PROCESSED
from activities.platform.db import Pool
from activities.platform.metrics import INBOUND_MOVE_FAILURES
from workflows.contracts.messaging import (
    MESSAGE_OUTCOME_SIGNAL,
    POLL_INBOX,
    RECEIPT_SIGNAL,
    START_UNDISPATCHED_DELIVERIES,
    DeliveryInput,
    ReceiptNotice,
    delivery_workflow_id,
)
from workflows.domain.messaging.commands import MessageOutcome, Outcome
from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow
from workflows.shell.identity import workflow_id_for_case

logger = logging.getLogger(__name__)

# A message queued this recently may still be started by its own workflow: the sweep leaves it that long.
SWEEP_GRACE_SECONDS = 30.0
SWEEP_BATCH = 200
MAX_INBOUND_BYTES = 50 * 1024 * 1024


class ReceiptFacts(Protocol):
    """What the poller needs of a MedCom receipt (`activities.messaging.medcom.receipts.IncomingReceipt` has it)."""

    @property
    def positive(self) -> bool: ...
    @property
    def original_envelope_id(self) -> str: ...


ReceiptReader = Callable[[bytes], ReceiptFacts]  # raises for bytes that are not a receipt
# Takes one GGOP message from the VANS inbound directory with the sender EAN its mailbox vouches for: True
# when accepted, False when refused (it answered with a negative receipt, or none); raises
# `IntakeUnavailable` when the message must wait for the next round.
GgopIntake = Callable[[bytes, str], Awaitable[bool]]


class IntakeUnavailable(Exception):
    """The intake cannot take the message now (the case service is unreachable): the file stays."""


def medcom_receipt_reader() -> ReceiptReader:
    """The MedCom receipt parser of the GGOP intake (`activities.messaging.medcom.receipts.parse_receipt`)."""
    return parse_receipt


@dataclass(frozen=True)
class Mailroom:
    pool: Pool
    client: Client
    vans_root: Path
    message_task_queue: str
    give_up_after: timedelta
    read_receipt: ReceiptReader
    take_ggop: GgopIntake | None = None
    sweep_grace_seconds: float = SWEEP_GRACE_SECONDS
    # MedCom's resend rule for a message that gets no receipt (MEDCOM_RESEND_AFTER_MINUTES, MEDCOM_AUTOMATIC_RESENDS).
    resend_after: timedelta | None = None
    automatic_resends: int = 0

    @activity.defn(name=START_UNDISPATCHED_DELIVERIES)
    async def start_undispatched_deliveries(self) -> int:
        """Start a delivery for each message nothing has taken; returns how many were started."""
        async with self.pool.connection() as conn:
            message_ids = await outbox.undispatched(conn, self.sweep_grace_seconds, SWEEP_BATCH)
        started = 0
        for message_id in message_ids:
            async with self.pool.connection() as conn:
                message = await outbox.load_message(conn, message_id)
                if message is None:
                    await outbox.mark_dispatched(conn, message_id)  # unopenable: nothing to deliver, ever
                    continue
                delivery = DeliveryInput(
                    message_id=message_id,
                    owner_workflow_id=workflow_id_for_case(message.case_id) if message.case_id else None,
                    resend=message.resends,
                    ack_expected=message.ack_expected,
                    give_up_after=self.give_up_after,
                    resend_after=self.resend_after,
                    automatic_resends=self.automatic_resends,
                    kind=message.kind,
                    channel=message.channel,
                    recipient=message.recipient,
                )
                try:
                    await self.client.start_workflow(
                        MessageDeliveryWorkflow.run,
                        delivery,
                        id=delivery_workflow_id(message_id, message.resends),
                        task_queue=self.message_task_queue,
                        id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                    )
                    started += 1
                except WorkflowAlreadyStartedError:
                    pass  # its own workflow started it: one delivery either way
                await outbox.mark_dispatched(conn, message_id)
        return started

    @activity.defn(name=POLL_INBOX)
    async def poll_inbox(self) -> int:
        """Take every file in the inbound directory; returns how many were taken (moved on)."""
        waiting = await asyncio.to_thread(vans_inbox.waiting_files, self.vans_root)
        taken = 0
        failing: set[str] = set()  # destinations a move failed into this round: one try each after that
        for file in waiting:
            claimed = await asyncio.to_thread(vans_inbox.claim, file)
            if claimed is None:
                continue  # another poller has it
            try:
                raw = await asyncio.to_thread(vans_inbox.read_limited, claimed, MAX_INBOUND_BYTES)
                outcome = await self._take(raw, claimed.sender_ean) if raw is not None else False
            except BaseException:
                # Broken off (the database, a cancelled activity): back now, not after the stale-claim window.
                await asyncio.to_thread(vans_inbox.give_back_if_possible, claimed)
                raise
            if outcome is None:
                await asyncio.to_thread(vans_inbox.give_back, claimed)  # it waits for the next round
                continue
            if await self._settle(claimed, PROCESSED if outcome else FAILED, failing):
                taken += 1
            activity.heartbeat(taken)
        return taken

    async def _settle(self, claimed: vans_inbox.InboundFile, destination: str, failing: set[str]) -> bool:
        """Move a handled file on; one that cannot be moved goes back to its mailbox for the next poll."""
        await asyncio.to_thread(vans_inbox.keep_private, claimed)
        retry_delays = () if destination in failing else vans_inbox.MOVE_RETRY_DELAYS
        unmoved = await asyncio.to_thread(vans_inbox.settle, claimed, self.vans_root / destination, retry_delays)
        if unmoved is None:
            failing.discard(destination)
            return True
        failing.add(destination)
        INBOUND_MOVE_FAILURES.labels(destination, unmoved.error).inc()
        # The content's hash, never the file's name: the sender chose that name, and it may hold a CPR.
        logger.warning(
            "inbound file sha256:%s could not be moved to %s/ (%s): %s",
            unmoved.fingerprint,
            destination,
            unmoved.error,
            "back in its mailbox for the next poll" if unmoved.given_back else "left claimed for the stale-claim rule",
        )
        return False

    async def _take(self, raw: bytes, sender_ean: str | None) -> bool | None:
        """True when taken, False when it must go to failed/, None when it must wait."""
        try:
            receipt = self.read_receipt(raw)
        except Exception:  # not a receipt: a GGOP message, or something to refuse
            return await self._take_ggop(raw, sender_ean)
        return await self._take_receipt(receipt)

    async def _take_ggop(self, raw: bytes, sender_ean: str | None) -> bool | None:
        if self.take_ggop is None:
            logger.warning("a non-receipt file waits in the inbound directory: no GGOP intake is configured")
            return None
        if sender_ean is None:
            logger.warning("a GGOP message outside inbound/<sender EAN>/ has no vouched sender: moved to failed/")
            return False
        try:
            # It answers (a positive or negative receipt) through the outbox itself.
            return await self.take_ggop(raw, sender_ean)
        except IntakeUnavailable:
            return None
        except Exception as exc:  # its kind only: the text may quote the message
            logger.warning("the GGOP intake failed on an inbound file (%s)", type(exc).__name__)
            return False

    async def _take_receipt(self, receipt: ReceiptFacts) -> bool:
        async with self.pool.connection() as conn:
            message = await _message_for(conn, receipt.original_envelope_id)
            if message is None:
                logger.warning("a receipt for an unknown envelope moves to failed/")
                return False
            if receipt.positive:
                await outbox.mark_acknowledged(conn, message["message_id"])
        message_id, resends = message["message_id"], int(message["resends"])
        notice = ReceiptNotice(message_id=message_id, positive=receipt.positive)
        try:
            await self.client.get_workflow_handle(delivery_workflow_id(message_id, resends)).signal(
                RECEIPT_SIGNAL, notice
            )
        except RPCError:
            # The delivery has ended (it gave up waiting): a late positive receipt still reaches the case.
            if receipt.positive and message["case_id"]:
                late = MessageOutcome(message_id=message_id, outcome=Outcome.ACKNOWLEDGED, resend=resends)
                try:
                    await self.client.get_workflow_handle(workflow_id_for_case(message["case_id"])).signal(
                        MESSAGE_OUTCOME_SIGNAL, late
                    )
                except RPCError:
                    logger.info("receipt for message %s after its case ended: kept in the outbox", message_id)
        logger.info("receipt (%s) for message %s", "positive" if receipt.positive else "negative", message_id)
        return True


async def _message_for(conn: Any, envelope_id: str) -> dict[str, Any] | None:
    """The message an envelope id names, written with or without hyphens (MedCom: OIOXML drops them)."""
    candidates = [envelope_id]
    try:
        candidates += [uuid.UUID(envelope_id).hex, str(uuid.UUID(envelope_id))]
    except ValueError:
        pass
    for candidate in dict.fromkeys(candidates):
        found = await outbox.message_for_envelope(conn, candidate)
        if found is not None:
            return found
    return None
