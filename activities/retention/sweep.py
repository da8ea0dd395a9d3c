"""Retention: when a citizen's key may be destroyed, the daily sweep that destroys it, and erasure requests.

A case or an application is *live* while it runs, while it is on hold, and until its retention period has
passed since it ended (the rule in force on the day it ended: RETENTION_RULES, by default 5 years,
journalføringsbekendtgørelsen §15 stk. 2). A citizen's key is destroyed only when none of the citizen's cases
and applications is live; each of them then records `PersonalDataErased` in its retention stream.

Races: the destruction runs in one transaction that locks `retention_status` against new holds and the key's
row against new cases (a new plan takes the key `FOR SHARE` in its append, activities.sealing.citizen_keys.key_for),
and checks liveness again inside it.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection

from activities.platform.db import Pool
from activities.sealing.citizen_keys import destroy_key, hold_for_destruction
from activities.sealing.settings import CitizenKeySettings, RetentionRule
from activities.store.eventstore import ConcurrencyConflict, EventStore
from activities.store.read_models.retention_status import retention_status
from activities.store.retention_events import ErasureBasis, PersonalDataErased
from workflows.contracts.store import EventMetadata

logger = logging.getLogger(__name__)

TERMINAL = {"case": ("completed", "closed"), "application": ("closed",)}
SYSTEM_ACTOR = "system:retention"


@dataclass(frozen=True)
class StreamFacts:
    """What liveness needs of one case or application of a citizen."""

    subject_type: str
    subject_id: str
    status: str | None  # None: no read-model row (kept, to be safe)
    ended_at: datetime | None
    holds: int
    erased: bool
    municipality_code: str | None = None  # responsible now (a case transferred away counts where it went)


def retained_until(rules: CitizenKeySettings, ended_at: datetime) -> tuple[date, RetentionRule]:
    """The first day the record may be destroyed, and the rule that says so (the one in force when it ended)."""
    ended = ended_at.astimezone(UTC).date()
    rule = rules.retention_rule_on(ended)
    try:
        return ended.replace(year=ended.year + rule.years), rule
    except ValueError:  # 29 February
        return (ended + timedelta(days=1)).replace(year=ended.year + rule.years), rule


def is_live(facts: StreamFacts, rules: CitizenKeySettings, today: date) -> bool:
    if facts.erased:
        return False
    if facts.status is None or facts.ended_at is None or facts.status not in TERMINAL[facts.subject_type]:
        return True
    return facts.holds > 0 or today < retained_until(rules, facts.ended_at)[0]


_STREAMS_OF_KEY = """
SELECT s.stream_type, s.stream_id, coalesce(c.status, a.status), coalesce(c.updated_at, a.updated_at),
       coalesce(cardinality(r.holds), 0), r.erased_at IS NOT NULL,
       coalesce(c.responsible_municipality_code, c.municipality_code, a.municipality_code)
FROM citizen_streams s
LEFT JOIN cases c ON s.stream_type = 'case' AND c.case_id = s.stream_id
LEFT JOIN applications a ON s.stream_type = 'application' AND a.application_id = s.stream_id
LEFT JOIN retention_status r ON r.subject_id = s.stream_id
WHERE s.key_id = %s
ORDER BY s.stream_id
"""


async def streams_of_key(conn: AsyncConnection[Any], key_id: uuid.UUID) -> list[StreamFacts]:
    cursor = await conn.execute(_STREAMS_OF_KEY, (key_id,))
    return [StreamFacts(*row) for row in await cursor.fetchall()]


async def keys_of_stream(conn: AsyncConnection[Any], stream_id: str) -> list[uuid.UUID]:
    cursor = await conn.execute("SELECT key_id FROM citizen_streams WHERE stream_id = %s ORDER BY key_id", (stream_id,))
    return [row[0] for row in await cursor.fetchall()]


@dataclass(frozen=True)
class KeyVerdict:
    destroyed: bool  # destroyed now, or already
    retaining: list[StreamFacts]  # the live streams that keep the key (empty when destroyed)
    streams: list[StreamFacts]


async def destroy_if_unneeded(
    conn: AsyncConnection[Any], key_id: uuid.UUID, rules: CitizenKeySettings, today: date, basis: ErasureBasis
) -> KeyVerdict:
    """Destroy the key unless one of its streams is live, checked under locks (see the module's docstring)."""
    async with conn.transaction():
        await conn.execute("SELECT set_config('lock_timeout', '5s', true)")
        # The key first (a new case takes it FOR SHARE while it appends), then the holds (a hold's append writes
        # retention_status without waiting for the key): in this order neither can wait for the other in a cycle.
        destroyed = await hold_for_destruction(conn, key_id)
        await conn.execute("LOCK TABLE retention_status IN SHARE ROW EXCLUSIVE MODE")  # no hold lands meanwhile
        streams = await streams_of_key(conn, key_id)
        if destroyed is None:
            return KeyVerdict(False, streams, streams)
        if destroyed:
            return KeyVerdict(True, [], streams)
        retaining = [facts for facts in streams if is_live(facts, rules, today)]
        if retaining:
            return KeyVerdict(False, retaining, streams)
        await destroy_key(conn, key_id, basis.value)
    logger.info("citizen key destroyed (%s) for %d case(s)/application(s)", basis.value, len(streams))
    return KeyVerdict(True, [], streams)


async def record_erasure(
    pool: Pool, facts: StreamFacts, rules: CitizenKeySettings, basis: ErasureBasis, now: datetime, run: str
) -> bool:
    """Append `PersonalDataErased` to the subject's retention stream unless it is there; True if appended."""
    store = EventStore(pool)
    async with pool.connection() as conn:
        status = await retention_status(conn, facts.subject_type, facts.subject_id)
    if status.erased_at is not None:
        return False
    ended_at = facts.ended_at or now
    _, rule = retained_until(rules, ended_at)
    event = PersonalDataErased(
        occurred_at=now,
        basis=basis,
        rule=rule.source,
        retention_years=rule.years,
        ended_on=ended_at.astimezone(UTC).date(),
    )
    metadata = EventMetadata(
        actor=SYSTEM_ACTOR,
        command_id=f"erase:{facts.subject_id}",
        command_type="EraseCitizenData",
        workflow_id=run,
        run_id=run,
    )
    try:
        await store.append_retention(facts.subject_type, facts.subject_id, status.version, [event], metadata)
    except ConcurrencyConflict:
        return False  # a hold or an erasure landed meanwhile: the next sweep looks again
    return True


# A stream stored before sealing existed holds its citizen's CPR in clear in its first plan or application:
# destroying the key does not erase that, so no `PersonalDataErased` is recorded for it (docs/security.md).
_HOLDS_PLAINTEXT = """
SELECT EXISTS (
    SELECT 1 FROM events
    WHERE case_id = %s AND event_type IN ('PlanReceived', 'PlanReplaced', 'ApplicationReceived')
      AND (jsonb_typeof(payload #> '{plan,patient,cpr}') = 'string'
           OR jsonb_typeof(payload #> '{application,citizen,cpr}') = 'string')
)
"""


async def holds_plaintext(pool: Pool, stream_id: str) -> bool:
    async with pool.connection() as conn:
        cursor = await conn.execute(_HOLDS_PLAINTEXT.encode(), (stream_id,))
        row = await cursor.fetchone()
    return bool(row and row[0])


async def record_erasures(
    pool: Pool, streams: list[StreamFacts], rules: CitizenKeySettings, basis: ErasureBasis, now: datetime, run: str
) -> tuple[int, int]:
    """Record the erasure of each stream whose data the destroyed key covered; (recorded, left in clear)."""
    recorded = in_clear = 0
    for facts in streams:
        if facts.erased:
            continue
        if await holds_plaintext(pool, facts.subject_id):
            in_clear += 1
            continue
        recorded += await record_erasure(pool, facts, rules, basis, now, run)
    return recorded, in_clear


@dataclass(frozen=True)
class Candidate:
    subject_type: str
    subject_id: str
    ended_at: datetime


_CANDIDATES = """
SELECT ended.subject_type, subject_id, ended_at FROM (
    SELECT 'case' AS subject_type, case_id AS subject_id, updated_at AS ended_at FROM cases
    WHERE status IN ('completed', 'closed') AND updated_at < %(cutoff)s
    UNION ALL
    SELECT 'application', application_id, updated_at FROM applications
    WHERE status = 'closed' AND updated_at < %(cutoff)s
) ended
LEFT JOIN retention_status r USING (subject_id)
WHERE (r.subject_id IS NULL OR (cardinality(r.holds) = 0 AND r.erased_at IS NULL))
  AND (ended_at, subject_id) > (%(after_at)s, %(after_id)s)
ORDER BY ended_at, subject_id
LIMIT %(limit)s
"""

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


async def candidates(
    pool: Pool, rules: CitizenKeySettings, now: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[Candidate]:
    """Ended, unheld, not yet erased cases and applications that may have outlived the shortest rule."""
    cutoff = now - timedelta(days=365 * min(rule.years for rule in rules.retention_rules) - 2)
    after_at, after_id = after or (EPOCH, "")
    params = {"cutoff": cutoff, "after_at": after_at, "after_id": after_id, "limit": limit}
    async with pool.connection() as conn:
        cursor = await conn.execute(_CANDIDATES, params)
        return [Candidate(*row) for row in await cursor.fetchall()]


@dataclass(frozen=True)
class SweepBatch:
    examined: int
    erased: int  # cases and applications whose erasure was recorded in this batch
    kept: int  # expired, but another live case or application of the citizen still needs the key
    unsealed: int  # stored before personal fields were sealed: nothing to destroy (docs/security.md)
    next_after: tuple[datetime, str] | None  # None: the sweep is done


async def sweep_batch(
    pool: Pool, rules: CitizenKeySettings, now: datetime, after: tuple[datetime, str] | None, limit: int, run: str
) -> SweepBatch:
    """One batch of the retention sweep, oldest ended first. Idempotent: a subject whose erasure is recorded is
    never a candidate again, and a key already destroyed only has its erasures recorded."""
    found = await candidates(pool, rules, now, after, limit)
    today, erased, kept, unsealed = now.astimezone(UTC).date(), 0, 0, 0
    for candidate in found:
        if today < retained_until(rules, candidate.ended_at)[0]:
            continue  # a later rule keeps it longer
        async with pool.connection() as conn:
            keys = await keys_of_stream(conn, candidate.subject_id)
            verdicts = [await destroy_if_unneeded(conn, key, rules, today, ErasureBasis.RETENTION) for key in keys]
        if not keys:
            unsealed += 1
            continue
        if not all(verdict.destroyed for verdict in verdicts):
            kept += 1
            continue
        streams = {facts.subject_id: facts for verdict in verdicts for facts in verdict.streams}
        recorded, in_clear = await record_erasures(
            pool, list(streams.values()), rules, ErasureBasis.RETENTION, now, run
        )
        erased, unsealed = erased + recorded, unsealed + in_clear
    if unsealed:
        logger.warning("%d ended case(s)/application(s) were stored before sealing: nothing to destroy", unsealed)
    last = found[-1] if len(found) == limit else None
    return SweepBatch(len(found), erased, kept, unsealed, (last.ended_at, last.subject_id) if last else None)
