"""Who works on a case, their notes, and the warnings they get before a deadline falls due.

A caseworker or a team is named by the municipality's register (`caseworkers`, `teams`) and by the token's
organisation unit (KOMBIT's orgenhed constraint); the API resolves a name against the register and hands the
decider a reference carrying the municipality it belongs to, so the rule "assigned only within the case's
municipality" is decided here, without I/O. Every change is an event; who made it is in the event's metadata.
Events are kept forever: fields are only added, with defaults (docs/events.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.command_base import Command
from workflows.domain.model import DeadlineKind
from workflows.domain.plan.plan import MunicipalityCode

TeamId = Annotated[str, Field(min_length=1, max_length=100, description="The team's id (its organisation unit)")]
Subject = Annotated[str, Field(min_length=1, max_length=200, description="The caseworker's token subject")]
NoteText = Annotated[str, Field(min_length=1, max_length=4000)]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]
OptionalReason = Annotated[str, Field(max_length=2000)]


class CaseworkerRef(BaseModel):
    """A caseworker as the municipality's register knows them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: Subject
    municipality_code: MunicipalityCode
    team: TeamId | None = None


class TeamRef(BaseModel):
    """A team as the municipality's register knows it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    team: TeamId
    municipality_code: MunicipalityCode


# -- commands -------------------------------------------------------------------------------------------


class AssignCase(Command):
    """Give the case to a caseworker (and so to their team), e.g. by a team leader; one case of a bulk request."""

    assignee: CaseworkerRef
    reason: OptionalReason | None = None


class ClaimCase(Command):
    """The acting caseworker takes a case nobody holds."""

    caseworker: CaseworkerRef


class HandOnCase(Command):
    """Whoever holds the case passes it to another caseworker, or to a team's unassigned cases, with a reason."""

    to_caseworker: CaseworkerRef | None = None
    to_team: TeamRef | None = None
    reason: Reason


class ReleaseCase(Command):
    """The case goes back to its team's unassigned cases."""

    reason: OptionalReason | None = None


class AddNote(Command):
    """A caseworker's journal note: never edited, only followed by a note that corrects it."""

    note_id: str = Field(min_length=1, max_length=100, description="Chosen by the API, so a retry adds one note")
    text: NoteText
    corrects_note_id: str | None = Field(default=None, max_length=100, description="The note this one corrects")


class AcknowledgeWarning(Command):
    """The caseworker has seen a deadline warning."""

    warning_id: str = Field(min_length=1, max_length=100)


# -- events ---------------------------------------------------------------------------------------------


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: datetime


class _Holder(_Event):
    assignee: str | None
    team: str | None
    previous_assignee: str | None = None
    previous_team: str | None = None


class CaseAssigned(_Holder):
    type: Literal["CaseAssigned"] = "CaseAssigned"
    reason: str | None = None


class CaseClaimed(_Holder):
    type: Literal["CaseClaimed"] = "CaseClaimed"


class CaseHandedOn(_Holder):
    type: Literal["CaseHandedOn"] = "CaseHandedOn"
    reason: str


class CaseReleased(_Holder):
    type: Literal["CaseReleased"] = "CaseReleased"
    reason: str | None = None


class NoteAdded(_Event):
    type: Literal["NoteAdded"] = "NoteAdded"
    note_id: str
    text: str
    corrects_note_id: str | None = None


class DeadlineWarningIssued(_Event):
    """A deadline falls due within the municipality's warning lead time; addressed to whoever holds the case."""

    type: Literal["DeadlineWarningIssued"] = "DeadlineWarningIssued"
    warning_id: str
    deadline: DeadlineKind = Field(description="The deadline warned of: contact or start_guarantee")
    due_on: date
    assignee: str | None
    team: str | None


class DeadlineWarningSeen(_Event):
    type: Literal["DeadlineWarningSeen"] = "DeadlineWarningSeen"
    warning_id: str


class UnseenWarning(BaseModel):
    """A warning the case holds until someone marks it seen."""

    model_config = ConfigDict(frozen=True)

    warning_id: str
    deadline: DeadlineKind
    due_on: date
    issued_at: datetime
    assignee: str | None = Field(description="Whom it was addressed to when issued (null: the team)")
    team: str | None


AssignmentEvent = CaseAssigned | CaseClaimed | CaseHandedOn | CaseReleased
CaseworkEvent = AssignmentEvent | NoteAdded | DeadlineWarningIssued | DeadlineWarningSeen
CaseworkCommand = AssignCase | ClaimCase | HandOnCase | ReleaseCase | AddNote | AcknowledgeWarning


def warning_id_for(deadline: DeadlineKind, due_on: date) -> str:
    """One warning per deadline and due date: a deadline that moves is warned of again, under a new id."""
    return f"{deadline.value}:{due_on.isoformat()}"
