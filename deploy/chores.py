"""The operator's long chores as the CLI runs them (`genoptraening rebuild-read-models`, `retention-sweep`):
each reports progress while it runs and returns a one-line summary. Counts only, never an id or personal data.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import UTC, datetime

from activities.platform.db import open_pool
from activities.retention.sweep import sweep_batch
from activities.runtime.settings import get_settings
from activities.sealing.citizen_cipher import configure_citizen_keys

logger = logging.getLogger("genoptraening.cli")


async def rebuild_read_models(conninfo: str) -> str:
    """Rebuild `cases`, `applications` and the start-guarantee facts (activities.store.rebuild logs events folded)."""
    # Imported here, as the other chores import what only they need.
    from activities.store.rebuild import rebuild_read_models

    started = time.monotonic()
    pool = await open_pool(conninfo, max_size=2, application_name="genoptraening-rebuild")
    try:
        rebuilt = await rebuild_read_models(pool)  # one pass over the events for all three
        cases, applications, facts = rebuilt.cases, rebuilt.applications, rebuilt.facts
    finally:
        await pool.close()
    return (
        f"read models rebuilt up to event position {max(cases.position, applications.position, facts.position)}: "
        f"{cases.cases} case(s), {applications.cases} application(s), {facts.cases} start-guarantee fact(s) "
        f"in {time.monotonic() - started:.1f} s"
    )


async def sweep_retention_now(batch_size: int | None = None) -> str:
    """One retention sweep in this process, batch by batch as the scheduled workflow does (idempotent, so it may
    overlap the schedule's run); the erasures are recorded with run id `retention-cli-<uuid>`."""
    settings = get_settings()
    configure_citizen_keys(settings.require_citizen_keys())
    size = batch_size or settings.retention_sweep_batch_size
    run, now, started = f"retention-cli-{uuid.uuid4()}", datetime.now(UTC), time.monotonic()
    examined = erased = kept = unsealed = 0
    after: tuple[datetime, str] | None = None
    pool = await open_pool(settings.require_database_url(), max_size=2, application_name="genoptraening-retention")
    try:
        while True:
            batch = await sweep_batch(pool, settings, now, after, size, run)
            examined, erased = examined + batch.examined, erased + batch.erased
            kept, unsealed = kept + batch.kept, unsealed + batch.unsealed
            logger.info("retention sweep: %d ended case(s)/application(s) examined, %d erased", examined, erased)
            if batch.next_after is None:
                break
            after = batch.next_after
    finally:
        await pool.close()
    return (
        f"retention sweep {run}: {examined} examined, {erased} erased, {kept} kept (citizen still has a live case), "
        f"{unsealed} stored before sealing, in {time.monotonic() - started:.1f} s"
    )
