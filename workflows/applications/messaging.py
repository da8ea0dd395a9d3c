"""What the application workflow sends: the letter of each decision (with its klagevejledning), queued in the
outbox, recorded as `MessageQueued` and handed to its own delivery workflow; and what it hears back.

Applications recorded before this existed replay unchanged: the path sits behind `TRUTHFUL_MESSAGES_PATCH`.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.contracts.messaging import QUEUE_APPLICATION_MESSAGE, QueueApplicationMessage, Queued
    from workflows.domain.applications.commands import ApplicationCommand
    from workflows.domain.applications.events import ApplicationEvent
    from workflows.domain.applications.state import ApplicationState
    from workflows.domain.messaging.commands import MessageOutcome, RecordMessageQueued
    from workflows.domain.messaging.model import MessageKind, MessageRecipient, message_id_for
    from workflows.messaging import shell_steps
    from workflows.messaging.starting import QUEUE_TIMEOUT, TRUTHFUL_MESSAGES_PATCH, start_delivery
    from workflows.shell import patches
    from workflows.shell.workflow_support import STORE_RETRY, EventSourcedShell

SYSTEM_ACTOR = "system:application-workflow"


def decision_letter_id(application_id: str, decision: int) -> str:
    return message_id_for(application_id, MessageKind.LETTER_DECISION.value, str(decision))


def decision_letters_owed(state: ApplicationState) -> list[int]:
    """The decisions (numbered from 1) whose letter is not queued yet: every afgørelse is written to the citizen
    with its klagevejledning (Serviceloven §86; ast.dk; retssikkerhedsloven §§ 66-67 [UNCERTAIN §§])."""
    return [
        decision
        for decision in range(1, state.decisions_made + 1)
        if decision_letter_id(state.application_id, decision) not in state.messages
    ]


class MessagingApplicationShell(EventSourcedShell[ApplicationState, ApplicationCommand, ApplicationEvent]):
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
        await shell_steps.resend(self, message_id, self._state.messages[message_id].resends)
