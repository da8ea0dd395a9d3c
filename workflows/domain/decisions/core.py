"""The decider's registry and its typed rejections."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from functools import singledispatch

from workflows.domain.case_state import CaseState
from workflows.domain.commands import CaseCommand
from workflows.domain.events import CaseEvent
from workflows.domain.model import CaseStatus
from workflows.domain.rejection import BusinessRejection


class Rejection(StrEnum):
    NOT_ALLOWED_NOW = "NotAllowedNow"  # the case's state forbids it: HTTP 409
    CASE_CLOSED = "CaseClosed"  # HTTP 409
    PLAN_CONFLICT = "PlanConflict"  # same plan id, other content: HTTP 409
    INVALID = "InvalidCommand"  # the command contradicts the case's facts: HTTP 422


class CommandRejected(BusinessRejection):
    kind: Rejection

    def __init__(self, kind: Rejection, message: str, field: str | None = None) -> None:
        super().__init__(kind, message, field)


def require(condition: bool, message: str, kind: Rejection = Rejection.NOT_ALLOWED_NOW) -> None:
    if not condition:
        raise CommandRejected(kind, message)


def require_valid(condition: bool, message: str, field: str) -> None:
    if not condition:
        raise CommandRejected(Rejection.INVALID, message, field)


def require_status(state: CaseState, allowed: tuple[CaseStatus, ...], action: str) -> None:
    names = ", ".join(status.value for status in allowed)
    require(state.status in allowed, f"cannot {action} while the case is {state.status.value} (needs {names})")


@singledispatch
def decide_rule(command: CaseCommand, state: CaseState, now: datetime) -> list[CaseEvent]:
    raise TypeError(f"no decision rule for {type(command).__name__}")


def decide(state: CaseState, command: CaseCommand, now: datetime) -> list[CaseEvent]:
    """The events `command` causes in `state` at `now`, or `CommandRejected`."""
    from workflows.domain.commands import ReceivePlan, RecordPlanDelivery
    from workflows.domain.messaging.commands import RecordMessageOutcome, ResendMessage

    # A copy of the plan sent before the case ended is still recorded: the copies are an obligation of
    # their own (MedCom; BEK §§4 ff.), and a delivery in flight may come back after a quick completion.
    # So is what became of a message sent before (the sender's reports), and a failed one is sent again: the
    # citizen's letter and the copies are owed whether or not the case has ended since.
    after_end = (ReceivePlan, RecordPlanDelivery, RecordMessageOutcome, ResendMessage)
    if state.status.is_terminal and not isinstance(command, after_end):
        raise CommandRejected(Rejection.CASE_CLOSED, f"the case is {state.status.value}; it takes no commands")
    return decide_rule(command, state, now)
