"""Letters a case or application sends itself (workflow code: deterministic).

A letter expects no receipt, so it needs no workflow of its own: the owner runs one `deliver_letter` activity
(render, queue in the outbox, send; Temporal retries it with backoff, and it gives up after MESSAGE_GIVE_UP_HOURS)
in a task beside its main loop, and records the outcome in its own stream. The older path (a queue activity, an
append, a child delivery workflow and a signal back) stays for MedCom messages, which wait for a receipt, and for
a caseworker's resend.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.messaging import DELIVER_LETTER, LetterDelivery, SendResult
    from workflows.domain.messaging.commands import MessageOutcome, Outcome
    from workflows.domain.messaging.events import DeliveryFailure
    from workflows.domain.messaging.state import Messages, owed_by_owner
    from workflows.messaging.delivery_workflow import PERMANENT_SEND_FAILURES
    from workflows.messaging.shell_steps import record_outcome
    from workflows.messaging.starting import SETTLE_TIMEOUT, message_task_queue
    from workflows.shell.workflow_support import CommandT, EventSourcedShell, EventT, StateT

LETTER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=10),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=30),
    non_retryable_error_types=[*PERMANENT_SEND_FAILURES, "LetterGivenUp"],
)
# Rendering a PDF, sealing it and handing it to the transport: seconds; a worker that died is noticed soon.
LETTER_ATTEMPT_TIMEOUT = timedelta(minutes=2)


async def deliver_letter(request: LetterDelivery) -> MessageOutcome:
    """Send one letter (the activity gives up by itself after the give-up period); what became of it."""
    try:
        sent = await workflow.execute_activity(
            DELIVER_LETTER,
            request,
            result_type=SendResult,
            start_to_close_timeout=LETTER_ATTEMPT_TIMEOUT,
            schedule_to_close_timeout=SETTLE_TIMEOUT,  # a safety net only: the activity gives up long before
            retry_policy=LETTER_RETRY,
            task_queue=message_task_queue(),  # beside the other sends: a slow transport holds up no case's task
            summary="deliver letter",
        )
    except ActivityError as error:
        cause = error.cause
        unavailable = isinstance(cause, ApplicationError) and cause.type == "MessageUnavailable"
        failure = DeliveryFailure.CONTENT_UNAVAILABLE if unavailable else DeliveryFailure.TRANSPORT_FAILED
        return MessageOutcome(
            message_id=request.message_id, outcome=Outcome.FAILED, resend=request.resend, failure=failure
        )
    return MessageOutcome(
        message_id=request.message_id, outcome=Outcome.SENT, resend=request.resend, transport_ref=sent.transport_ref
    )


class SendsOwnLetters(EventSourcedShell[StateT, CommandT, EventT]):
    """Mixin of a shell whose stream queues letters with `owner_sends`: it sends them itself."""

    _sending: dict[str, asyncio.Task[None]]

    def _start_shell(self, *args: Any, **kwargs: Any) -> None:
        super()._start_shell(*args, **kwargs)
        self._sending = {}

    def _messages(self) -> Messages:
        raise NotImplementedError

    def _letter_request(self, message_id: str, resend: int) -> LetterDelivery:
        raise NotImplementedError

    def _busy(self) -> bool:
        return bool(self._sending)

    def _start_own_letters(self) -> None:
        """Start a delivery task for each letter queued for the owner to send and not yet on its way."""
        for message_id, resend in owed_by_owner(self._messages()):
            key = f"{message_id}:{resend}"
            if key not in self._sending:
                request = self._letter_request(message_id, resend)
                self._sending[key] = asyncio.create_task(self._send_own_letter(key, request))

    async def _send_own_letter(self, key: str, request: LetterDelivery) -> None:
        try:
            outcome = await deliver_letter(request)
            while not await record_outcome(self, outcome):
                pass  # the store refused or failed for now: `_apply_own` waited; the outcome must reach the stream
        finally:
            self._sending.pop(key, None)
