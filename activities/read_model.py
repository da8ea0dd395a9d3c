"""The cases read model: how stored events become rows of `cases`.

The inline projection (in the append transaction) and the blue/green rebuild both go through
`project_cases`, and both fold with `workflows.domain.state.fold`, so they cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from psycopg import AsyncConnection, sql
from psycopg.types.json import Jsonb

from workflows.domain.deadlines import next_deadline
from workflows.domain.events import CaseEvent
from workflows.domain.state import CaseState, fold

CASES_TABLE = "cases"

CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "municipality_code",
    "status",
    "level",
    "sub_level",
    "discharge_date",
    "next_deadline_at",
    "next_deadline_kind",
    "overdue",
    "start_guarantee_due_on",
    "contact_due_on",
    "received_at",
    "updated_at",
    "version",
    "last_global_position",
    "state",
)


class ProjectionGap(RuntimeError):
    """A case's events skip a version relative to its row: the read model no longer matches the store."""


class ProjectableEvent(Protocol):
    """What a projection needs of a stored event (StoredEvent has it; so does a freshly inserted one)."""

    @property
    def global_position(self) -> int: ...

    @property
    def case_id(self) -> str: ...

    @property
    def case_version(self) -> int: ...

    @property
    def event(self) -> CaseEvent: ...


def is_overdue(state: CaseState) -> bool:
    # A breached guarantee stops counting as overdue once a start is offered: the citizen is then served.
    return state.contact_overdue or (state.start_guarantee_breached and state.first_appointment_on is None)


def case_row(state: CaseState, last_global_position: int) -> dict[str, Any]:
    """The `cases` row of a folded state (the one place that maps CaseState to columns)."""
    plan = state.plan
    deadline = next_deadline(state)
    return {
        "case_id": state.case_id,
        "municipality_code": plan.home_municipality_code if plan else None,
        "status": state.status.value,
        "level": plan.level.value if plan else None,
        "sub_level": state.sub_level.value if state.sub_level else None,
        "discharge_date": plan.discharge_date if plan else None,
        "next_deadline_at": deadline[1] if deadline else None,
        "next_deadline_kind": deadline[0].value if deadline else None,
        "overdue": is_overdue(state),
        "start_guarantee_due_on": state.start_guarantee_due_on,
        "contact_due_on": state.contact_due_on,
        "received_at": state.received_at,
        "updated_at": state.updated_at,
        "version": state.version,
        "last_global_position": last_global_position,
        "state": Jsonb(state.model_dump(mode="json")),
    }


def _upsert(table: str) -> sql.Composed:
    columns = [sql.Identifier(name) for name in CASE_COLUMNS]
    updates = [sql.SQL("{0} = EXCLUDED.{0}").format(column) for column in columns[1:]]
    return sql.SQL(
        "INSERT INTO {table} ({columns}) VALUES ({values}) ON CONFLICT (case_id) DO UPDATE SET {updates}"
    ).format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(columns),
        values=sql.SQL(", ").join(sql.Placeholder(name) for name in CASE_COLUMNS),
        updates=sql.SQL(", ").join(updates),
    )


async def load_states(
    conn: AsyncConnection[Any], case_ids: Sequence[str], table: str = CASES_TABLE
) -> dict[str, CaseState]:
    query = sql.SQL("SELECT case_id, state FROM {} WHERE case_id = ANY(%s)").format(sql.Identifier(table))
    cursor = await conn.execute(query, (list(case_ids),))
    return {row[0]: CaseState.model_validate(row[1]) for row in await cursor.fetchall()}


async def project_cases(
    conn: AsyncConnection[Any], events: Sequence[ProjectableEvent], table: str = CASES_TABLE
) -> list[CaseState]:
    """Fold `events` (in global order) into `table`'s rows; returns the new states of the touched cases.

    Events the row already contains are skipped, so replaying an overlapping batch is harmless.
    The caller owns the transaction.
    """
    by_case: dict[str, list[ProjectableEvent]] = {}
    for stored in events:
        by_case.setdefault(stored.case_id, []).append(stored)
    if not by_case:
        return []
    states = await load_states(conn, list(by_case), table)
    rows: list[dict[str, Any]] = []
    new_states: list[CaseState] = []
    for case_id, stream in by_case.items():
        state = states.get(case_id) or CaseState(case_id=case_id)
        fresh = [stored for stored in stream if stored.case_version > state.version]
        if not fresh:
            continue
        expected = list(range(state.version + 1, state.version + len(fresh) + 1))
        if [stored.case_version for stored in fresh] != expected:
            raise ProjectionGap(f"case {case_id}: row at version {state.version}, events do not continue it")
        state = fold(state, [stored.event for stored in fresh])
        rows.append(case_row(state, fresh[-1].global_position))
        new_states.append(state)
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(_upsert(table), rows)
    return new_states
