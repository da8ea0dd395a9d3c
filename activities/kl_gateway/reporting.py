"""Build and send one municipality's reports, a batch of cases at a time (the activity, the API and the CLI all
come here). Each citizen is handled in one transaction under an advisory lock on (municipality, citizen):
read what was accepted before, compute the delta, check it, send it, record it. A transport failure rolls the
citizen's transaction back and fails the batch, which Temporal retries; what was recorded is not sent again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import uuid
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from pydantic import ValidationError

from activities.kl_gateway import store
from activities.kl_gateway.bundle import delivery_report
from activities.kl_gateway.delta import Delta, canonical, delta
from activities.kl_gateway.facts import CaseFacts, case_facts
from activities.kl_gateway.resources import Identity, citizen_resources
from activities.kl_gateway.rules import Problem, check
from activities.kl_gateway.transport import KlTransport
from activities.platform.db import Pool
from activities.sealing.citizen_cipher import citizen_key_config
from activities.sealing.personal_fields import ERASED_TEXT
from activities.store.stored_events import SELECT_EVENTS, StoredEvent, stored_events
from workflows.contracts.kl_gateway import BatchRequest, BatchResult, RunPlan

logger = logging.getLogger(__name__)

_CASES = """
SELECT case_id FROM cases
WHERE (municipality_code = %(m)s OR responsible_municipality_code = %(m)s) AND received_at < %(to)s
  AND (%(from)s::timestamptz IS NULL OR updated_at >= %(from)s) AND case_id > %(after)s
ORDER BY case_id LIMIT %(limit)s
"""


@dataclass(frozen=True)
class ReportConfig:
    municipality_sor_ids: Mapping[str, str]
    provider_sor_ids: Mapping[str, str]


def keyed_hash(data: bytes) -> str:
    """HMAC-SHA256 under the citizen keys' look-up secret: a hash of a CPR-bearing text cannot be brute-forced."""
    return hmac.new(citizen_key_config().lookup_secret, data, hashlib.sha256).hexdigest()


def citizen_ref(cpr: str) -> str:
    return citizen_key_config().lookup_hash(cpr).hex()


async def _case_facts(conn: AsyncConnection[Any], case_ids: Sequence[str], run: RunPlan) -> list[CaseFacts | None]:
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(
            SELECT_EVENTS + " WHERE case_id = ANY(%s) AND stream_type = 'case' ORDER BY case_id, case_version",
            (list(case_ids),),
        )
        rows = await cursor.fetchall()
    by_case: dict[str, list[StoredEvent]] = defaultdict(list)
    for stored in await stored_events(conn, rows):
        if isinstance(stored, StoredEvent):
            by_case[stored.case_id].append(stored)

    def fold() -> list[CaseFacts | None]:
        return [case_facts(cid, [s.event for s in by_case[cid]], until=run.period_to) for cid in case_ids]

    return await asyncio.to_thread(fold)  # CPU work off the worker's event loop


def report_id_for(run_id: str, ref: str, change: Delta) -> uuid.UUID:
    """The same run, citizen and content give the same id, so a retried batch re-sends under the same name; a
    second report of the citizen in the same run (its other case in a later batch) gets its own."""
    content = sorted((built.resource_id, keyed_hash(canonical(built.body))) for built in change.resources)
    return uuid.uuid5(uuid.NAMESPACE_URL, f"kl-gateway-report:{run_id}:{ref}:{keyed_hash(canonical({'c': content}))}")


async def report_batch(pool: Pool, transport: KlTransport, config: ReportConfig, request: BatchRequest) -> BatchResult:
    run = request.run
    async with pool.connection() as conn:
        citizens, erased, next_after = await citizens_of(conn, run, request.after_case_id, request.limit)
    counts = store.RunCounts(erased=erased)
    for cpr, cases in citizens.items():
        counts = counts + await report_citizen(pool, transport, config, run, cpr, cases)
    async with pool.connection() as conn:
        await store.add_counts(conn, run.run_id, counts)
    return BatchResult(
        sent=counts.sent,
        unchanged=counts.unchanged,
        refused=counts.refused,
        erased=counts.erased,
        next_after_case_id=next_after,
    )


@dataclass(frozen=True)
class CitizenReport:
    """What would go out for one citizen now: the delta, its bundle and the rules it breaks."""

    citizen_ref: str
    cpr: str
    report_id: uuid.UUID
    change: Delta
    bundle: dict[str, Any]
    problems: list[Problem]


async def next_report(
    conn: AsyncConnection[Any], config: ReportConfig, run: RunPlan, cpr: str, cases: list[CaseFacts]
) -> CitizenReport | None:
    """The citizen's next report for the run's municipality (None: nothing changed); nothing is recorded."""
    ref = citizen_ref(cpr)
    sor = config.municipality_sor_ids.get(run.municipality_code)
    identity = Identity(ref, run.municipality_code, sor, config.provider_sor_ids)
    current = await asyncio.to_thread(citizen_resources, identity, cases)
    if not current:
        return None
    previous = await store.last_reported(conn, run.municipality_code, ref)
    change = delta(current, previous, keyed_hash, {case.case_id for case in cases})
    if change is None:
        return None
    report_id = report_id_for(run.run_id, ref, change)
    bundle, problems = await asyncio.to_thread(_checked_bundle, report_id, change, run)
    return CitizenReport(ref, cpr, report_id, change, bundle, problems)


def _checked_bundle(report_id: uuid.UUID, change: Delta, run: RunPlan) -> tuple[dict[str, Any], list[Problem]]:
    """The bundle and the rules it breaks (the FHIR models' and FHIRPath's work: milliseconds per resource)."""
    try:
        bundle = delivery_report(str(report_id), change.resources, run.period_to)
    except ValidationError:  # the FHIR models refused an element: names no content
        return {}, [Problem("fhir-model", None, None)]
    return bundle, check(bundle, change.resources)


async def report_citizen(
    pool: Pool, transport: KlTransport, config: ReportConfig, run: RunPlan, cpr: str, cases: list[CaseFacts]
) -> store.RunCounts:
    async with pool.connection() as conn, conn.transaction():
        lock = f"kl:{run.municipality_code}:{citizen_ref(cpr)}"  # one report at a time per citizen
        await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
        report = await next_report(conn, config, run, cpr, cases)
        if report is None:
            return store.RunCounts(unchanged=1)
        if report.problems:
            await _refuse(conn, run, report.problems)
            return store.RunCounts(refused=1)
        receipt = await transport.send(run.municipality_code, str(report.report_id), report.bundle)
        accepted = store.AcceptedReport(
            report.report_id, run.run_id, run.municipality_code, report.citizen_ref, cpr, report.bundle,
            run.period_to, receipt,
        )  # fmt: skip
        await store.record_report(conn, accepted, report.change, keyed_hash)
    return store.RunCounts(sent=1)


async def citizens_of(
    conn: AsyncConnection[Any], run: RunPlan, after_case_id: str, limit: int
) -> tuple[dict[str, list[CaseFacts]], int, str | None]:
    """The next `limit` cases of the run's municipality grouped by citizen, the count of erased ones, and the
    cursor for the next batch (None: this was the last)."""
    params = {"m": run.municipality_code, "to": run.period_to, "from": run.period_from}
    cursor = await conn.execute(_CASES, {**params, "after": after_case_id, "limit": limit})
    case_ids = [str(row[0]) for row in await cursor.fetchall()]
    citizens: dict[str, list[CaseFacts]] = defaultdict(list)
    erased = 0
    for fact in await _case_facts(conn, case_ids, run):
        if fact is None:
            continue
        if fact.cpr == ERASED_TEXT:
            erased += 1
        else:
            citizens[fact.cpr].append(fact)
    return citizens, erased, None if len(case_ids) < limit else case_ids[-1]


async def _refuse(conn: AsyncConnection[Any], run: RunPlan, problems: list[Problem]) -> None:
    await store.record_problems(conn, run.run_id, problems)
    logger.warning(
        "KL report for a citizen in municipality %s not sent: %s",
        run.municipality_code,
        "; ".join(sorted({str(problem) for problem in problems})),
    )
