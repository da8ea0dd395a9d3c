"""Bodies of who works on a case (assignment, claim, hand-on, release, bulk assignment) and of its notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from api.http.problems import Problem
from api.http.timestamps import UtcTimestamps
from api.models.request_body import RequestBody
from workflows.domain.casework.model import NoteText, OptionalReason, Reason
from workflows.domain.inputs import Line
from workflows.domain.schema_conditions import conditions, missing, when

SubjectField = Annotated[Line, Field(min_length=1, max_length=200, description="A caseworker's token subject")]
TeamField = Annotated[Line, Field(min_length=1, max_length=100, description="A team id of the register")]
BULK_MAX = 200


class AssignmentRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"assignee": "local-caseworker", "reason": "Fordeling mandag"}]}
    )

    assignee: SubjectField
    reason: OptionalReason | None = None


class ClaimRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{}]})


class HandOnRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"to_team": "visitation", "reason": "Borgeren er flyttet til distrikt Syd"}],
            **conditions(when(missing("to_caseworker"), given=["to_team"])),  # somewhere to go (the decider's rule)
        }
    )

    to_team: TeamField | None = None
    to_caseworker: SubjectField | None = Field(default=None, validate_default=True)
    reason: Reason

    @field_validator("to_caseworker")
    @classmethod
    def _somewhere_to_go(cls, value: str | None, info: ValidationInfo) -> str | None:
        # The decider's rule (workflows/domain/decisions/casework.py), at the door too: 422 before If-Match's 412.
        if value is None and info.data.get("to_team") is None:
            raise ValueError("name the caseworker or the team the case goes to")
        return value


class ReleaseRequest(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "Ferie"}]})

    reason: OptionalReason | None = None


class BulkAssignmentRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "case_ids": ["3f2b8c1e-6a4d-4e2f-9b7a-1c5d8e9f0a12"],
                    "assignee": "local-caseworker",
                    "reason": "Fordeling mandag",
                }
            ],
            **conditions(when(missing("assignee"), given=["team"])),  # the route's rule: a caseworker, a team or both
        }
    )

    case_ids: list[uuid.UUID] = Field(
        min_length=1, max_length=BULK_MAX, description="Each case once", json_schema_extra={"uniqueItems": True}
    )
    assignee: SubjectField | None = Field(default=None, description="The caseworker every case goes to")
    team: TeamField | None = Field(default=None, description="The team (without assignee: only the team is set)")
    reason: OptionalReason | None = None

    @field_validator("case_ids")
    @classmethod
    def _each_once(cls, case_ids: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(case_ids)) != len(case_ids):
            raise ValueError("must name each case once")
        return case_ids


class BulkAssignmentResult(BaseModel):
    case_id: uuid.UUID
    status: int = Field(description="The HTTP status the case's own command would have answered")
    version: int | None = Field(default=None, description="The case's version after the command (its ETag)")
    problem: Problem | None = Field(default=None, description="Why the case was not assigned (problem+json body)")


class BulkAssignmentAnswer(BaseModel):
    results: list[BulkAssignmentResult] = Field(description="One per case, in the order of the request")


class NoteRequest(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"text": "Borgeren ønsker træning om formiddagen.\nRinger igen fredag."}]}
    )

    text: NoteText
    corrects_note_id: Line | None = Field(default=None, max_length=100, description="The note this one corrects")


class Note(UtcTimestamps):
    note_id: str
    text: str = Field(description="The note; `[slettet]` once the citizen's data is erased")
    added_at: datetime
    author: str = Field(description="Who wrote it: their name as their token gave it, else the actor")
    actor: str = Field(examples=["caseworker:cw-17"])
    corrects_note_id: str | None = Field(description="The note this one corrects")
    corrected_by: list[str] = Field(description="The notes that correct this one, in order")


class NoteList(BaseModel):
    case_id: str
    notes: list[Note] = Field(description="In the order they were written")
