"""What the case workflow adds to the shared shell: its decider, store stream, view, deadlines, and
the delivery of the plan to everyone who must have it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from temporalio import workflow
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from workflows.cases.summary import markdown_summary, search_attribute_values
    from workflows.contracts.store import (
        APPEND_CASE_EVENTS,
        DELIVER_PLAN,
        AppendCaseEvents,
        DeliveryReceipt,
        PlanDelivery,
    )
    from workflows.domain.commands import CaseCommand, MarkDeadlinePassed, RecordPlanDelivery
    from workflows.domain.deadlines import next_deadline
    from workflows.domain.decider import decide, recipients_to_serve
    from workflows.domain.events import CaseEvent
    from workflows.domain.model import DeadlineKind, Recipient
    from workflows.domain.plan.start_proposal import StartDateProposed
    from workflows.domain.state import CaseState, fold
    from workflows.shell import patches
    from workflows.shell.workflow_support import (
        OWN_COMMAND_BACKOFF_PATCH,
        STORE_RETRY,
        STORE_TIMEOUT,
        EventSourcedShell,
        event_metadata,
    )

SYSTEM_ACTOR = "system:case-workflow"
# Cases that started before contact reminders existed must replay without the reminder's timer.
CONTACT_REMINDERS_PATCH = "contact-reminders"
# Plans accepted before a later start was proposed from their free text must replay without the proposal.
START_DATE_PROPOSALS_PATCH = "start-date-proposals"
# Cases recorded before deadline warnings existed replay (and keep running) with the contact reminder instead.
DEADLINE_WARNINGS_PATCH = "deadline-warnings"


class CaseShell(EventSourcedShell[CaseState, CaseCommand, CaseEvent]):
    def _decide(self, command: CaseCommand) -> list[CaseEvent]:
        events = decide(self._state, command, workflow.now())
        if any(isinstance(event, StartDateProposed) for event in events) and not self._proposes_start_dates():
            # A plan accepted before proposals existed was accepted without one: its replay must append the
            # same events, or the workflow's state and version would part from the store's.
            events = [event for event in events if not isinstance(event, StartDateProposed)]
        return events

    def _proposes_start_dates(self) -> bool:
        # A validator may not record a patch marker, and needs none: a proposal never decides whether a
        # command is allowed. The handler decides again, and records the marker with the first proposal.
        return workflow.unsafe.is_read_only() or patches.patched(START_DATE_PROPOSALS_PATCH)

    def _append_request(self, command: CaseCommand, events: list[CaseEvent]) -> tuple[str, BaseModel]:
        return APPEND_CASE_EVENTS, AppendCaseEvents(
            case_id=self._state.case_id,
            expected_version=self._state.version,
            event_ids=[str(workflow.uuid4()) for _ in events],
            events=events,
            metadata=event_metadata(command),
        )

    def _fold(self, events: list[CaseEvent]) -> CaseState:
        return fold(self._state, events)

    def _search_attribute_values(self) -> dict[str, object]:
        return search_attribute_values(self._state)

    def _summary(self) -> str:
        return markdown_summary(self._state)

    def _next_deadline(self) -> tuple[StrEnum, datetime] | None:
        warnings = patches.patched(DEADLINE_WARNINGS_PATCH)
        reminders = not warnings and patches.patched(CONTACT_REMINDERS_PATCH)
        return next_deadline(self._state, with_reminders=reminders, with_warnings=warnings)

    def _deadline_passed(self, kind: StrEnum, command_id: str) -> CaseCommand:
        return MarkDeadlinePassed(command_id=command_id, actor="system:deadline", deadline=DeadlineKind(kind))

    async def _distribute_plan(self) -> None:
        plan = self._state.require_plan()
        hospital = self._state.training_hospital
        gp = plan.general_practitioner  # None only when the GP copy was deselected (then nothing goes there)
        addresses = {
            Recipient.PATIENT: "digital_post",
            Recipient.GP: (gp.sor_id or gp.provider_number or "") if gp is not None else "",
            Recipient.MUNICIPALITY: plan.home_municipality_code,
            Recipient.TRAINING_HOSPITAL: hospital.sor_id if hospital else "",
        }
        for recipient, may_send in recipients_to_serve(self._state):
            message_id = None
            if may_send:
                try:
                    receipt = await workflow.execute_activity(
                        DELIVER_PLAN,
                        PlanDelivery(
                            case_id=self._state.case_id,
                            recipient=recipient,
                            plan_id=plan.plan_id,
                            address=addresses[recipient],
                        ),
                        result_type=DeliveryReceipt,
                        start_to_close_timeout=STORE_TIMEOUT,
                        retry_policy=STORE_RETRY,
                        summary=f"deliver plan to {recipient.value}",
                    )
                except ActivityError as error:
                    if not patches.patched(OWN_COMMAND_BACKOFF_PATCH):
                        raise  # a history from before the backoff failed here, and must replay so
                    await self._back_off(f"delivery to {recipient.value}", error)
                    return  # the run loop tries the deliveries still owed again
                message_id = receipt.message_id
            await self._apply_own(
                RecordPlanDelivery(
                    command_id=f"delivery:{recipient.value}:v{self._state.version}",
                    actor=SYSTEM_ACTOR,
                    recipient=recipient,
                    message_id=message_id,
                )
            )
