"""`python -m activities.runtime.orphan_workflows [--terminate]`: find and end workflows that have no first event.

A case or an application workflow is started together with its first command. Before the start grace
(`workflows.shell.waiting.START_GRACE`), a workflow whose first command was refused or failed kept waiting
for it forever: a running workflow with no case behind it, no row in the read model and nothing to show a
caseworker. Workflows started since end themselves; this command finds those left by older versions (and
any other running workflow without a stored first event) and, with `--terminate`, terminates them. It never
touches a workflow whose case or application has events in the store.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from temporalio.client import Client

from activities.platform.db import Pool, open_pool
from activities.runtime.settings import get_settings
from activities.runtime.temporal_connection import connect_temporal

logger = logging.getLogger("genoptraening.orphans")

# Workflow type -> the prefix of its workflow ids (workflows.shell.identity, workflows.domain.applications.identity).
_STREAM_PREFIXES = {"CaseWorkflow": "case-", "ApplicationWorkflow": "application-"}
TERMINATION_REASON = "orphan: started without its first event (activities.runtime.orphan_workflows)"
# Younger workflows may still be storing their first command.
DEFAULT_MIN_AGE = timedelta(minutes=10)


@dataclass(frozen=True)
class Orphan:
    workflow_id: str
    run_id: str | None
    workflow_type: str
    started_at: datetime | None


async def _has_events(pool: Pool, stream_id: str) -> bool:
    async with pool.connection() as conn:
        cursor = await conn.execute("SELECT EXISTS (SELECT 1 FROM events WHERE case_id = %s)", (stream_id,))
        row = await cursor.fetchone()
    return bool(row and row[0])


async def find_orphans(client: Client, pool: Pool, *, min_age: timedelta = DEFAULT_MIN_AGE) -> list[Orphan]:
    """Running case and application workflows older than `min_age` whose stream has no event in the store."""
    types = ", ".join(f"'{name}'" for name in _STREAM_PREFIXES)
    cutoff = datetime.now(UTC) - min_age
    found: list[Orphan] = []
    async for execution in client.list_workflows(f"ExecutionStatus = 'Running' AND WorkflowType IN ({types})"):
        prefix = _STREAM_PREFIXES.get(execution.workflow_type)
        if prefix is None or not execution.id.startswith(prefix):
            continue
        if execution.start_time is not None and execution.start_time > cutoff:
            continue
        if not await _has_events(pool, execution.id.removeprefix(prefix)):
            found.append(Orphan(execution.id, execution.run_id, execution.workflow_type, execution.start_time))
    return found


async def end_orphans(client: Client, orphans: list[Orphan]) -> int:
    """Terminate each orphan's run (only that run: a later run under the same id is left alone)."""
    for orphan in orphans:
        handle = client.get_workflow_handle(orphan.workflow_id, run_id=orphan.run_id)
        await handle.terminate(reason=TERMINATION_REASON)
        logger.info("terminated %s %s", orphan.workflow_type, orphan.workflow_id)
    return len(orphans)


async def _main(terminate: bool, min_age: timedelta) -> int:
    settings = get_settings()
    client = await connect_temporal(settings)
    pool = await open_pool(settings.require_database_url(), application_name="genoptraening-orphans")
    try:
        orphans = await find_orphans(client, pool, min_age=min_age)
        for orphan in orphans:
            logger.info("orphan %s %s (started %s)", orphan.workflow_type, orphan.workflow_id, orphan.started_at)
        if terminate:
            await end_orphans(client, orphans)
        logger.info("%d orphan(s)%s", len(orphans), " terminated" if terminate else "; --terminate ends them")
    finally:
        await pool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m activities.runtime.orphan_workflows", description=__doc__)
    parser.add_argument("--terminate", action="store_true", help="terminate the orphans found (default: list)")
    parser.add_argument("--min-age-minutes", type=float, default=DEFAULT_MIN_AGE.total_seconds() / 60)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    return asyncio.run(_main(args.terminate, timedelta(minutes=args.min_age_minutes)))


if __name__ == "__main__":
    sys.exit(main())
