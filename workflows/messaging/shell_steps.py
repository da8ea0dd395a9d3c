"""The two message steps a case and an application take alike: recording the sender's outcome as the
stream's own command, and starting a caseworker's resend. Module functions over the shared event-sourced
shell, so both workflows run the same commands and activities in the same order (their histories replay)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.messaging import PREPARE_RESEND, Queued, ResendRequest
    from workflows.domain.messaging.commands import MessageOutcome, RecordMessageOutcome
    from workflows.domain.messaging.state import Messages, any_failed
    from workflows.messaging.starting import await_resend_after_end, in_flight, settle, start_delivery
    from workflows.shell.workflow_support import STORE_RETRY, STORE_TIMEOUT, EventSourcedShell


async def record_outcome(shell: EventSourcedShell[Any, Any, Any], outcome: MessageOutcome) -> bool:
    """The sender's report (sent, acknowledged, failed) as the stream's own command, once per outcome; False if it
    could not be recorded for now."""
    resend = f":r{outcome.resend}" if outcome.resend else ""
    resend += f":a{outcome.automatic_resend}" if outcome.automatic_resend else ""
    return await shell._apply_own(
        RecordMessageOutcome(
            command_id=f"outcome:{outcome.message_id}:{outcome.outcome.value}{resend}",
            actor="system:sender",
            outcome=outcome,
        )
    )


async def resend(shell: EventSourcedShell[Any, Any, Any], message_id: str, resends: int) -> None:
    """After `MessageResendRequested`: open the outbox row again and start the resend's delivery."""
    try:
        queued = await workflow.execute_activity(
            PREPARE_RESEND,
            ResendRequest(message_id=message_id, resend=resends),
            result_type=Queued,
            start_to_close_timeout=STORE_TIMEOUT,
            retry_policy=STORE_RETRY,
            summary="prepare resend",
        )
    except ActivityError as error:
        await shell._back_off("resend", error)
        return
    await start_delivery(queued, message_id, resend=resends)


async def settle_after_end(shell: EventSourcedShell[Any, Any, Any], messages: Callable[[], Messages]) -> None:
    """Once the stream has ended: wait (bounded) for what becomes of its messages in flight, so it still reaches
    the stream; and while one has failed, stay to take its resend (the letter is owed all the same)."""
    if in_flight(messages()) or any_failed(messages()):
        shell._publish_attributes()  # it stays a while: an operator sees it ended (a light run upserts when idle)
    await settle(messages)
    while await await_resend_after_end(messages):
        await shell._continue_as_new_if_suggested()
