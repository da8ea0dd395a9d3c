"""The durable shell around the decider that the case workflow's handlers share.

Every command, whether from an Update or from the case's own clock, goes through `_apply`: decide under
a lock, append the events to PostgreSQL through an activity, and only then fold them into the state.
"""

from __future__ import annotations

import asyncio
from collections import deque
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.contracts import (
        APPEND_CASE_EVENTS,
        DELIVER_PLAN,
        AppendCaseEvents,
        AppendResult,
        DeliveryReceipt,
        EventMetadata,
        PlanDelivery,
    )
    from workflows.case_summary import markdown_summary, search_attribute_updates, search_attribute_values
    from workflows.domain.commands import CaseCommand, MarkDeadlinePassed, RecordPlanDelivery
    from workflows.domain.deadlines import next_deadline
    from workflows.domain.decider import CommandRejected, decide, recipients_to_serve
    from workflows.domain.model import Recipient
    from workflows.domain.state import CaseState, fold

SYSTEM_ACTOR = "system:case-workflow"
# Cases that started before contact reminders existed must replay without the reminder's timer.
CONTACT_REMINDERS_PATCH = "contact-reminders"

_STORE_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30), non_retryable_error_types=["ConcurrencyConflict"])


class CaseShell:
    _state: CaseState
    _handled: deque[str]
    _lock: asyncio.Lock
    _published: dict[str, object]

    def _validate(self, command: CaseCommand) -> None:
        if command.command_id in self._handled:
            return  # a retried request: the handler answers with the current state
        if self._lock.locked():
            # An append is in flight, and the SDK runs validators before it applies an activity result
            # that arrived in the same task: this state may be older than the store. The handler decides
            # under the lock, on the state the append leaves.
            return
        try:
            decide(self._state, command, workflow.now())
        except CommandRejected as rejection:
            raise as_application_error(rejection) from None

    async def _handle(self, command: CaseCommand) -> CaseState:
        if command.command_id not in self._handled:
            await self._apply(command)
        return self._state

    async def _apply(self, command: CaseCommand) -> None:
        async with self._lock:
            if command.command_id in self._handled:
                return
            try:
                events = decide(self._state, command, workflow.now())
            except CommandRejected as rejection:
                raise as_application_error(rejection) from None
            if events:
                await workflow.execute_activity(
                    APPEND_CASE_EVENTS,
                    AppendCaseEvents(
                        case_id=self._state.case_id,
                        expected_version=self._state.version,
                        event_ids=[str(workflow.uuid4()) for _ in events],
                        events=events,
                        metadata=self._metadata(command),
                    ),
                    result_type=AppendResult,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=_STORE_RETRY,
                    summary=f"append {', '.join(event.type for event in events)}",
                )
                self._state = fold(self._state, events)
            self._handled.append(command.command_id)
            self._publish()

    def _metadata(self, command: CaseCommand) -> EventMetadata:
        info = workflow.info()
        return EventMetadata(
            actor=command.actor,
            command_id=command.command_id,
            command_type=type(command).__name__,
            workflow_id=info.workflow_id,
            run_id=info.run_id,
        )

    def _publish(self) -> None:
        """Keep the operator's view (search attributes, workflow page summary) current."""
        values = search_attribute_values(self._state)
        changed = {name: value for name, value in values.items() if self._published.get(name) != value}
        if changed:
            workflow.upsert_search_attributes(search_attribute_updates(changed))
            self._published.update(changed)
        workflow.set_current_details(markdown_summary(self._state))

    async def _distribute_plan(self) -> None:
        plan = self._state.require_plan()
        hospital = self._state.training_hospital
        addresses = {
            Recipient.PATIENT: "digital_post",
            Recipient.GP: plan.general_practitioner.sor_id or plan.general_practitioner.provider_number or "",
            Recipient.MUNICIPALITY: plan.home_municipality_code,
            Recipient.TRAINING_HOSPITAL: hospital.sor_id if hospital else "",
        }
        for recipient, may_send in recipients_to_serve(self._state):
            message_id = None
            if may_send:
                receipt = await workflow.execute_activity(
                    DELIVER_PLAN,
                    PlanDelivery(
                        case_id=self._state.case_id,
                        recipient=recipient,
                        plan_id=plan.plan_id,
                        address=addresses[recipient],
                    ),
                    result_type=DeliveryReceipt,
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=_STORE_RETRY,
                    summary=f"deliver plan to {recipient.value}",
                )
                message_id = receipt.message_id
            await self._apply(
                RecordPlanDelivery(
                    command_id=f"delivery:{recipient.value}:v{self._state.version}",
                    actor=SYSTEM_ACTOR,
                    recipient=recipient,
                    message_id=message_id,
                )
            )

    async def _wait_for_change_or_deadline(self) -> None:
        seen_version = self._state.version
        upcoming = next_deadline(self._state, with_reminders=workflow.patched(CONTACT_REMINDERS_PATCH))
        if upcoming is None:
            await workflow.wait_condition(
                lambda: self._state.version != seen_version or workflow.info().is_continue_as_new_suggested()
            )
            return
        kind, due_at = upcoming
        try:
            await workflow.wait_condition(
                lambda: self._state.version != seen_version,
                timeout=max(due_at - workflow.now(), timedelta(seconds=1)),
                timeout_summary=f"{kind.value} deadline",
            )
        except TimeoutError:
            await self._apply(
                MarkDeadlinePassed(
                    # The version makes the id unique per wait, so an early wake-up can never mask the real one.
                    command_id=f"deadline:{kind.value}:v{seen_version}",
                    actor="system:deadline",
                    deadline=kind,
                )
            )


def as_application_error(rejection: CommandRejected) -> ApplicationError:
    return ApplicationError(
        rejection.message, {"field": rejection.field}, type=rejection.kind.value, non_retryable=True
    )
