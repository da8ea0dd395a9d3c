"""One workflow per delivery of one message: send it, wait for its receipt where one is due, report back.

Started by the case or application workflow right after it queued the message (a child that outlives its
parent's continue-as-new), or by the outbox sweep for a message queued outside a workflow (a receipt to a
hospital). Its id, `message-<message id>[-resend-<n>]`, is what makes each delivery happen once: Temporal
runs one workflow per id, and the transport writes one file per delivery name.

The send is one activity with Temporal's retry and exponential backoff, bounded by the give-up period
(MESSAGE_GIVE_UP_HOURS, default 24 h). What happened is reported to the owner by a signal, and the owner
records it in its own stream, so every stream keeps a single writer.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.messaging.commands import MessageOutcome, Outcome
    from workflows.messaging.contracts import (
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
    from workflows.messaging.events import DeliveryFailure

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
        try:
            sent = await workflow.execute_activity(
                SEND_MESSAGE,
                SendRequest(message_id=delivery.message_id, resend=delivery.resend),
                result_type=SendResult,
                start_to_close_timeout=SEND_ATTEMPT_TIMEOUT,
                schedule_to_close_timeout=delivery.give_up_after,
                retry_policy=SEND_RETRY,
                summary="send message",
            )
        except ActivityError as error:
            cause = error.cause
            unavailable = isinstance(cause, ApplicationError) and cause.type == "MessageUnavailable"
            reason = DeliveryFailure.CONTENT_UNAVAILABLE if unavailable else DeliveryFailure.TRANSPORT_FAILED
            return await self._fail(delivery, reason)
        await self._report(delivery, Outcome.SENT, transport_ref=sent.transport_ref)
        if not delivery.ack_expected:
            return Outcome.SENT
        try:
            await workflow.wait_condition(
                lambda: self._receipt is not None,
                timeout=max(give_up_at - workflow.now(), timedelta(seconds=1)),
                timeout_summary="receiver's receipt",
            )
        except TimeoutError:
            return await self._fail(delivery, DeliveryFailure.NOT_ACKNOWLEDGED)
        assert self._receipt is not None
        if not self._receipt.positive:
            return await self._fail(delivery, DeliveryFailure.NEGATIVE_RECEIPT)
        await self._report(delivery, Outcome.ACKNOWLEDGED)
        return Outcome.ACKNOWLEDGED

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
    ) -> None:
        if delivery.owner_workflow_id is None:
            return  # a receipt for a refused message: the outbox row is its only record
        report = MessageOutcome(
            message_id=delivery.message_id,
            outcome=outcome,
            resend=delivery.resend,
            transport_ref=transport_ref,
            failure=failure,
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
