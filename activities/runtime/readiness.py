"""Readiness checks shared by the API's probes (api/routes/health.py) and the worker's
(activities/runtime/worker_health.py): does this process reach PostgreSQL and Temporal? Each caller shapes its own
answer from the two results.

A failed check is logged on the caller's logger with only the error's type: a driver's message may carry the
connection string or the server's address.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

from temporalio.api.workflowservice.v1 import GetSystemInfoRequest
from temporalio.client import Client

from activities.platform.db import Pool

# Each dependency check gives up after this; both run at once, so a probe answers within it (plus overhead),
# well inside a Kubernetes probe's usual timeoutSeconds of 5.
CHECK_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Reachability:
    postgres: bool
    temporal: bool


async def _postgres_ok(pool: Pool, logger: logging.Logger, probe: str) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), pool.connection() as conn:
            cursor = await conn.execute("SELECT 1")
            return await cursor.fetchone() == (1,)
    except Exception as error:
        logger.warning("%s: PostgreSQL check failed (%s)", probe, type(error).__name__)
        return False


async def _temporal_ok(client: Client, logger: logging.Logger, probe: str) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await client.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timedelta(seconds=CHECK_TIMEOUT_SECONDS)
            )
        return True
    except Exception as error:
        logger.warning("%s: Temporal check failed (%s)", probe, type(error).__name__)
        return False


async def check_reachability(pool: Pool, client: Client, logger: logging.Logger, probe: str) -> Reachability:
    """Both checks at once; a failure is logged as `<probe>: PostgreSQL check failed (<error type>)`."""
    postgres, temporal = await asyncio.gather(_postgres_ok(pool, logger, probe), _temporal_ok(client, logger, probe))
    return Reachability(postgres=postgres, temporal=temporal)
