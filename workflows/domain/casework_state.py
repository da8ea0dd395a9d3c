"""How the casework events change a case's state: who holds it, its notes, its warnings."""

from __future__ import annotations

from workflows.domain.case_state import CaseState
from workflows.domain.casework.model import (
    AssignmentEvent,
    CaseworkEvent,
    DeadlineWarningIssued,
    DeadlineWarningSeen,
    NoteAdded,
    UnseenWarning,
)

# Fields a replacing plan leaves as they were: the case's people and journal outlive its plan.
CASEWORK_FIELDS = frozenset({"assignee", "note_ids", "deadline_warnings", "unseen_warnings"})


def casework_changes(event: CaseworkEvent, state: CaseState) -> dict[str, object]:
    if isinstance(event, NoteAdded):
        return {"note_ids": [*state.note_ids, event.note_id]}
    if isinstance(event, DeadlineWarningIssued):
        return {
            "deadline_warnings": {**state.deadline_warnings, event.deadline: event.due_on},
            "unseen_warnings": [*state.unseen_warnings, _unseen(event)],
        }
    if isinstance(event, DeadlineWarningSeen):
        return {"unseen_warnings": [known for known in state.unseen_warnings if known.warning_id != event.warning_id]}
    return _holder(event)


def _unseen(event: DeadlineWarningIssued) -> UnseenWarning:
    return UnseenWarning(
        warning_id=event.warning_id,
        deadline=event.deadline,
        due_on=event.due_on,
        issued_at=event.occurred_at,
        assignee=event.assignee,
        team=event.team,
    )


def _holder(event: AssignmentEvent) -> dict[str, object]:
    return {"assignee": event.assignee, "team": event.team}
