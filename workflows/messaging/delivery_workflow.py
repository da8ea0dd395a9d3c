"""One workflow per delivery of one message: send it, wait for its receipt where one is due, report back.

Started by the case or application workflow right after it queued the message (a child that outlives its
parent's continue-as-new), or by the outbox sweep for a message queued outside a workflow (a receipt to a
hospital). Its id, `message-<message id>[-resend-<n>]`, is what makes each delivery happen once: Temporal
runs one workflow per id, and the transport writes one file per delivery name.

The send is one activity with Temporal's retry and exponential backoff, bounded by the give-up period
(MESSAGE_GIVE_UP_HOURS, default 24 h). A MedCom message with no receipt after `resend_after` is sent again
with a new envelope id, at most `automatic_resends` times (MedCom's reliable messaging: after 30 minutes,
at most twice); a receipt for any of its envelopes answers it, and without one it fails at the give-up
period. What happened is reported to the owner by a signal, and the owner records it in its own stream, so
every stream keeps a single writer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.messaging import (
        MESSAGE_OUTCOME_SIGNAL,
        RECEIPT_SIGNAL,
        RECORD_DELIVERY_FAILURE,
        SEND_MESSAGE,
        DeliveryInput,
        FailureRecord,
        ReceiptNotice,
        SendRequest,
        SendResult,
    )
    from workflows.domain.messaging.commands import MessageOutcome, Outcome
    from workflows.domain.messaging.events import DeliveryFailure

# Set on deliveries that resend a MedCom message for want of a receipt (so older histories replay unchanged).
AUTOMATIC_RESENDS_PATCH = "medcom-automatic-resends"
# A transport that never takes a message, or content that can no longer be opened: retrying cannot help.
PERMANENT_SEND_FAILURES = ("TransportRefused", "MessageUnavailable")
SEND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    non_retryable_error_types=list(PERMANENT_SEND_FAILURES),
)
# One attempt writes one file or makes one call: far below this, so a worker that died is noticed soon.
SEND_ATTEMPT_TIMEOUT = timedelta(minutes=2)
BOOKKEEPING_TIMEOUT = timedelta(seconds=10)
BOOKKEEPING_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))


@workflow.defn
class MessageDeliveryWorkflow:
    def __init__(self) -> None:
        self._receipt: ReceiptNotice | None = None

    @workflow.signal(name=RECEIPT_SIGNAL)
    def receipt_received(self, notice: ReceiptNotice) -> None:
        self._receipt = notice

    @workflow.run
    async def run(self, delivery: DeliveryInput) -> Outcome:
        give_up_at = workflow.now() + delivery.give_up_after
        allowed = self._automatic_resends_allowed(delivery)
        automatic_resend = 0
        while True:
            failure = await self._send(delivery, automatic_resend, give_up_at)
            if failure is not None:
                return await self._fail(delivery, failure)
            if not delivery.ack_expected:
                return Outcome.SENT
            resend_after = delivery.resend_after if automatic_resend < allowed else None
            wait_until = give_up_at if resend_after is None else min(give_up_at, workflow.now() + resend_after)
            try:
                await workflow.wait_condition(
                    lambda: self._receipt is not None,
                    timeout=max(wait_until - workflow.now(), timedelta(seconds=1)),
                    timeout_summary="receiver's receipt",
                )
            except TimeoutError:
                if resend_after is not None and workflow.now() < give_up_at:
                    automatic_resend += 1  # MedCom: no receipt in time, so the message goes again, new envelope
                    continue
                return await self._fail(delivery, DeliveryFailure.NOT_ACKNOWLEDGED)
            break
        assert self._receipt is not None
        if not self._receipt.positive:
            return await self._fail(delivery, DeliveryFailure.NEGATIVE_RECEIPT)
        await self._report(delivery, Outcome.ACKNOWLEDGED)
        return Outcome.ACKNOWLEDGED

    @staticmethod
    def _automatic_resends_allowed(delivery: DeliveryInput) -> int:
        """How often this delivery may resend for want of a receipt; 0 for deliveries started before the rule
        (their histories replay unchanged) and for messages that expect no receipt."""
        if not (delivery.ack_expected and delivery.resend_after is not None and delivery.automatic_resends > 0):
            return 0
        return delivery.automatic_resends if workflow.patched(AUTOMATIC_RESENDS_PATCH) else 0

    async def _send(
        self, delivery: DeliveryInput, automatic_resend: int, give_up_at: datetime
    ) -> DeliveryFailure | None:
        """One send (with the transport's retries) of the delivery's first or n-th automatic send; the failure
        when the transport never took it."""
        try:
            sent = await workflow.execute_activity(
                SEND_MESSAGE,
                SendRequest(message_id=delivery.message_id, resend=delivery.resend, automatic_resend=automatic_resend),
                result_type=SendResult,
                start_to_close_timeout=SEND_ATTEMPT_TIMEOUT,
                # A resend tries only for what is left of the give-up period.
                schedule_to_close_timeout=(
                    max(give_up_at - workflow.now(), timedelta(seconds=1))
                    if automatic_resend
                    else delivery.give_up_after
                ),
                retry_policy=SEND_RETRY,
                summary=f"resend message ({automatic_resend})" if automatic_resend else "send message",
            )
        except ActivityError as error:
            cause = error.cause
            unavailable = isinstance(cause, ApplicationError) and cause.type == "MessageUnavailable"
            return DeliveryFailure.CONTENT_UNAVAILABLE if unavailable else DeliveryFailure.TRANSPORT_FAILED
        await self._report(
            delivery,
            Outcome.SENT,
            transport_ref=sent.transport_ref,
            automatic_resend=automatic_resend,
            envelope_id=sent.envelope_id,
        )
        return None

    async def _fail(self, delivery: DeliveryInput, reason: DeliveryFailure) -> Outcome:
        await workflow.execute_activity(
            RECORD_DELIVERY_FAILURE,
            FailureRecord(message_id=delivery.message_id, reason=reason),
            start_to_close_timeout=BOOKKEEPING_TIMEOUT,
            retry_policy=BOOKKEEPING_RETRY,
            summary=f"record failure ({reason.value})",
        )
        await self._report(delivery, Outcome.FAILED, failure=reason)
        return Outcome.FAILED

    async def _report(
        self,
        delivery: DeliveryInput,
        outcome: Outcome,
        transport_ref: str | None = None,
        failure: DeliveryFailure | None = None,
        automatic_resend: int = 0,
        envelope_id: str | None = None,
    ) -> None:
        if delivery.owner_workflow_id is None:
            return  # a receipt for a refused message: the outbox row is its only record
        report = MessageOutcome(
            message_id=delivery.message_id,
            outcome=outcome,
            resend=delivery.resend,
            transport_ref=transport_ref,
            failure=failure,
            automatic_resend=automatic_resend,
            envelope_id=envelope_id,
            kind=delivery.kind,
            channel=delivery.channel,
            recipient=delivery.recipient,
        )
        try:
            await workflow.get_external_workflow_handle(delivery.owner_workflow_id).signal(
                MESSAGE_OUTCOME_SIGNAL, report
            )
        except ApplicationError as error:
            # The owner has ended (a case closes once its sends have settled): the outbox row keeps the outcome.
            workflow.logger.warning(
                "owner of message %s did not take the %s report (%s)", delivery.message_id, outcome.value, error.type
            )
