"""A case's outbound messages: queued (or a plan copy withheld), their outcomes, and a resend."""

from __future__ import annotations

from datetime import datetime

from workflows.domain.case_state import CaseState
from workflows.domain.decisions.core import CommandRejected, Rejection, decide_rule, require
from workflows.domain.events import CaseEvent, PlanDeliveryWithheld
from workflows.domain.messaging.commands import RecordMessageOutcome, RecordMessageQueued, ResendMessage
from workflows.domain.messaging.decisions import NotFailed, UnknownMessage, outcome_events, queued_events, resend_events
from workflows.domain.model import Recipient


def _plan_recipient(command: RecordMessageQueued) -> Recipient | None:
    """The plan copy this command settles, if it settles one."""
    if command.plan_id is None or command.recipient.value not in set(Recipient):
        return None
    return Recipient(command.recipient.value)


@decide_rule.register
def _(command: RecordMessageQueued, state: CaseState, now: datetime) -> list[CaseEvent]:
    served = _plan_recipient(command)
    if served is not None and served in state.deliveries:
        return []  # each recipient's copy of a plan is settled exactly once
    if command.message_id is None:
        require(served is not None, "only a plan copy can be withheld")
        assert served is not None
        return [PlanDeliveryWithheld(occurred_at=now, recipient=served, reason=command.withheld_reason or "no_consent")]
    return list(queued_events(state.messages, command, now, plan_id=command.plan_id))


@decide_rule.register
def _(command: RecordMessageOutcome, state: CaseState, now: datetime) -> list[CaseEvent]:
    return list(outcome_events(state.messages, command, now))


@decide_rule.register
def _(command: ResendMessage, state: CaseState, now: datetime) -> list[CaseEvent]:
    try:
        return list(resend_events(state.messages, command, now))
    except UnknownMessage:
        raise CommandRejected(Rejection.INVALID, "the case has no message with this id", "message_id") from None
    except NotFailed as refusal:
        raise CommandRejected(Rejection.NOT_ALLOWED_NOW, str(refusal)) from None
