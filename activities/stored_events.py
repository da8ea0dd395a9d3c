"""Events as the store keeps them: the body plus its place in its stream and in the global order.

The `events` table holds two kinds of stream, told apart by its `stream_type` column (migration 0004):
`case` streams (hospital plans, `workflows.domain`) and `application` streams (applications without a
hospital stay, `workflows.applications`). The column `case_id` is the stream's id in both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from activities.contracts import EventMetadata
from workflows.applications.events import ApplicationEvent, application_event_from_json
from workflows.domain.events import CaseEvent, event_from_json


class StreamType(StrEnum):
    CASE = "case"
    APPLICATION = "application"


class _Stored(BaseModel):
    model_config = ConfigDict(frozen=True)

    global_position: int
    event_id: str
    case_id: str  # the stream id: a case id, or an application id in an application stream
    case_version: int
    event_type: str
    schema_version: int
    metadata: EventMetadata
    occurred_at: datetime
    recorded_at: datetime


class StoredEvent(_Stored):
    """An event of a case stream."""

    event: CaseEvent

    @property
    def payload(self) -> dict[str, Any]:
        return self.event.model_dump(mode="json")


class StoredApplicationEvent(_Stored):
    """An event of an application stream."""

    event: ApplicationEvent

    @property
    def application_id(self) -> str:
        return self.case_id

    @property
    def payload(self) -> dict[str, Any]:
        return self.event.model_dump(mode="json")


AnyStoredEvent = StoredEvent | StoredApplicationEvent

SELECT_EVENTS = """
SELECT global_position, event_id::text AS event_id, case_id, case_version, event_type, schema_version,
       payload, metadata, occurred_at, recorded_at, stream_type
FROM events
"""


def _common(row: dict[str, Any]) -> dict[str, Any]:
    # Every stored body is schema_version 1 so far; an upcaster keyed by (event_type, schema_version)
    # belongs here once an event's shape changes incompatibly.
    return {
        "global_position": row["global_position"],
        "event_id": row["event_id"],
        "case_id": row["case_id"],
        "case_version": row["case_version"],
        "event_type": row["event_type"],
        "schema_version": row["schema_version"],
        "metadata": EventMetadata.model_validate(row["metadata"]),
        "occurred_at": row["occurred_at"],
        "recorded_at": row["recorded_at"],
    }


def stored_case_event(row: dict[str, Any]) -> StoredEvent:
    return StoredEvent(**_common(row), event=event_from_json(row["payload"]))


def stored_application_event(row: dict[str, Any]) -> StoredApplicationEvent:
    return StoredApplicationEvent(**_common(row), event=application_event_from_json(row["payload"]))


def stored_event(row: dict[str, Any]) -> AnyStoredEvent:
    """A row of `events` as the kind of stored event its stream type says."""
    if row["stream_type"] == StreamType.APPLICATION:
        return stored_application_event(row)
    return stored_case_event(row)
