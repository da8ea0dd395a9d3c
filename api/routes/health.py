"""The API's probes: `GET /livez` (the process answers), `GET /readyz` (PostgreSQL and Temporal reachable).

Liveness has no dependencies, so a Temporal or database outage never makes an orchestrator restart healthy API
processes; readiness takes the replica out of the load balancer instead. `GET /health` is kept, as an alias of
`/readyz`, for monitors configured before the two were split.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.deps import PoolDep, TemporalDep
from api.openapi import problems
from api.problems import ProblemError

logger = logging.getLogger("genoptraening.api")
router = APIRouter(tags=["health"])

# Each dependency check gives up after this; both run at once, so a probe answers within it (plus overhead),
# well inside a Kubernetes probe's usual timeoutSeconds of 5.
CHECK_TIMEOUT_SECONDS = 3.0


class Alive(BaseModel):
    status: Literal["ok"] = "ok"


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    postgres: Literal["ok"] = "ok"
    temporal: Literal["ok"] = "ok"


async def _postgres_ok(pool: PoolDep) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS), pool.connection() as conn:
            cursor = await conn.execute("SELECT 1")
            return await cursor.fetchone() == (1,)
    except Exception as error:
        logger.warning("readiness: PostgreSQL check failed (%s)", type(error).__name__)
        return False


async def _temporal_ok(client: TemporalDep) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            await client.workflow_service.get_system_info(
                GetSystemInfoRequest(), timeout=timedelta(seconds=CHECK_TIMEOUT_SECONDS)
            )
        return True
    except Exception as error:
        logger.warning("readiness: Temporal check failed (%s)", type(error).__name__)
        return False


async def _ready(pool: PoolDep, client: TemporalDep) -> Health:
    postgres, temporal = await asyncio.gather(_postgres_ok(pool), _temporal_ok(client))
    failed = [name for name, ok in (("PostgreSQL", postgres), ("Temporal", temporal)) if not ok]
    if failed:
        raise ProblemError(503, f"Not reachable: {', '.join(failed)}", slug="unhealthy", title="Unhealthy")
    return Health()


@router.get("/livez", summary="Liveness: the API process answers (no dependency is checked)")
async def livez() -> Alive:
    return Alive()


@router.get("/readyz", summary="Readiness: PostgreSQL and Temporal are reachable", responses=problems(503))
async def readyz(pool: PoolDep, client: TemporalDep) -> Health:
    return await _ready(pool, client)


@router.get("/health", summary="Readiness, as /readyz (kept for older monitors)", responses=problems(503))
async def health(pool: PoolDep, client: TemporalDep) -> Health:
    return await _ready(pool, client)
