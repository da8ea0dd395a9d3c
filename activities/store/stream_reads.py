"""Reading the event store: a stream by id (whole, by event type, or the events naming an id) and every stream in
global order, each event opened (its sealed personal fields) as it is read. How a reader of the global order stays
safe while appends commit out of order: activities/store/eventstore.py's module doc.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from activities.platform.db import Pool
from activities.store.stored_events import (
    SELECT_EVENTS,
    AnyStoredEvent,
    StoredApplicationEvent,
    StoredEvent,
    StreamType,
    stored_events,
)

# Only rows whose writing transaction is older than every transaction still running (eventstore.py's module doc).
FINISHED = "(transaction_id IS NULL OR transaction_id < pg_snapshot_xmin(pg_current_snapshot()))"
# The highest position at or below which every event is final (a rebuild fills up to it).
FINAL_HEAD = (
    "SELECT coalesce(max(global_position), 0) FROM events"
    " WHERE (transaction_id IS NULL OR transaction_id < pg_snapshot_xmin(pg_current_snapshot()))"
)


class StreamReads:
    """The read side of `EventStore`."""

    _pool: Pool

    async def _read(
        self,
        stream_id: str,
        kind: StreamType,
        event_types: Sequence[str] | None = None,
        naming: tuple[Sequence[str], str] | None = None,
    ) -> list[AnyStoredEvent]:
        of_types = "" if event_types is None else " AND event_type = ANY(%s)"
        arguments: tuple[Any, ...] = (stream_id, kind.value) + (() if event_types is None else (list(event_types),))
        if naming is not None:  # body fields that are never sealed (ids), so they compare as stored
            fields, value = naming
            of_types += " AND (" + " OR ".join(["payload ->> %s = %s"] * len(fields)) + ")"
            arguments += tuple(item for field in fields for item in (field, value))
        async with self._pool.connection() as conn:
            async with conn.cursor(row_factory=dict_row) as cursor:
                await cursor.execute(
                    SELECT_EVENTS + " WHERE case_id = %s AND stream_type = %s" + of_types + " ORDER BY case_version",
                    arguments,
                )
                rows = await cursor.fetchall()
            return await stored_events(conn, rows)

    async def read_stream(self, case_id: str) -> list[StoredEvent]:
        """A case's events in version order (nothing for an application's id)."""
        return [event for event in await self._read(case_id, StreamType.CASE) if isinstance(event, StoredEvent)]

    async def read_stream_events_of(self, case_id: str, event_types: Sequence[str]) -> list[StoredEvent]:
        """A case's events of these types only, in version order: only they are read and opened."""
        events = await self._read(case_id, StreamType.CASE, event_types)
        return [event for event in events if isinstance(event, StoredEvent)]

    async def read_stream_events_naming(
        self, case_id: str, event_type: str, fields: Sequence[str], value: str
    ) -> list[StoredEvent]:
        """A case's events of one type whose body holds `value` in one of `fields` (unsealed ids, such as a note's
        `note_id` or `corrects_note_id`), in version order: one short read, however long the case's history."""
        events = await self._read(case_id, StreamType.CASE, [event_type], (fields, value))
        return [event for event in events if isinstance(event, StoredEvent)]

    async def read_application_stream(self, application_id: str) -> list[StoredApplicationEvent]:
        """An application's events in version order (nothing for a case's id)."""
        events = await self._read(application_id, StreamType.APPLICATION)
        return [event for event in events if isinstance(event, StoredApplicationEvent)]

    async def read_all(self, after_position: int, limit: int) -> list[AnyStoredEvent]:
        """Up to `limit` events of every stream with a position above `after_position`, in global order."""
        async with self._pool.connection() as conn:
            return await read_all_on(conn, after_position, limit)


async def read_all_on(
    conn: AsyncConnection[Any], after_position: int, limit: int, *, appends_locked_out: bool = False
) -> list[AnyStoredEvent]:
    """`EventStore.read_all` on a connection the caller holds (e.g. inside its own transaction).

    Only events no running transaction can still precede (the module's doc), unless the caller holds
    `LOCK TABLE events IN EXCLUSIVE MODE` (`appends_locked_out`): then every committed event is final, and one
    read that other transactions' ids would hold back must not be."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(SELECT_EVENTS + global_order_after(appends_locked_out), (after_position, limit))
        rows = await cursor.fetchall()
    return await stored_events(conn, rows)


def global_order_after(appends_locked_out: bool = False) -> str:
    """The WHERE ... ORDER BY ... LIMIT of a read in global order after a position (parameters: the position,
    the limit); the one place every reader of the global order gets its safe condition from."""
    finished = "" if appends_locked_out else f" AND {FINISHED}"
    return f" WHERE global_position > %s{finished} ORDER BY global_position LIMIT %s"


_STREAMS = (
    SELECT_EVENTS
    + """
WHERE stream_type = ANY(%(kinds)s) AND (case_id, case_version) > (%(stream)s, %(version)s) {bounds}
ORDER BY case_id, case_version LIMIT %(limit)s
"""
)


async def complete_streams(
    conn: AsyncConnection[Any],
    batch_size: int,
    *,
    kinds: Sequence[StreamType] = (StreamType.CASE, StreamType.APPLICATION),
    up_to: int | None = None,
    recorded_by: datetime | None = None,
    stream_ids: list[str] | None = None,
) -> AsyncIterator[list[list[AnyStoredEvent]]]:
    """Whole streams of these kinds in (stream, version) order, some `batch_size` events at a time, each event read
    and opened once (a rebuild, or the start-guarantee facts folded from the events). `up_to`: only events at or
    below that position; `recorded_by`: only events recorded by then; `stream_ids`: only those streams."""
    bounds = (
        (" AND global_position <= %(up_to)s" if up_to is not None else "")
        + (" AND recorded_at <= %(recorded_by)s" if recorded_by is not None else "")
        + (" AND case_id = ANY(%(ids)s)" if stream_ids is not None else "")
    )
    query = _STREAMS.format(bounds=bounds).encode()
    params: dict[str, Any] = {
        "kinds": [kind.value for kind in kinds],
        "stream": "",
        "version": 0,
        "limit": batch_size,
        "up_to": up_to,
        "recorded_by": recorded_by,
        "ids": stream_ids,
    }
    streams: list[list[AnyStoredEvent]] = []
    while True:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(query, params)
            rows = await cursor.fetchall()
        if not rows:
            break
        params["stream"], params["version"] = rows[-1]["case_id"], rows[-1]["case_version"]
        for stored in await stored_events(conn, rows):
            if streams and streams[-1][0].case_id == stored.case_id:
                streams[-1].append(stored)
            else:
                streams.append([stored])
        # The last stream may go on in the next batch: held back until it is complete.
        *complete, last = streams
        if complete:
            yield complete
        streams = [last]
    if streams:
        yield streams
