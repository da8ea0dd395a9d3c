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
    from workflows.contracts.messaging import QUEUE_CASE_MESSAGE, QueueCaseMessage, Queued
    from workflows.domain.decider import recipients_to_serve
    from workflows.domain.messaging.commands import MessageOutcome, RecordMessageQueued
    from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient, message_id_for
    from workflows.domain.model import Recipient
    from workflows.domain.state import CaseState
    from workflows.messaging import shell_steps
    from workflows.messaging.starting import QUEUE_TIMEOUT, TRUTHFUL_MESSAGES_PATCH, start_delivery
    from workflows.shell import search_attributes
    from workflows.shell.workflow_support import STORE_RETRY


def letters_owed(state: CaseState) -> list[MessageKind]:
    """Letters the case owes now and has not queued (the first-contact letter goes with the plan's copies)."""
    if not state.is_open or state.plan is None:
        return []
    owed = []
    # SUL §140 stk. 4: the citizen is told when free choice of a private provider opens.
    if state.free_choice_open and _letter_id(state, MessageKind.LETTER_FREE_CHOICE) not in state.messages:
        owed.append(MessageKind.LETTER_FREE_CHOICE)
    return owed


def _letter_id(state: CaseState, kind: MessageKind) -> str:
    return message_id_for(state.case_id, kind.value, state.require_plan().plan_id)


class MessagingCaseShell(CaseShell):
    def _search_attribute_values(self) -> dict[str, object]:
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
        if not workflow.patched(TRUTHFUL_MESSAGES_PATCH):
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
        if not owed or not workflow.patched(TRUTHFUL_MESSAGES_PATCH):
            return False
        for kind in owed:
            if not await self._queue_and_send(MessageRecipient.PATIENT, kind, _letter_id(self._state, kind), None):
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
        await shell_steps.resend(self, message_id, self._state.messages[message_id].resends)


def _channel_of(kind: MessageKind) -> Channel:
    return Channel.DIGITAL_POST if kind.is_letter else Channel.MEDCOM
