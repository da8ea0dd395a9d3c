"""How a stream's events become one row of a read-model table: the fold shared by every read model.

A `TableProjection` names its table, its key column, how a row is made from a folded state, and the fold
itself (the domain's `fold`). The inline projection (in the append transaction) and the blue/green
rebuild both go through `project`, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, Protocol, TypeVar

from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from activities.sealing.erased_models import validated
from activities.sealing.personal_data import CitizenKeys, open_body, seal_body
from activities.sealing.personal_fields import BodyFields

E = TypeVar("E")
E_co = TypeVar("E_co", covariant=True)


class ProjectionGap(RuntimeError):
    """A stream's events skip a version relative to its row: the read model no longer matches the store."""


class ProjectableEvent(Protocol[E_co]):
    """What a projection needs of a stored event (StoredEvent has it; so does a freshly inserted one)."""

    @property
    def global_position(self) -> int: ...

    @property
    def case_id(self) -> str: ...  # the stream id

    @property
    def case_version(self) -> int: ...

    @property
    def event(self) -> E_co: ...


@dataclass(frozen=True)
class Projected(Generic[E]):
    """An event just inserted, with the position PostgreSQL gave it."""

    global_position: int
    case_id: str
    case_version: int
    event: E


def inserted(
    stream_id: str, expected_version: int, positions: Sequence[int], events: Sequence[E]
) -> list[Projected[E]]:
    return [
        Projected(global_position=position, case_id=stream_id, case_version=expected_version + offset + 1, event=event)
        for offset, (position, event) in enumerate(zip(positions, events, strict=True))
    ]


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


S = TypeVar("S", bound=Versioned)


@dataclass(frozen=True)
class TableProjection(Generic[S, E]):
    table: str
    key: str
    columns: tuple[str, ...]  # the key first; one of them is `state`, the whole folded state as JSON
    load: Callable[[Any], S]
    initial: Callable[[str], S]
    fold: Callable[[S, list[E]], S]
    row: Callable[[S, int], dict[str, Any]]  # (state, last global position) -> column values
    # The state's personal fields, sealed in the `state` column with the citizen's key
    # (activities.sealing.personal_data).
    personal: BodyFields | None = None
    stream_type: str = "case"

    def _upsert(self, table: str) -> bytes:
        return _upsert_sql(table, self.key, self.columns)

    async def load_states(
        self, conn: AsyncConnection[Any], ids: Sequence[str], table: str | None = None
    ) -> dict[str, S]:
        query = sql.SQL("SELECT {key}, state FROM {table} WHERE {key} = ANY(%s)").format(
            key=sql.Identifier(self.key), table=sql.Identifier(table or self.table)
        )
        cursor = await conn.execute(query, (list(ids),))
        rows = await cursor.fetchall()
        if self.personal is None:
            return {row[0]: self.load(row[1]) for row in rows}
        keys = CitizenKeys(conn)
        states: dict[str, S] = {}
        for stream_id, body in rows:
            erased = await open_body(keys, body, self.personal)
            states[stream_id] = validated(self.load, body, erased)
        return states

    async def _sealed_row(self, keys: CitizenKeys, state: S, position: int) -> dict[str, Any]:
        row = self.row(state, position)
        if self.personal is not None:
            body = row["state"].obj if isinstance(row["state"], Jsonb) else row["state"]
            row["state"] = Jsonb(await seal_body(keys, body, self.personal, row[self.key], self.stream_type))
        return row

    async def project(
        self,
        conn: AsyncConnection[Any],
        events: Sequence[ProjectableEvent[E]],
        table: str | None = None,
        loaded: dict[str, S] | None = None,
        keys: CitizenKeys | None = None,
    ) -> list[S]:
        """Fold `events` (in global order) into the table's rows; returns the new states of the touched streams.

        Events a row already contains are skipped, so replaying an overlapping batch is harmless. The
        caller owns the transaction. `loaded`: the touched streams' rows, if the caller already read them
        (`load_states`, in this transaction). `keys`: the operation's citizen keys, if the caller has them.
        """
        target = table or self.table
        by_stream: dict[str, list[ProjectableEvent[E]]] = {}
        for stored in events:
            by_stream.setdefault(stored.case_id, []).append(stored)
        if not by_stream:
            return []
        states = loaded if loaded is not None else await self.load_states(conn, list(by_stream), target)
        keys = keys or CitizenKeys(conn)
        rows: list[dict[str, Any]] = []
        new_states: list[S] = []
        for stream_id, stream in by_stream.items():
            state = states.get(stream_id) or self.initial(stream_id)
            fresh = [stored for stored in stream if stored.case_version > state.version]
            if not fresh:
                continue
            expected = list(range(state.version + 1, state.version + len(fresh) + 1))
            if [stored.case_version for stored in fresh] != expected:
                raise ProjectionGap(f"{target} {stream_id}: row at version {state.version}, events do not continue it")
            state = self.fold(state, [stored.event for stored in fresh])
            rows.append(await self._sealed_row(keys, state, fresh[-1].global_position))
            new_states.append(state)
        if rows:
            async with conn.cursor() as cursor:
                await cursor.executemany(self._upsert(target), rows)
        return new_states


@cache
def _upsert_sql(table: str, key: str, columns: tuple[str, ...]) -> bytes:
    """The upsert of a read model's row, composed once per table (composing it per append cost ~1 ms)."""
    updates = [sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(name)) for name in columns if name != key]
    return (
        sql.SQL("INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT ({key}) DO UPDATE SET {updates}")
        .format(
            table=sql.Identifier(table),
            columns=sql.SQL(", ").join(sql.Identifier(name) for name in columns),
            values=sql.SQL(", ").join(sql.Placeholder(name) for name in columns),
            key=sql.Identifier(key),
            updates=sql.SQL(", ").join(updates),
        )
        .as_bytes(None)
    )
