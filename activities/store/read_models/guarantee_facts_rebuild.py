"""The start-guarantee facts from the events alone: a case stream's fact history (what the one-pass rebuild of
`activities.store.rebuild` writes), and the facts as they stood at a time, folded straight from the store (what
the read model must always agree with).

Both fold each case with `workflows.domain.guarantee.facts.advance`, its stream in version order. The events of
one append share their `recorded_at`; a fact gets a version per append, as the inline projection gives it, so a
rebuilt table equals the one written inline.
"""

from __future__ import annotations

import logging
from datetime import datetime

from activities.platform.db import Pool
from activities.store.read_models.guarantee_facts import fold_into
from activities.store.stored_events import StoredEvent, StreamType
from activities.store.stream_reads import complete_streams
from workflows.domain.guarantee.facts import PlanFact
from workflows.domain.state import CaseState

logger = logging.getLogger(__name__)


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
        async for streams in complete_streams(conn, 2000, kinds=(StreamType.CASE,), recorded_by=as_of):
            for stream in streams:
                events = [stored for stored in stream if isinstance(stored, StoredEvent)]
                latest = {fact.plan_id: fact for fact, _, _ in _versions(events)}
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
