"""Who holds a case, its notes and its deadline warnings: the rules of a caseworker's day (docs/casework.md)."""

from __future__ import annotations

from datetime import datetime

from workflows.domain.case_state import CaseState
from workflows.domain.casework.model import (
    AcknowledgeWarning,
    AddNote,
    AssignCase,
    CaseAssigned,
    CaseClaimed,
    CaseHandedOn,
    CaseReleased,
    CaseworkerRef,
    ClaimCase,
    DeadlineWarningIssued,
    DeadlineWarningSeen,
    HandOnCase,
    NoteAdded,
    ReleaseCase,
    TeamRef,
    warning_id_for,
)
from workflows.domain.deadlines import WARNED_DEADLINES, deadline_due_on
from workflows.domain.decisions.core import decide_rule, require, require_valid
from workflows.domain.events import CaseEvent
from workflows.domain.model import DeadlineKind


def _within_municipality(state: CaseState, ref: CaseworkerRef | TeamRef, field: str) -> None:
    # Sundhedsloven §42 a and the municipality's data responsibility: a case is worked on by the staff of the
    # municipality responsible for it, so it is given only to that municipality's caseworkers and teams.
    municipality = state.responsible_municipality_code
    require_valid(
        ref.municipality_code == municipality,
        f"the case lies with municipality {municipality}; it cannot be given to another municipality's staff",
        field,
    )


def _holder(state: CaseState) -> dict[str, str | None]:
    return {"previous_assignee": state.assignee, "previous_team": state.team}


@decide_rule.register
def _(command: AssignCase, state: CaseState, now: datetime) -> list[CaseEvent]:
    assignee = command.assignee
    _within_municipality(state, assignee, "assignee")
    team = assignee.team or state.team
    if (state.assignee, state.team) == (assignee.subject, team):
        return []  # already so: a repeated bulk request changes nothing
    return [
        CaseAssigned(occurred_at=now, assignee=assignee.subject, team=team, reason=command.reason, **_holder(state))
    ]


@decide_rule.register
def _(command: ClaimCase, state: CaseState, now: datetime) -> list[CaseEvent]:
    claimant = command.caseworker
    _within_municipality(state, claimant, "caseworker")
    if state.assignee == claimant.subject:
        return []
    require(
        state.assignee is None,
        "another caseworker holds the case: they hand it on or release it, or a colleague assigns it",
    )
    team = claimant.team or state.team
    return [CaseClaimed(occurred_at=now, assignee=claimant.subject, team=team, **_holder(state))]


@decide_rule.register
def _(command: HandOnCase, state: CaseState, now: datetime) -> list[CaseEvent]:
    require_valid(
        command.to_caseworker is not None or command.to_team is not None,
        "name the caseworker or the team the case goes to",
        "to_caseworker",
    )
    require(state.assignee is not None or state.team is not None, "nobody holds the case: assign it instead")
    if command.to_caseworker is not None:
        _within_municipality(state, command.to_caseworker, "to_caseworker")
    if command.to_team is not None:
        _within_municipality(state, command.to_team, "to_team")
    assignee = command.to_caseworker.subject if command.to_caseworker else None
    team = (command.to_team.team if command.to_team else None) or (
        command.to_caseworker.team if command.to_caseworker else None
    )
    team = team or state.team
    require_valid((assignee, team) != (state.assignee, state.team), "the case is already there", "to_caseworker")
    return [CaseHandedOn(occurred_at=now, assignee=assignee, team=team, reason=command.reason, **_holder(state))]


@decide_rule.register
def _(command: ReleaseCase, state: CaseState, now: datetime) -> list[CaseEvent]:
    if state.assignee is None:
        return []  # nobody holds it: already released
    return [CaseReleased(occurred_at=now, assignee=None, team=state.team, reason=command.reason, **_holder(state))]


@decide_rule.register
def _(command: AddNote, state: CaseState, now: datetime) -> list[CaseEvent]:
    # Journalføringsbekendtgørelsen (§ not verified, docs/rules.md 23c): a record is never changed; an error is
    # corrected by a later, dated note, so what was written stays readable.
    require_valid(command.note_id not in state.note_ids, "a note with this id is already recorded", "note_id")
    require_valid(
        command.corrects_note_id is None or command.corrects_note_id in state.note_ids,
        "the case has no note with this id to correct",
        "corrects_note_id",
    )
    return [
        NoteAdded(
            occurred_at=now, note_id=command.note_id, text=command.text, corrects_note_id=command.corrects_note_id
        )
    ]


@decide_rule.register
def _(command: AcknowledgeWarning, state: CaseState, now: datetime) -> list[CaseEvent]:
    issued = {warning_id_for(kind, due_on) for kind, due_on in state.deadline_warnings.items()}
    if command.warning_id not in {warning.warning_id for warning in state.unseen_warnings}:
        require_valid(command.warning_id in issued, "the case has no warning with this id", "warning_id")
        return []  # seen before
    return [DeadlineWarningSeen(occurred_at=now, warning_id=command.warning_id)]


def warning_issued(state: CaseState, warning: DeadlineKind, now: datetime) -> list[CaseEvent]:
    """The warning before a legal deadline, addressed to whoever holds the case (the team if nobody does)."""
    legal = next(kind for kind, warned_by in WARNED_DEADLINES.items() if warned_by is warning)
    due_on = deadline_due_on(state, legal)
    assert due_on is not None
    return [
        DeadlineWarningIssued(
            occurred_at=now,
            warning_id=warning_id_for(legal, due_on),
            deadline=legal,
            due_on=due_on,
            assignee=state.assignee,
            team=state.team,
        )
    ]
