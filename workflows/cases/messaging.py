"""What the case workflow sends: the plan's copies and the letters the case owes, each queued in the outbox,
recorded as `MessageQueued` and handed to its own delivery workflow; and what it hears back from them.

Cases recorded before this existed replay unchanged: the new paths sit behind `TRUTHFUL_MESSAGES_PATCH`.
"""

from __future__ import annotations

from collections import Counter

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from workflows.cases.shell import SYSTEM_ACTOR, CaseShell
    from workflows.cases.summary import operator_attribute_values
    from workflows.contracts.messaging import QUEUE_CASE_MESSAGE, LetterDelivery, QueueCaseMessage, Queued
    from workflows.domain.commands import CaseCommand
    from workflows.domain.decider import recipients_to_serve
    from workflows.domain.decisions.distribution import consequences, letter_id, letters_owed
    from workflows.domain.events import CaseEvent
    from workflows.domain.messaging.commands import MessageOutcome, RecordMessageQueued
    from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, message_id_for
    from workflows.domain.messaging.state import Messages
    from workflows.domain.model import Recipient
    from workflows.domain.state import CaseState
    from workflows.messaging import shell_steps
    from workflows.messaging.letters import SendsOwnLetters
    from workflows.messaging.starting import QUEUE_TIMEOUT, TRUTHFUL_MESSAGES_PATCH, start_delivery
    from workflows.shell import patches, search_attributes
    from workflows.shell.workflow_support import STORE_RETRY


class MessagingCaseShell(SendsOwnLetters[CaseState, CaseCommand, CaseEvent], CaseShell):
    _forwarded: frozenset[str]

    def _consequences(self, after: CaseState, command: CaseCommand) -> list[CaseEvent]:
        return consequences(after, self._forwarded, workflow.now())

    def _messages(self) -> Messages:
        return self._state.messages

    def _letter_request(self, message_id: str, resend: int) -> LetterDelivery:
        message = self._state.messages[message_id]
        plan_id = self._state.require_plan().plan_id if message.kind is MessageKind.LETTER_FIRST_CONTACT else None
        letter = QueueCaseMessage(
            case_id=self._state.case_id,
            message_id=message_id,
            kind=message.kind,
            recipient=message.recipient,
            plan_id=plan_id,
        )
        return LetterDelivery(message_id=message_id, resend=resend, case=letter)

    def _search_attribute_values(self) -> dict[str, object]:
        if self._light:
            return operator_attribute_values(self._state)
        values = super()._search_attribute_values()
        if self._state.messages:
            # Only cases with messages set it, so a case recorded before them replays without a new upsert.
            values[search_attributes.DELIVERY_FAILED.name] = self._state.delivery_failed
        return values

    def _summary(self) -> str:
        summary = super()._summary()
        if not self._state.messages:
            return summary
        counts = Counter(message.status.value for message in self._state.messages.values())
        line = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
        return f"{summary}\n- Messages: {line}" + (" — **delivery failed**" if self._state.delivery_failed else "")

    async def _distribute_plan(self) -> None:
        if not patches.patched(TRUTHFUL_MESSAGES_PATCH):
            await super()._distribute_plan()  # a history from before: PlanDelivered, as it was recorded
            return
        plan = self._state.require_plan()
        for recipient, may_send in recipients_to_serve(self._state):
            # The citizen's part of the distribution is the first-contact letter (BEK kapitel 2); the others
            # get the plan itself where the deployment forwards it.
            kind = MessageKind.LETTER_FIRST_CONTACT if recipient is Recipient.PATIENT else MessageKind.PLAN_FORWARD
            if not may_send:
                await self._record_queued(recipient, kind, None, plan.plan_id, "no_consent")
                continue
            message_id = message_id_for(self._state.case_id, kind.value, recipient.value, plan.plan_id)
            if not await self._queue_and_send(MessageRecipient(recipient.value), kind, message_id, plan.plan_id):
                return  # the run loop tries the copies still owed again

    async def _send_owed_letters(self) -> bool:
        """Queue and send the letters the case owes now; False if there were none (or patch not applied)."""
        owed = letters_owed(self._state)
        if not owed or not patches.patched(TRUTHFUL_MESSAGES_PATCH):
            return False
        for kind in owed:
            if not await self._queue_and_send(MessageRecipient.PATIENT, kind, letter_id(self._state, kind), None):
                return True
        return True

    async def _queue_and_send(
        self, recipient: MessageRecipient, kind: MessageKind, message_id: str, plan_id: str | None
    ) -> bool:
        try:
            queued = await workflow.execute_activity(
                QUEUE_CASE_MESSAGE,
                QueueCaseMessage(
                    case_id=self._state.case_id, message_id=message_id, kind=kind, recipient=recipient, plan_id=plan_id
                ),
                result_type=Queued,
                start_to_close_timeout=QUEUE_TIMEOUT,
                retry_policy=STORE_RETRY,
                summary=f"queue {kind.value} for {recipient.value}",
            )
        except ActivityError as error:
            await self._back_off(f"queueing {kind.value}", error)
            return False
        recorded = await self._record_queued(recipient, kind, queued, plan_id, queued.withheld_reason)
        if recorded and queued.message_id is not None:
            await self._start_delivery(queued, queued.message_id, resend=0)
        return recorded

    async def _record_queued(
        self,
        recipient: MessageRecipient | Recipient,
        kind: MessageKind,
        queued: Queued | None,
        plan_id: str | None,
        withheld_reason: str | None,
    ) -> bool:
        message_id = queued.message_id if queued else None
        return await self._apply_own(
            RecordMessageQueued(
                command_id=f"queued:{kind.value}:{recipient.value}:{message_id}:v{self._state.version}",
                actor=SYSTEM_ACTOR,
                recipient=MessageRecipient(recipient.value),
                kind=kind,
                channel=queued.channel if queued else _channel_of(kind),
                message_id=message_id,
                plan_id=plan_id,
                withheld_reason=withheld_reason,
                ack_expected=queued.ack_expected if queued else False,
            )
        )

    async def _start_delivery(self, queued: Queued, message_id: str, resend: int) -> None:
        await start_delivery(queued, message_id, resend)

    async def _record_outcome(self, outcome: MessageOutcome) -> None:
        await shell_steps.record_outcome(self, outcome)

    async def _resend(self, message_id: str) -> None:
        message = self._state.messages[message_id]
        if message.owner_sends:
            self._start_own_letters()  # its resend is one more `deliver_letter`, also after the case has ended
            return
        await shell_steps.resend(self, message_id, message.resends)


def _channel_of(kind: MessageKind) -> Channel:
    return Channel.DIGITAL_POST if kind.is_letter else Channel.MEDCOM
