"""Ending a case: completion, or closure with one of KL's reasons."""

from __future__ import annotations

from datetime import datetime

from workflows.domain.case_state import CaseState
from workflows.domain.commands import CloseCase, CompleteCourse
from workflows.domain.decisions.core import decide_rule, require, require_status, require_valid
from workflows.domain.events import CaseClosed, CaseEvent, CourseCompleted
from workflows.domain.model import CaseStatus, CloseReason


@decide_rule.register
def _(command: CompleteCourse, state: CaseState, now: datetime) -> list[CaseEvent]:
    require_status(state, (CaseStatus.TRAINING_STARTED,), "complete the course")
    # The closing check itself is the API's (workflows.domain.closing_check), not a rule here: the decider only
    # records what the caseworker confirmed, so histories from before the check replay unchanged (no patch).
    return [CourseCompleted(occurred_at=now, note=command.note, confirmed_attention=command.confirmed_attention)]


@decide_rule.register
def _(command: CloseCase, state: CaseState, now: datetime) -> list[CaseEvent]:
    require(state.is_open, "there is no open case to close")
    opting_out = command.reason is CloseReason.ACTIVE_OPT_OUT
    # KL Gateway Rehab IG: an active opt-out carries its sub-reason; other reasons carry none.
    require_valid(
        (command.opt_out_reason is not None) == opting_out,
        "opt_out_reason is required for active_opt_out and only for it",
        "opt_out_reason",
    )
    # ism.dk: the municipality cannot set aside the hospital's assessment of the need before training.
    require(
        command.reason is not CloseReason.NO_FURTHER_NEED_PROFESSIONAL or state.status is CaseStatus.TRAINING_STARTED,
        "before training starts, the need stands as the hospital assessed it; a professional can end it only "
        "during the course",
    )
    return [
        CaseClosed(
            occurred_at=now,
            reason=command.reason,
            opt_out_reason=command.opt_out_reason,
            note=command.note,
            confirmed_attention=command.confirmed_attention,
        )
    ]
