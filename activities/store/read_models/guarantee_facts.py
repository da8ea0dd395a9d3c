"""The start-guarantee read model (`start_guarantee_facts`, migration 0015): plan facts, versioned by record time.

Each append folds its events into the touched cases' plan facts with `workflows.domain.guarantee.facts.advance`
(the domain's `evolve`) in the append transaction. A fact that changed gets a new version from the append's
record time; the version it replaces is marked superseded at that time. So the facts as they stood at any
instant are the versions recorded by then and not superseded by then (`read_facts`). The table is rebuilt
from the events by `activities.store.read_models.guarantee_facts_rebuild` (run with the other read models).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from typing import Any, NamedTuple

from psycopg import AsyncConnection, AsyncCursor, sql
from psycopg.rows import args_row

from activities.store.table_projection import ProjectableEvent
from workflows.domain.events import CaseEvent
from workflows.domain.guarantee.facts import PlanEnd, PlanFact, advance
from workflows.domain.model import GuaranteeStatusReason, Level
from workflows.domain.state import CaseState

FACTS_TABLE = "start_guarantee_facts"

_FACT_COLUMNS = (
    "case_id, plan_id, municipality_code, level, counts_from, due_on, first_offer_on, ended_on, plan_end, kl_reason"
)


# Look-ups rather than enum calls: a national report reads 200,000 rows.
_LEVELS = {level.value: level for level in Level}
_ENDS = {end.value: end for end in PlanEnd}
_REASONS = {reason.value: reason for reason in GuaranteeStatusReason}


def fact_from_row(row: Sequence[Any]) -> PlanFact:
    """A fact from the columns of `_FACT_COLUMNS`, in that order."""
    case_id, plan_id, municipality, level, counts_from, due_on, offered, ended_on, plan_end, reason = row
    return PlanFact(
        case_id=case_id,
        plan_id=plan_id,
        municipality_code=municipality,
        level=_LEVELS[level],
        counts_from=counts_from,
        due_on=due_on,
        first_offer_on=offered,
        ended_on=ended_on,
        end=_ENDS[plan_end] if plan_end else None,
        kl_reason=_REASONS[reason] if reason else None,
    )


def _values(fact: PlanFact, version: int) -> tuple[Any, ...]:
    return (
        f"{fact.case_id}/{fact.plan_id}/{version}",
        fact.case_id,
        fact.plan_id,
        version,
        fact.municipality_code,
        fact.level.value,
        fact.counts_from,
        fact.due_on,
        fact.first_offer_on,
        fact.ended_on,
        fact.end.value if fact.end else None,
        fact.kl_reason.value if fact.kl_reason else None,
    )


async def current_facts(
    conn: AsyncConnection[Any], case_ids: Sequence[str], table: str = FACTS_TABLE
) -> dict[str, dict[str, PlanFact]]:
    """The current version of every plan fact of the cases, by case and plan id."""
    return await facts_of(await send_current_facts(conn, case_ids, table))


async def send_current_facts(
    conn: AsyncConnection[Any], case_ids: Sequence[str], table: str = FACTS_TABLE
) -> AsyncCursor[Any]:
    """`current_facts`' query, sent without waiting for its answer (in pipeline mode it shares a round trip with
    what follows); `facts_of` reads the answer."""
    return await conn.execute(_current_facts_query(table), (list(case_ids),))


@cache
def _current_facts_query(table: str) -> bytes:
    query = sql.SQL("SELECT {columns} FROM {table} WHERE case_id = ANY(%s) AND superseded_at IS NULL")
    return query.format(columns=sql.SQL(_FACT_COLUMNS), table=sql.Identifier(table)).as_bytes(None)


async def facts_of(cursor: AsyncCursor[Any]) -> dict[str, dict[str, PlanFact]]:
    found: dict[str, dict[str, PlanFact]] = {}
    for row in await cursor.fetchall():
        fact = fact_from_row(row)
        found.setdefault(fact.case_id, {})[fact.plan_id] = fact
    return found


async def write_versions(
    conn: AsyncConnection[Any],
    changed: Sequence[tuple[PlanFact, int]],
    recorded_at: datetime | None,
    table: str = FACTS_TABLE,
) -> None:
    """Supersede the current versions of the changed facts and insert theirs, as of `recorded_at` (None: the
    transaction's time, which is the appended events' `recorded_at`)."""
    if not changed:
        return
    target = sql.Identifier(table)
    supersede = sql.SQL(
        "UPDATE {table} SET superseded_at = coalesce(%s, now())"
        " WHERE case_id = %s AND plan_id = %s AND superseded_at IS NULL"
    ).format(table=target)
    insert = sql.SQL(
        "INSERT INTO {table} (fact_id, case_id, plan_id, case_version, municipality_code, level, counts_from,"
        " due_on, first_offer_on, ended_on, plan_end, kl_reason, recorded_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, coalesce(%s, now()))"
    ).format(table=target)
    async with conn.cursor() as cursor:
        await cursor.executemany(supersede, [(recorded_at, fact.case_id, fact.plan_id) for fact, _ in changed])
        await cursor.executemany(insert, [(*_values(fact, version), recorded_at) for fact, version in changed])


async def insert_history(
    conn: AsyncConnection[Any], versions: Sequence[tuple[PlanFact, int, datetime, datetime | None]], table: str
) -> None:
    """Insert fact versions whose record and supersession times are known (a rebuild)."""
    if not versions:
        return
    insert = sql.SQL(
        "INSERT INTO {table} (fact_id, case_id, plan_id, case_version, municipality_code, level, counts_from,"
        " due_on, first_offer_on, ended_on, plan_end, kl_reason, recorded_at, superseded_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
    ).format(table=sql.Identifier(table))
    async with conn.cursor() as cursor:
        await cursor.executemany(insert, [(*_values(f, v), at, until) for f, v, at, until in versions])


def fold_into(state: CaseState, facts: dict[str, PlanFact], events: Sequence[CaseEvent]) -> tuple[CaseState, list[str]]:
    """Advance state and facts over `events`; the plan ids whose fact changed."""
    before = dict(facts)
    for event in events:
        state = advance(state, facts, event)
    return state, [plan_id for plan_id, fact in facts.items() if before.get(plan_id) != fact]


async def project_guarantee_facts(
    conn: AsyncConnection[Any],
    events: Sequence[ProjectableEvent[CaseEvent]],
    prior: dict[str, CaseState],
    existing: dict[str, dict[str, PlanFact]] | None = None,
) -> None:
    """Fold an append's case events into the facts; `prior` are the cases' states before it (the `cases` rows),
    `existing` the cases' current facts if the caller read them (`current_facts`). The caller owns the
    transaction (the append's)."""
    by_case: dict[str, list[ProjectableEvent[CaseEvent]]] = {}
    for stored in events:
        by_case.setdefault(stored.case_id, []).append(stored)
    if not by_case:
        return
    if existing is None:
        existing = await current_facts(conn, list(by_case))
    changed: list[tuple[PlanFact, int]] = []
    for case_id, stream in by_case.items():
        state = prior.get(case_id) or CaseState(case_id=case_id)
        fresh = [stored for stored in stream if stored.case_version > state.version]
        if not fresh:
            continue
        facts = dict(existing.get(case_id, {}))
        _, plan_ids = fold_into(state, facts, [stored.event for stored in fresh])
        changed.extend((facts[plan_id], fresh[-1].case_version) for plan_id in plan_ids)
    await write_versions(conn, changed, None)


class CountedFact(NamedTuple):
    """A fact as the report reads it: what `workflows.domain.guarantee.tally.tally` needs, no more (a national
    report reads 200,000 of them; a tuple is made far faster than a `PlanFact`)."""

    case_id: str
    municipality_code: str
    counts_from: date
    due_on: date
    first_offer_on: date | None
    ended_on: date | None
    kl_reason: str | None


def _period_query(
    columns: str, *, municipality: str | None, level: Level | None, as_of: datetime | None
) -> sql.Composed:
    conditions = [sql.SQL("counts_from BETWEEN %(first)s AND %(last)s")]
    if municipality is not None:
        conditions.append(sql.SQL("municipality_code = %(municipality)s"))
    if level is not None:
        conditions.append(sql.SQL("level = %(level)s"))
    if as_of is None:
        conditions.append(sql.SQL("superseded_at IS NULL"))
    else:
        conditions.append(sql.SQL("recorded_at <= %(as_of)s AND (superseded_at IS NULL OR superseded_at > %(as_of)s)"))
    return sql.SQL("SELECT {columns} FROM {table} WHERE {conditions}").format(
        columns=sql.SQL(columns), table=sql.Identifier(FACTS_TABLE), conditions=sql.SQL(" AND ").join(conditions)
    )


def _params(first: date, last: date, municipality: str | None, level: Level | None, as_of: datetime | None) -> Any:
    return {
        "first": first,
        "last": last,
        "municipality": municipality,
        "level": level.value if level else None,
        "as_of": as_of,
    }


async def read_facts(
    conn: AsyncConnection[Any],
    *,
    first: date,
    last: date,
    municipality: str | None,
    level: Level | None,
    as_of: datetime | None,
) -> list[PlanFact]:
    """The facts whose clock starts from `first` to `last`, as they stood at `as_of` (None: now)."""
    query = _period_query(_FACT_COLUMNS, municipality=municipality, level=level, as_of=as_of)
    cursor = await conn.execute(query, _params(first, last, municipality, level, as_of))
    return [fact_from_row(row) for row in await cursor.fetchall()]


async def read_counted(
    conn: AsyncConnection[Any],
    *,
    first: date,
    last: date,
    municipality: str | None,
    level: Level | None,
    as_of: datetime | None,
) -> list[CountedFact]:
    """`read_facts`, as the lean tuples the report counts."""
    columns = "case_id, municipality_code, counts_from, due_on, first_offer_on, ended_on, kl_reason"
    query = _period_query(columns, municipality=municipality, level=level, as_of=as_of)
    async with conn.cursor(row_factory=args_row(CountedFact)) as cursor:
        await cursor.execute(query, _params(first, last, municipality, level, as_of))
        return await cursor.fetchall()
