"""The API's probes: `GET /livez` (the process answers), `GET /readyz` (PostgreSQL and Temporal reachable, and
a key of the token issuer at hand: without one every request would be refused, so the replica is not ready).

Liveness has no dependencies, so a Temporal or database outage never makes an orchestrator restart healthy API
processes; readiness takes the replica out of the load balancer instead. `GET /health` is kept, as an alias of
`/readyz`, for monitors configured before the two were split.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from activities.runtime.readiness import CHECK_TIMEOUT_SECONDS, check_reachability
from api.auth.dependencies import token_verifier
from api.deps import PoolDep, TemporalDep
from api.http.openapi import problems
from api.http.problems import ProblemError

logger = logging.getLogger("genoptraening.api")
router = APIRouter(tags=["health"])


class Alive(BaseModel):
    status: Literal["ok"] = "ok"


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    postgres: Literal["ok"] = "ok"
    temporal: Literal["ok"] = "ok"
    issuer_keys: Literal["ok"] = "ok"


async def _issuer_keys_loaded(request: Request) -> bool:
    """A key of the token issuer at hand; with AUTH_JWKS_URL and none fetched yet, one fetch (in a thread: it
    blocks) within the probe's time. Logged, as the other checks, with the error's type only."""
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
            loaded = await asyncio.to_thread(token_verifier(request).keys_loaded)
    except Exception as error:
        logger.warning("readiness: issuer keys check failed (%s)", type(error).__name__)
        return False
    if not loaded:
        logger.warning("readiness: no token issuer key loaded")
    return loaded


async def _ready(request: Request, pool: PoolDep, client: TemporalDep) -> Health:
    reached, keys = await asyncio.gather(
        check_reachability(pool, client, logger, "readiness"), _issuer_keys_loaded(request)
    )
    failed = [name for name, ok in (("PostgreSQL", reached.postgres), ("Temporal", reached.temporal)) if not ok]
    problems = [f"Not reachable: {', '.join(failed)}"] if failed else []
    if not keys:
        problems.append("No token issuer key loaded")
    if problems:
        raise ProblemError(503, "; ".join(problems), slug="unhealthy", title="Unhealthy")
    return Health()


@router.get("/livez", summary="Liveness: the API process answers (no dependency is checked)")
async def livez() -> Alive:
    return Alive()


@router.get(
    "/readyz",
    summary="Readiness: PostgreSQL and Temporal are reachable, a token issuer key is loaded",
    responses=problems(503),
)
async def readyz(request: Request, pool: PoolDep, client: TemporalDep) -> Health:
    return await _ready(request, pool, client)


@router.get("/health", summary="Readiness, as /readyz (kept for older monitors)", responses=problems(503))
async def health(request: Request, pool: PoolDep, client: TemporalDep) -> Health:
    return await _ready(request, pool, client)
