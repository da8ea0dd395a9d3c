"""The API's probes: `GET /livez` (the process answers), `GET /readyz` (PostgreSQL and Temporal reachable).

Liveness has no dependencies, so a Temporal or database outage never makes an orchestrator restart healthy API
processes; readiness takes the replica out of the load balancer instead. `GET /health` is kept, as an alias of
`/readyz`, for monitors configured before the two were split.
"""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel

from activities.readiness import check_reachability
from api.deps import PoolDep, TemporalDep
from api.openapi import problems
from api.problems import ProblemError

logger = logging.getLogger("genoptraening.api")
router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: Literal["ok"] = "ok"


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    postgres: Literal["ok"] = "ok"
    temporal: Literal["ok"] = "ok"


async def _ready(pool: PoolDep, client: TemporalDep) -> Health:
    reached = await check_reachability(pool, client, logger, "readiness")
    failed = [name for name, ok in (("PostgreSQL", reached.postgres), ("Temporal", reached.temporal)) if not ok]
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
