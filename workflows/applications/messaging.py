"""What the application workflow sends: the letter of each decision (with its klagevejledning). A light application
queues it in the decision's own append and sends it itself (workflows/messaging/letters.py); one started before
queued it in the outbox, recorded `MessageQueued` and handed it to its own delivery workflow.

Applications recorded before this existed replay unchanged: the path sits behind `TRUTHFUL_MESSAGES_PATCH`.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.messaging import QUEUE_APPLICATION_MESSAGE, LetterDelivery, QueueApplicationMessage, Queued
    from workflows.domain.applications.commands import ApplicationCommand
    from workflows.domain.applications.events import ApplicationEvent
    from workflows.domain.applications.letters import (
        decision_letter_id,
        decision_letters_owed,
        decision_of_letter,
        letters_queued,
    )
    from workflows.domain.applications.state import ApplicationState
    from workflows.domain.messaging.commands import MessageOutcome, RecordMessageQueued
    from workflows.domain.messaging.model import MessageKind, MessageRecipient
    from workflows.domain.messaging.state import Messages
    from workflows.messaging import shell_steps
    from workflows.messaging.letters import SendsOwnLetters
    from workflows.messaging.starting import QUEUE_TIMEOUT, TRUTHFUL_MESSAGES_PATCH, start_delivery
    from workflows.shell import patches
    from workflows.shell.workflow_support import STORE_RETRY

SYSTEM_ACTOR = "system:application-workflow"


class MessagingApplicationShell(SendsOwnLetters[ApplicationState, ApplicationCommand, ApplicationEvent]):
    def _consequences(self, after: ApplicationState, command: ApplicationCommand) -> list[ApplicationEvent]:
        return list(letters_queued(after, workflow.now()))

    def _messages(self) -> Messages:
        return self._state.messages

    def _letter_request(self, message_id: str, resend: int) -> LetterDelivery:
        letter = QueueApplicationMessage(
            application_id=self._state.application_id,
            message_id=message_id,
            kind=MessageKind.LETTER_DECISION,
            decision=decision_of_letter(self._state, message_id),
        )
        return LetterDelivery(message_id=message_id, resend=resend, application=letter)

    async def _send_decision_letters(self) -> bool:
        """Queue and send the letters of decisions made; False if none is owed (or the patch is not applied)."""
        owed = decision_letters_owed(self._state)
        if not owed or not patches.patched(TRUTHFUL_MESSAGES_PATCH):
            return False
        for decision in owed:
            message_id = decision_letter_id(self._state.application_id, decision)
            try:
                queued = await workflow.execute_activity(
                    QUEUE_APPLICATION_MESSAGE,
                    QueueApplicationMessage(
                        application_id=self._state.application_id,
                        message_id=message_id,
                        kind=MessageKind.LETTER_DECISION,
                        decision=decision,
                    ),
                    result_type=Queued,
                    start_to_close_timeout=QUEUE_TIMEOUT,
                    retry_policy=STORE_RETRY,
                    summary=f"queue the letter of decision {decision}",
                )
            except ActivityError as error:
                await self._back_off("queueing a decision letter", error)
                return True
            recorded = await self._apply_own(
                RecordMessageQueued(
                    command_id=f"queued:{message_id}",
                    actor=SYSTEM_ACTOR,
                    recipient=MessageRecipient.PATIENT,
                    kind=MessageKind.LETTER_DECISION,
                    channel=queued.channel,
                    message_id=queued.message_id,
                    ack_expected=queued.ack_expected,
                )
            )
            if not recorded:
                return True
            await start_delivery(queued, message_id, resend=0)
        return True

    async def _record_outcome(self, outcome: MessageOutcome) -> None:
        await shell_steps.record_outcome(self, outcome)

    async def _resend(self, message_id: str) -> None:
        message = self._state.messages[message_id]
        if message.owner_sends:
            self._start_own_letters()  # its resend is one more `deliver_letter`, also after the end
            return
        await shell_steps.resend(self, message_id, message.resends)
