"""The states this process's appends last folded, so the next append to a stream folds on from them.

Without it every append reloads its stream's read-model row: reads the sealed state, looks up and unwraps the
citizen's key, opens every personal field and validates the whole state (38 % of an append, issue 18), only to
arrive at the state the previous append of the same worker had just written. A remembered state is used only
when one cheap query (no sealed data) shows the row is still the one it wrote (same version and position,
so no other process appended, and a rebuild folded the same events) and that no citizen key of the stream has
been destroyed since (a remembered state holds the personal data in clear; after an erasure the row must be
reloaded, so the erased fields stay erased). Anything else falls back to the reload.

Bounded (least recently used), in the worker's memory only, which already holds the same states in its
cached workflows; never written anywhere.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic

from psycopg import AsyncConnection, AsyncCursor, sql

from activities.store.table_projection import S, TableProjection

DEFAULT_SIZE = 512

_STILL_CURRENT = """
SELECT {key}, version, last_global_position FROM {table} AS row
WHERE {key} = ANY(%s) AND NOT EXISTS (
    SELECT 1 FROM citizen_streams AS link JOIN citizen_keys AS citizen_key USING (key_id)
    WHERE link.stream_id = row.{key} AND citizen_key.destroyed_at IS NOT NULL
)
"""


@dataclass(frozen=True)
class _Remembered(Generic[S]):
    state: S
    position: int


class RecentStates(Generic[S]):
    """The last folded state per stream of one read model, as this process wrote it."""

    def __init__(self, projection: TableProjection[S, Any], size: int = DEFAULT_SIZE) -> None:
        self._projection = projection
        self._size = size
        self._states: OrderedDict[str, _Remembered[S]] = OrderedDict()
        self._query = sql.SQL(_STILL_CURRENT).format(
            key=sql.Identifier(projection.key), table=sql.Identifier(projection.table)
        )

    def remember(self, state: S, stream_id: str, position: int) -> None:
        self._states[stream_id] = _Remembered(state, position)
        self._states.move_to_end(stream_id)
        while len(self._states) > self._size:
            self._states.popitem(last=False)

    def remembered(self, stream_id: str) -> S | None:
        """The state remembered for the stream, whether or not it is still the row's (`states` checks that)."""
        kept = self._states.get(stream_id)
        return kept.state if kept is not None else None

    def forget(self, stream_id: str) -> None:
        self._states.pop(stream_id, None)

    async def check(self, conn: AsyncConnection[Any], stream_ids: list[str]) -> AsyncCursor[Any] | None:
        """Send the query that tells whether the remembered states are still the rows (None: nothing remembered).
        Its answer is read by `states`; sent early, it shares a round trip with the append's own checks (pipeline
        mode). Run inside the append's transaction, after the stream's lock."""
        remembered = [stream_id for stream_id in stream_ids if stream_id in self._states]
        return await conn.execute(self._query, (remembered,)) if remembered else None

    async def states(
        self, conn: AsyncConnection[Any], stream_ids: list[str], checked: AsyncCursor[Any] | None
    ) -> dict[str, S]:
        """The streams' current states: remembered where `checked` (this transaction's `check`) shows the row is
        still the one remembered, else reloaded (`TableProjection.load_states`)."""
        found: dict[str, S] = {}
        for stream_id, version, position in await checked.fetchall() if checked is not None else []:
            kept = self._states.get(stream_id)
            if kept is not None and kept.state.version == version and kept.position == position:
                found[stream_id] = kept.state
        missing = [stream_id for stream_id in stream_ids if stream_id not in found]
        if missing:
            found.update(await self._projection.load_states(conn, missing))
        return found
