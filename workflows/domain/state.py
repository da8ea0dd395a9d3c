"""The state of a case, and `evolve`, the one function that folds events into it.

The workflow, the read model and every rebuild use this same fold, so they cannot disagree.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import singledispatch

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.commands import ProviderRef
from workflows.domain.events import (
    AlmenSubLevelClassified,
    CaseClosed,
    CaseEvent,
    CitizenContacted,
    ContactDeadlineMissed,
    CourseCompleted,
    PlanDelivered,
    PlanDeliveryWithheld,
    PlanReceived,
    ProviderChosen,
    StartGuaranteeBreached,
    StartOffered,
)
from workflows.domain.model import AlmenSubLevel, CaseStatus, CloseReason, Recipient
from workflows.domain.plan import RehabilitationPlan


class CaseState(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    version: int = 0
    status: CaseStatus = CaseStatus.NEW
    plan: RehabilitationPlan | None = None
    plan_fingerprint: str | None = None
    received_at: datetime | None = None
    updated_at: datetime | None = None
    rules_valid_from: date | None = None
    deliveries: dict[Recipient, str | None] = Field(
        default_factory=dict, description="Outbox message id per recipient; None where withheld"
    )
    sub_level: AlmenSubLevel | None = None
    contacted_at: datetime | None = None
    contact_working_days: int | None = None
    contact_due_on: date | None = None
    contact_overdue: bool = False
    provider: ProviderRef | None = None
    start_guarantee_due_on: date | None = None
    first_appointment_on: date | None = None
    start_guarantee_breached: bool = False
    free_choice_open: bool = False
    close_reason: CloseReason | None = None

    @property
    def is_open(self) -> bool:
        return self.status is not CaseStatus.NEW and not self.status.is_terminal

    def require_plan(self) -> RehabilitationPlan:
        if self.plan is None:
            raise LookupError("the case has no plan yet")
        return self.plan


def evolve(state: CaseState, event: CaseEvent) -> CaseState:
    changes = _changes(event, state)
    return state.model_copy(update={**changes, "version": state.version + 1, "updated_at": event.occurred_at})


def fold(state: CaseState, events: list[CaseEvent]) -> CaseState:
    for event in events:
        state = evolve(state, event)
    return state


@singledispatch
def _changes(event: CaseEvent, state: CaseState) -> dict[str, object]:
    raise TypeError(f"no evolve rule for {type(event).__name__}")


@_changes.register
def _(event: PlanReceived, state: CaseState) -> dict[str, object]:
    return {
        "status": CaseStatus.RECEIVED,
        "plan": event.plan,
        "plan_fingerprint": event.plan_fingerprint,
        "received_at": event.occurred_at,
        "rules_valid_from": event.rules_valid_from,
        "start_guarantee_due_on": event.start_guarantee_due_on,
        "contact_working_days": event.contact_working_days,
        "contact_due_on": event.contact_due_on,
    }


def _after_delivery(state: CaseState, recipient: Recipient, message_id: str | None) -> dict[str, object]:
    deliveries = {**state.deliveries, recipient: message_id}
    everyone_served = set(deliveries) == set(Recipient)
    status = CaseStatus.DISTRIBUTED if everyone_served and state.status is CaseStatus.RECEIVED else state.status
    return {"deliveries": deliveries, "status": status}


@_changes.register
def _(event: PlanDelivered, state: CaseState) -> dict[str, object]:
    return _after_delivery(state, event.recipient, event.message_id)


@_changes.register
def _(event: PlanDeliveryWithheld, state: CaseState) -> dict[str, object]:
    return _after_delivery(state, event.recipient, None)


@_changes.register
def _(event: AlmenSubLevelClassified, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.CLASSIFIED, "sub_level": event.sub_level}


@_changes.register
def _(event: CitizenContacted, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.CITIZEN_CONTACTED, "contacted_at": event.contacted_at}


@_changes.register
def _(event: ProviderChosen, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.PROVIDER_CHOSEN, "provider": event.provider}


@_changes.register
def _(event: StartOffered, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.TRAINING_STARTED, "first_appointment_on": event.first_appointment_on}


@_changes.register
def _(event: StartGuaranteeBreached, state: CaseState) -> dict[str, object]:
    return {"start_guarantee_breached": True, "free_choice_open": event.free_choice_opened}


@_changes.register
def _(event: ContactDeadlineMissed, state: CaseState) -> dict[str, object]:
    return {"contact_overdue": True}


@_changes.register
def _(event: CourseCompleted, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.COMPLETED}


@_changes.register
def _(event: CaseClosed, state: CaseState) -> dict[str, object]:
    return {"status": CaseStatus.CLOSED, "close_reason": event.reason}
