"""The record of what was reported to KL (migration 0016): runs, accepted reports and their resources.

Bundles and resource bodies are sealed with the citizen's key; citizens are named by a keyed hash only.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row

from activities.kl_gateway.delta import Delta, Reported, canonical
from activities.kl_gateway.rules import Problem
from activities.sealing.citizen_cipher import open_for_citizen, seal_for_citizen


@dataclass(frozen=True)
class RunCounts:
    sent: int = 0
    unchanged: int = 0
    refused: int = 0
    erased: int = 0

    def __add__(self, other: RunCounts) -> RunCounts:
        return RunCounts(
            self.sent + other.sent,
            self.unchanged + other.unchanged,
            self.refused + other.refused,
            self.erased + other.erased,
        )


async def start_run(
    conn: AsyncConnection[Any],
    run_id: str,
    municipality_code: str,
    trigger: str,
    period_from: datetime | None,
    period_to: datetime,
) -> None:
    """Idempotent: a retried activity finds its run already started."""
    await conn.execute(
        "INSERT INTO kl_report_runs (run_id, municipality_code, trigger, period_from, period_to)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (run_id) DO NOTHING",
        (run_id, municipality_code, trigger, period_from, period_to),
    )


async def add_counts(conn: AsyncConnection[Any], run_id: str, counts: RunCounts) -> None:
    await conn.execute(
        "UPDATE kl_report_runs SET citizens_sent = citizens_sent + %s, citizens_unchanged = citizens_unchanged + %s,"
        " citizens_refused = citizens_refused + %s, citizens_erased = citizens_erased + %s WHERE run_id = %s",
        (counts.sent, counts.unchanged, counts.refused, counts.erased, run_id),
    )


async def finish_run(conn: AsyncConnection[Any], run_id: str, failure: str | None) -> None:
    await conn.execute(
        "UPDATE kl_report_runs SET finished_at = now(), status = %s, failure = %s WHERE run_id = %s",
        ("failed" if failure else "succeeded", failure, run_id),
    )


async def record_problems(conn: AsyncConnection[Any], run_id: str, problems: Sequence[Problem]) -> None:
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO kl_report_problems (run_id, case_id, rule, resource_type) VALUES (%s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            [(run_id, problem.case_id, problem.rule, problem.resource_type) for problem in problems],
        )


_LAST_REPORTED = """
SELECT DISTINCT ON (rr.resource_id) rr.resource_id::text AS resource_id, rr.case_id, rr.content_hash,
       rr.entered_in_error, rr.body_sealed
FROM kl_reported_resources rr JOIN kl_reports r USING (report_id)
WHERE r.municipality_code = %s AND r.citizen_ref = %s
ORDER BY rr.resource_id, r.report_seq DESC
"""


async def last_reported(conn: AsyncConnection[Any], municipality_code: str, citizen_ref: str) -> dict[str, Reported]:
    """The last accepted version of every resource reported for the citizen (its body opened)."""
    async with conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(_LAST_REPORTED, (municipality_code, citizen_ref))
        rows = await cursor.fetchall()
    reported: dict[str, Reported] = {}
    for row in rows:
        body = await open_for_citizen(conn, bytes(row["body_sealed"]))
        if body is None:  # erased: nothing of the citizen can be reported again
            continue
        reported[row["resource_id"]] = Reported(
            row["content_hash"], json.loads(body), row["case_id"], row["entered_in_error"]
        )
    return reported


@dataclass(frozen=True)
class AcceptedReport:
    report_id: uuid.UUID
    run_id: str
    municipality_code: str
    citizen_ref: str
    cpr: str
    bundle: dict[str, Any]
    bundle_timestamp: datetime
    receipt: str | None


async def record_report(conn: AsyncConnection[Any], report: AcceptedReport, change: Delta, content_hash: Any) -> None:
    """Record a report the transport accepted, with each resource as sent (the caller owns the transaction)."""
    bundle_bytes = canonical(report.bundle)
    await conn.execute(
        "INSERT INTO kl_reports (report_id, run_id, municipality_code, citizen_ref, bundle_timestamp, bundle_hash,"
        " bundle_sealed, resource_count, receipt) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " ON CONFLICT (report_id) DO NOTHING",
        (
            report.report_id,
            report.run_id,
            report.municipality_code,
            report.citizen_ref,
            report.bundle_timestamp,
            content_hash(bundle_bytes),
            await seal_for_citizen(conn, report.cpr, bundle_bytes),
            len(change.resources),
            report.receipt,
        ),
    )
    rows = []
    for built in change.resources:
        body = canonical(built.body)
        rows.append(
            (
                report.report_id,
                built.resource_id,
                built.resource_type,
                built.case_id,
                content_hash(body),
                built.resource_id in change.withdrawn,
                built.resource_id in change.changed or built.resource_id in change.withdrawn,
                await seal_for_citizen(conn, report.cpr, body),
            )
        )
    async with conn.cursor() as cursor:
        await cursor.executemany(
            "INSERT INTO kl_reported_resources (report_id, resource_id, resource_type, case_id, content_hash,"
            " entered_in_error, changed, body_sealed) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            " ON CONFLICT DO NOTHING",
            rows,
        )


_LAST_CLEAN_RUN = """
SELECT max(period_to) FROM kl_report_runs
WHERE municipality_code = %s AND trigger = 'schedule' AND status = 'succeeded' AND citizens_refused = 0
"""


async def last_clean_run_end(conn: AsyncConnection[Any], municipality_code: str) -> datetime | None:
    """Where the next scheduled run starts: a run that refused a citizen does not count, so the next one looks
    at that citizen's cases again."""
    cursor = await conn.execute(_LAST_CLEAN_RUN, (municipality_code,))
    row = await cursor.fetchone()
    return row[0] if row else None
