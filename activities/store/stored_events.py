"""Events as the store keeps them: the body plus its place in its stream and in the global order.

The `events` table holds two kinds of stream, told apart by its `stream_type` column (migration 0004):
`case` streams (hospital plans, `workflows.domain`) and `application` streams (applications without a
hospital stay, `workflows.domain.applications`). The column `case_id` is the stream's id in both.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any

from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict

from activities.sealing.erased_models import validated
from activities.sealing.field_paths import ErasedField
from activities.sealing.personal_data import CitizenKeys, open_body
from activities.sealing.personal_fields import APPLICATION_EVENTS, CASE_EVENTS, BodyFields
from activities.store.retention_events import RETENTION_EVENTS, RetentionEvent, retention_event_from_json
from workflows.contracts.store import EventMetadata
from workflows.domain.applications.events import ApplicationEvent, application_event_from_json
from workflows.domain.events import CaseEvent, event_from_json


class StreamType(StrEnum):
    CASE = "case"
    APPLICATION = "application"
    RETENTION = "retention"  # holds and erasure of a case or application (activities.store.retention_events)


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


class StoredRetentionEvent(_Stored):
    """An event of a retention stream (stream id `retention:<case|application>:<id>`)."""

    event: RetentionEvent

    @property
    def payload(self) -> dict[str, Any]:
        return self.event.model_dump(mode="json")


AnyStoredEvent = StoredEvent | StoredApplicationEvent | StoredRetentionEvent

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


def stored_case_event(row: dict[str, Any], erased: Sequence[ErasedField] = ()) -> StoredEvent:
    """A case event row whose personal fields are open (`open_rows`); `erased` are those that read as erased."""
    return StoredEvent(**_common(row), event=validated(event_from_json, row["payload"], list(erased)))


def stored_application_event(row: dict[str, Any], erased: Sequence[ErasedField] = ()) -> StoredApplicationEvent:
    event = validated(application_event_from_json, row["payload"], list(erased))
    return StoredApplicationEvent(**_common(row), event=event)


def stored_event(row: dict[str, Any], erased: Sequence[ErasedField] = ()) -> AnyStoredEvent:
    """A row of `events` as the kind of stored event its stream type says."""
    if row["stream_type"] == StreamType.APPLICATION:
        return stored_application_event(row, erased)
    if row["stream_type"] == StreamType.RETENTION:
        event = validated(retention_event_from_json, row["payload"], list(erased))
        return StoredRetentionEvent(**_common(row), event=event)
    return stored_case_event(row, erased)


def body_fields(stream_type: str, event_type: str) -> BodyFields:
    """The personal fields of an event type (activities.sealing.personal_fields); KeyError for an unclassified type."""
    tables = {StreamType.APPLICATION: APPLICATION_EVENTS, StreamType.RETENTION: RETENTION_EVENTS}
    return tables.get(StreamType(stream_type), CASE_EVENTS)[event_type]


async def open_rows(conn: AsyncConnection[Any], rows: Sequence[dict[str, Any]]) -> list[list[ErasedField]]:
    """Open the sealed personal fields of `rows` (in place); per row, the fields that read as erased."""
    keys = CitizenKeys(conn)
    if len(rows) > 1:  # the keys of all their streams in one query, not one query per citizen
        await keys.of_streams(list({row["case_id"] for row in rows}))
    opened: list[list[ErasedField]] = []
    for row in rows:
        try:
            fields = body_fields(row["stream_type"], row["event_type"])
        except KeyError:
            opened.append([])  # a type nobody classified was never sealed (appends refuse it): read as stored
            continue
        opened.append(await open_body(keys, row["payload"], fields))
    return opened


async def stored_events(conn: AsyncConnection[Any], rows: Sequence[dict[str, Any]]) -> list[AnyStoredEvent]:
    """Rows of `events` (SELECT_EVENTS) as stored events, their personal fields opened."""
    return [stored_event(row, erased) for row, erased in zip(rows, await open_rows(conn, rows), strict=True)]
