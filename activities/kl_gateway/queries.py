"""What the API and the CLI read about KL reports: runs with their counts and problems, accepted reports, the
counts ops see (no case ids, no citizens), and one report's bundle as it was sent (opened with the citizen's
key: None once the citizen was erased)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from psycopg.rows import dict_row

from activities.platform.db import Pool
from activities.sealing.citizen_cipher import open_for_citizen

_RUNS = """
SELECT r.run_id, r.trigger, r.period_from, r.period_to, r.started_at, r.finished_at, r.status, r.citizens_sent,
       r.citizens_unchanged, r.citizens_refused, r.citizens_erased, r.failure,
       coalesce((SELECT jsonb_agg(jsonb_build_object('case_id', p.case_id, 'rule', p.rule,
                                                     'resource_type', p.resource_type) ORDER BY p.case_id, p.rule)
                 FROM kl_report_problems p WHERE p.run_id = r.run_id), '[]'::jsonb) AS problems
FROM kl_report_runs r WHERE r.municipality_code = %s ORDER BY r.started_at DESC, r.run_id LIMIT %s
"""

_REPORTS = """
SELECT r.report_id::text AS report_id, r.run_id, r.bundle_timestamp, r.accepted_at, r.resource_count, r.receipt,
       count(*) FILTER (WHERE rr.changed AND NOT rr.entered_in_error) AS changed,
       count(*) FILTER (WHERE rr.entered_in_error) AS entered_in_error
FROM kl_reports r JOIN kl_reported_resources rr USING (report_id)
WHERE r.municipality_code = %s GROUP BY r.report_id ORDER BY r.report_seq DESC LIMIT %s
"""

_STATUS = """
SELECT DISTINCT ON (municipality_code) municipality_code, status, started_at, finished_at, citizens_sent,
       citizens_unchanged, citizens_refused, citizens_erased, failure,
       (SELECT count(*) FROM kl_report_runs f WHERE f.municipality_code = r.municipality_code
          AND f.status = 'failed') AS failed_runs
FROM kl_report_runs r ORDER BY municipality_code, started_at DESC
"""


async def _rows(pool: Pool, query: str, params: tuple[object, ...]) -> list[dict[str, Any]]:
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(query.encode(), params)
        return await cursor.fetchall()


async def runs(pool: Pool, municipality_code: str, limit: int) -> list[dict[str, Any]]:
    return await _rows(pool, _RUNS, (municipality_code, limit))


async def reports(pool: Pool, municipality_code: str, limit: int) -> list[dict[str, Any]]:
    return await _rows(pool, _REPORTS, (municipality_code, limit))


async def status(pool: Pool) -> list[dict[str, Any]]:
    """Per municipality: its latest run and how many runs failed (ops: counts only)."""
    return await _rows(pool, _STATUS, ())


async def sent_bundle(pool: Pool, report_id: uuid.UUID) -> tuple[str, dict[str, Any] | None] | None:
    """(municipality, the bundle as sent or None when erased); None when there is no such report."""
    async with pool.connection() as conn:
        cursor = await conn.execute(
            "SELECT municipality_code, bundle_sealed FROM kl_reports WHERE report_id = %s", (report_id,)
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        opened = await open_for_citizen(conn, bytes(row[1]))
    return str(row[0]), json.loads(opened) if opened is not None else None
