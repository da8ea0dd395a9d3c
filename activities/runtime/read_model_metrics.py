"""Gauges from the read models and the outbox: open and overdue cases, start-guarantee breaches, the outbox's
queue (docs/observability.md).

Read at scrape time, from one short round of queries cached for `cache_seconds`: a burst of scrapes (several
Prometheus replicas, a dashboard refresh) costs one round, and a database that does not answer leaves the last
good values with `genoptraening_read_model_metrics_up` 0. Labels are municipality codes, statuses and channels
only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import psycopg
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from activities.platform.db import Pool
from workflows.domain.messaging.model import Channel

logger = logging.getLogger("genoptraening.metrics")

_OPEN_CASES = """
SELECT coalesce(municipality_code, 'unknown'), status, count(*), count(*) FILTER (WHERE overdue)
FROM cases WHERE status NOT IN ('completed', 'closed') GROUP BY 1, 2
"""
# The current version of each plan's fact; missed as workflows/domain/guarantee/facts.py's outcome says: a first
# offer after the due day, or none, not ended by the due day, and the due day passed (SUL §140 stk. 4: a start
# offered within 7 days after discharge).
_BREACHES = """
SELECT municipality_code, count(*) FROM start_guarantee_facts
WHERE superseded_at IS NULL AND (
    first_offer_on > due_on
    OR (first_offer_on IS NULL AND (ended_on IS NULL OR ended_on > due_on) AND due_on < current_date))
GROUP BY 1
"""
_OUTBOX = """
SELECT channel,
       CASE WHEN failed_at IS NOT NULL THEN 'failed'
            WHEN sent_at IS NOT NULL THEN 'awaiting_receipt'
            WHEN dispatched_at IS NOT NULL THEN 'sending'
            ELSE 'queued' END,
       count(*),
       coalesce(extract(epoch FROM now() - min(created_at)), 0)
FROM outbox
WHERE content IS NOT NULL
  AND (failed_at IS NOT NULL OR sent_at IS NULL OR (ack_expected AND acknowledged_at IS NULL))
GROUP BY 1, 2
"""


_CHANNELS = tuple(channel.value for channel in Channel)
_OUTBOX_STATES = ("queued", "sending", "failed", "awaiting_receipt")


@dataclass
class Snapshot:
    open_cases: list[tuple[str, str, int]] = field(default_factory=list)  # municipality, status, count
    overdue: dict[str, int] = field(default_factory=dict)  # municipality -> count
    breaches: dict[str, int] = field(default_factory=dict)
    outbox: list[tuple[str, str, int]] = field(default_factory=list)  # channel, state, count
    oldest_queued: dict[str, float] = field(default_factory=dict)  # channel -> seconds


async def read_snapshot(pool: Pool) -> Snapshot:
    snapshot = Snapshot()
    async with pool.connection() as conn:
        for municipality, status, count, overdue in await (await conn.execute(_OPEN_CASES)).fetchall():
            snapshot.open_cases.append((municipality, status, count))
            snapshot.overdue[municipality] = snapshot.overdue.get(municipality, 0) + overdue
        snapshot.breaches = {code: count for code, count in await (await conn.execute(_BREACHES)).fetchall()}
        for channel, state, count, age in await (await conn.execute(_OUTBOX)).fetchall():
            snapshot.outbox.append((channel, state, count))
            if state in ("queued", "sending"):
                snapshot.oldest_queued[channel] = max(snapshot.oldest_queued.get(channel, 0.0), float(age))
    return snapshot


class ReadModelMetrics(Collector):
    """A collector over the last snapshot; `refresh` (awaited by the scrape route) renews a stale one."""

    def __init__(self, pool: Pool, cache_seconds: float) -> None:
        self.pool = pool
        self.cache_seconds = cache_seconds
        self.snapshot = Snapshot()
        self.up = 0
        self.read_at: float | None = None
        self._lock = asyncio.Lock()

    async def refresh(self) -> None:
        async with self._lock:  # concurrent scrapes wait for one round of queries
            if self.read_at is not None and time.monotonic() - self.read_at < self.cache_seconds:
                return
            try:
                self.snapshot, self.up = await read_snapshot(self.pool), 1
            except (psycopg.Error, OSError, TimeoutError) as err:  # the pool's timeout, a lost server
                self.up = 0
                logger.warning("read-model metrics not collected (%s)", type(err).__name__)
            self.read_at = time.monotonic()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        snapshot = self.snapshot
        yield _gauge(
            "genoptraening_cases_open",
            "Cases not completed or closed",
            ["municipality", "status"],
            ((m, s, c) for m, s, c in snapshot.open_cases),
        )
        yield _gauge(
            "genoptraening_cases_overdue",
            "Open cases with a deadline passed",
            ["municipality"],
            ((m, c) for m, c in snapshot.overdue.items()),
        )
        yield _gauge(
            "genoptraening_start_guarantee_breaches",
            "Plans whose start guarantee is missed (current facts)",
            ["municipality"],
            ((m, c) for m, c in snapshot.breaches.items()),
        )
        # Every channel and state, 0 included: an alert on the queue needs the series to exist before it grows.
        counts = {(channel, state): count for channel, state, count in snapshot.outbox}
        yield _gauge(
            "genoptraening_outbox_messages",
            "Outbound messages by channel and state (queued, sending, failed, awaiting_receipt)",
            ["channel", "state"],
            ((ch, st, counts.get((ch, st), 0)) for ch in _CHANNELS for st in _OUTBOX_STATES),
        )
        yield _gauge(
            "genoptraening_outbox_oldest_queued_age_seconds",
            "Age of the oldest message not yet sent, per channel",
            ["channel"],
            ((ch, snapshot.oldest_queued.get(ch, 0.0)) for ch in _CHANNELS),
        )
        up = GaugeMetricFamily("genoptraening_read_model_metrics_up", "1 when the last collection succeeded")
        up.add_metric([], self.up)
        yield up


def _gauge(
    name: str, documentation: str, labels: list[str], rows: Iterable[tuple[str | int | float, ...]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=labels)
    for *values, value in rows:
        family.add_metric([str(v) for v in values], float(value))
    return family
