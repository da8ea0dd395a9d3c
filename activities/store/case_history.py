"""A case as its facts stood at an instant: its events recorded by then, folded with the domain's `evolve`.

The events are read through the store's decrypting path (`activities.store.stored_events`), so a citizen erased
since reads as erased (`[slettet]`) here too: the past of an erased case shows no more than its present.
"""

from __future__ import annotations

from datetime import datetime

from psycopg.rows import dict_row

from activities.platform.db import Pool
from activities.store.stored_events import SELECT_EVENTS, StoredEvent, stored_events
from workflows.domain.state import CaseState, fold


async def case_as_of(pool: Pool, case_id: str, as_of: datetime) -> CaseState | None:
    """The case's state from the events recorded up to `as_of`; None when none had been recorded yet."""
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=dict_row) as cursor:
            await cursor.execute(
                SELECT_EVENTS + " WHERE case_id = %s AND stream_type = 'case' AND recorded_at <= %s"
                " ORDER BY case_version",
                (case_id, as_of),
            )
            rows = await cursor.fetchall()
        stored = await stored_events(conn, rows)
    events = [item.event for item in stored if isinstance(item, StoredEvent)]
    return fold(CaseState(case_id=case_id), events) if events else None
