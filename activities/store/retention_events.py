"""Events of a case's or an application's retention: holds placed and lifted, and the erasure of its personal data.

They live in a stream of their own beside the case (stream type `retention`, stream id `retention:<kind>:<id>`),
so a hold can be placed on a running case without touching its workflow's stream, and the domain core knows
nothing of them. Kept forever like every event: fields only added with defaults (docs/events.md).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from activities.sealing.personal_fields import BodyFields, Erased


class HoldKind(StrEnum):
    """Why a record must outlive its retention period (journalføringsbekendtgørelsen §15; stps.dk
    journalopbevaring: longer while a complaint, supervision or compensation case is pending; arkivloven §5 and
    bek. 591/2003: not destroyed without Rigsarkivet's decision)."""

    COMPLAINT = "complaint"
    SUPERVISION = "supervision"  # tilsyn
    COMPENSATION = "compensation"  # erstatning
    ARCHIVE = "archive"  # arkiv


class ErasureBasis(StrEnum):
    RETENTION = "retention"  # the retention period ended (the daily sweep)
    ERASURE_REQUEST = "erasure_request"  # the citizen's request (GDPR art. 17), once nothing retained the data


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: datetime


class RetentionHoldPlaced(_Event):
    type: Literal["RetentionHoldPlaced"] = "RetentionHoldPlaced"
    hold: HoldKind
    reason: str = Field(description="Why, in the caseworker's words (sealed with the citizen's key)")


class RetentionHoldLifted(_Event):
    type: Literal["RetentionHoldLifted"] = "RetentionHoldLifted"
    hold: HoldKind
    reason: str = Field(description="Why the hold ends (sealed with the citizen's key)")


class PersonalDataErased(_Event):
    """The citizen's key was destroyed: every personal field of this case or application now reads erased."""

    type: Literal["PersonalDataErased"] = "PersonalDataErased"
    basis: ErasureBasis
    rule: str = Field(description="The rule the record was kept by, e.g. journalføringsbekendtgørelsen §15 stk. 2")
    retention_years: int
    ended_on: date = Field(description="The day the case or application ended (the retention period ran from it)")


RetentionEvent = Annotated[
    RetentionHoldPlaced | RetentionHoldLifted | PersonalDataErased,
    Field(discriminator="type"),
]

RETENTION_EVENT_ADAPTER: TypeAdapter[RetentionEvent] = TypeAdapter(RetentionEvent)

# The personal fields of these events (activities.sealing.personal_fields' table, for this stream type).
RETENTION_EVENTS: dict[str, BodyFields] = {
    "RetentionHoldPlaced": BodyFields({"reason": Erased.TEXT}),
    "RetentionHoldLifted": BodyFields({"reason": Erased.TEXT}),
    "PersonalDataErased": BodyFields({}, frozenset({"rule"})),
}


def retention_event_from_json(payload: dict[str, object]) -> RetentionEvent:
    return RETENTION_EVENT_ADAPTER.validate_python(payload)


def retention_stream(subject_type: str, subject_id: str) -> str:
    """The retention stream of a case (`subject_type` case) or an application."""
    return f"retention:{subject_type}:{subject_id}"


def subject_of(stream_id: str) -> tuple[str, str]:
    """(subject type, subject id) of a retention stream id."""
    _, subject_type, subject_id = stream_id.split(":", 2)
    return subject_type, subject_id
