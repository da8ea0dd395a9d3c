"""`GET /health`: can the API reach PostgreSQL and Temporal?"""

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

CHECK_TIMEOUT_SECONDS = 3.0


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
        logger.warning("health: PostgreSQL check failed (%s)", type(error).__name__)
        return False


async def _temporal_ok(client: TemporalDep) -> bool:
    try:
        await client.workflow_service.get_system_info(
            GetSystemInfoRequest(), timeout=timedelta(seconds=CHECK_TIMEOUT_SECONDS)
        )
        return True
    except Exception as error:
        logger.warning("health: Temporal check failed (%s)", type(error).__name__)
        return False


@router.get("/health", summary="Liveness of the API and its dependencies", responses=problems(503))
async def health(pool: PoolDep, client: TemporalDep) -> Health:
    postgres, temporal = await asyncio.gather(_postgres_ok(pool), _temporal_ok(client))
    failed = [name for name, ok in (("PostgreSQL", postgres), ("Temporal", temporal)) if not ok]
    if failed:
        raise ProblemError(503, f"Not reachable: {', '.join(failed)}", slug="unhealthy", title="Unhealthy")
    return Health()
