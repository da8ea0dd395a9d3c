"""The start-guarantee facts from the events alone: a case stream's fact history (what the one-pass rebuild of
`activities.store.rebuild` writes), and the facts as they stood at a time, folded straight from the store (what
the read model must always agree with).

Both fold each case with `workflows.domain.guarantee.facts.advance`, its stream in version order. The events of
one append share their `recorded_at`; a fact gets a version per append, as the inline projection gives it, so a
rebuilt table equals the one written inline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from activities.platform.db import Pool
from activities.store.read_models.guarantee_facts import fold_into
from activities.store.stored_events import SELECT_EVENTS, StoredEvent, stored_events
from workflows.domain.guarantee.facts import PlanFact
from workflows.domain.state import CaseState

logger = logging.getLogger(__name__)


async def _case_streams(
    conn: AsyncConnection[Any],
    *,
    up_to_position: int | None = None,
    recorded_by: datetime | None = None,
    case_ids: list[str] | None = None,
    batch_size: int = 2000,
) -> AsyncIterator[list[StoredEvent]]:
    """Each case's events (as far as the bounds reach), one case at a time, in (case, version) order."""
    conditions = [sql.SQL("stream_type = 'case' AND (case_id, case_version) > (%(case_id)s, %(version)s)")]
    if up_to_position is not None:
        conditions.append(sql.SQL("global_position <= %(position)s"))
    if recorded_by is not None:
        conditions.append(sql.SQL("recorded_at <= %(recorded_by)s"))
    if case_ids is not None:
        conditions.append(sql.SQL("case_id = ANY(%(case_ids)s)"))
    query = sql.SQL(SELECT_EVENTS + " WHERE {} ORDER BY case_id, case_version LIMIT %(limit)s").format(
        sql.SQL(" AND ").join(conditions)
    )
    params: dict[str, Any] = {
        "position": up_to_position,
        "recorded_by": recorded_by,
        "case_ids": case_ids,
        "limit": batch_size,
        "case_id": "",
        "version": 0,
    }
    stream: list[StoredEvent] = []
    while True:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(query, params)
            rows = await cursor.fetchall()
        if not rows:
            break
        for stored in await stored_events(conn, rows):
            if not isinstance(stored, StoredEvent):
                continue
            if stream and stream[0].case_id != stored.case_id:
                yield stream
                stream = []
            stream.append(stored)
        params["case_id"], params["version"] = rows[-1]["case_id"], rows[-1]["case_version"]
    if stream:
        yield stream


def _versions(stream: list[StoredEvent]) -> list[tuple[PlanFact, int, datetime]]:
    """The fact versions one case's stream makes: one per append (a run of events with one `recorded_at`)."""
    state, facts = CaseState(case_id=stream[0].case_id), dict[str, PlanFact]()
    versions: list[tuple[PlanFact, int, datetime]] = []
    start = 0
    while start < len(stream):
        end = start
        while end + 1 < len(stream) and stream[end + 1].recorded_at == stream[start].recorded_at:
            end += 1
        state, changed = fold_into(state, facts, [stored.event for stored in stream[start : end + 1]])
        versions.extend((facts[plan_id], stream[end].case_version, stream[end].recorded_at) for plan_id in changed)
        start = end + 1
    return versions


async def facts_from_events(pool: Pool, as_of: datetime | None = None) -> list[PlanFact]:
    """Every plan fact as the events recorded by `as_of` (None: all) make it, without the read model."""
    found: list[PlanFact] = []
    async with pool.connection() as conn:
        async for stream in _case_streams(conn, recorded_by=as_of):
            latest = {fact.plan_id: fact for fact, _, _ in _versions(stream)}
            found.extend(latest.values())
    return found


def case_history(stream: list[StoredEvent]) -> list[tuple[PlanFact, int, datetime, datetime | None]]:
    """The case's fact versions, each superseded when the next version of its plan was recorded."""
    versions = _versions(stream)
    history = []
    for index, (fact, version, recorded_at) in enumerate(versions):
        later = (at for other, _, at in versions[index + 1 :] if other.plan_id == fact.plan_id)
        history.append((fact, version, recorded_at, next(later, None)))
    return history
