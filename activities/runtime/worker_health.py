"""The worker's probes on a small HTTP port: `GET /livez` (its pollers run) and `GET /readyz` (they run and the
worker reaches PostgreSQL and Temporal), for Kubernetes and compose health checks.

A worker has no HTTP traffic of its own, so this is a separate server (uvicorn, as the API's) in the worker's
event loop, bound to WORKER_HEALTH_HOST:WORKER_HEALTH_PORT (default 0.0.0.0:8081; port 0 turns it off). It
answers the same shapes as the API's probes (api/routes/health.py): `{"status": "ok", ...}` or a 503
problem+json naming what is down, from the same checks (activities/runtime/readiness.py). Liveness checks no
dependency: an outage of Temporal or the database must not make the orchestrator restart every worker, only
take them out of a rollout's count.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence

import uvicorn
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from temporalio.client import Client
from temporalio.worker import Worker

from activities.platform.db import Pool
from activities.runtime.readiness import check_reachability

logger = logging.getLogger("genoptraening.worker.health")

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE = "https://genoptraening.example/problems/unhealthy"


class WorkerHealthSettings(BaseSettings):
    """Where the worker's probes listen (environment WORKER_HEALTH_HOST, WORKER_HEALTH_PORT)."""

    model_config = SettingsConfigDict(env_prefix="WORKER_HEALTH_", extra="ignore")

    host: str = "0.0.0.0"  # probed by the kubelet on the pod's address; answers carry no data
    port: int = 8081


def _answer(path: str, failed: list[str], checks: dict[str, str]) -> JSONResponse:
    if not failed:
        return JSONResponse({"status": "ok", **checks})
    problem = {
        "type": PROBLEM_TYPE,
        "title": "Unhealthy",
        "status": 503,
        "detail": f"Not reachable: {', '.join(failed)}",
        "instance": path,
    }
    return JSONResponse(problem, status_code=503, media_type=PROBLEM_JSON)


def health_app(client: Client, pool: Pool, pollers_running: Callable[[], bool]) -> Starlette:
    """The probes over the worker's Temporal client, database pool and a view of its pollers."""

    async def livez(request: Request) -> JSONResponse:
        running = pollers_running()
        return _answer(request.url.path, [] if running else ["poller"], {"poller": "ok"} if running else {})

    async def readyz(request: Request) -> JSONResponse:
        reached = await check_reachability(pool, client, logger, "worker readiness")
        results = {"poller": pollers_running(), "postgres": reached.postgres, "temporal": reached.temporal}
        names = {"poller": "poller (not running)", "postgres": "PostgreSQL", "temporal": "Temporal"}
        failed = [names[key] for key, ok in results.items() if not ok]
        return _answer(request.url.path, failed, dict.fromkeys(results, "ok"))

    routes = [Route("/livez", livez, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
    return Starlette(routes=routes)


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the worker's SIGTERM handler orders the shutdown."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(host: str, port: int) -> socket.socket | None:
    try:
        return socket.create_server((host, port), reuse_port=False)
    except OSError as error:  # a second worker on one machine (tests, make run twice): run without the probes
        logger.warning("worker health probes off: cannot listen on %s:%d (%s)", host, port, error.strerror)
        return None


@contextlib.asynccontextmanager
async def serving_health(
    client: Client, pool: Pool, workers: Sequence[Worker], settings: WorkerHealthSettings | None = None
) -> AsyncIterator[int | None]:
    """Serve the probes while the block runs; yields the bound port (None when off or the port is taken)."""
    config = settings or WorkerHealthSettings()
    listening = _bind(config.host, config.port) if config.port else None
    if listening is None:
        yield None
        return

    def pollers_running() -> bool:
        return all(worker.is_running and not worker.is_shutdown for worker in workers)

    app = health_app(client, pool, pollers_running)
    server = _EmbeddedServer(uvicorn.Config(app, log_config=None, access_log=False, lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[listening]))
    port = int(listening.getsockname()[1])
    logger.info("worker health probes on http://%s:%d/livez and /readyz", config.host, port)
    try:
        yield port
    finally:
        server.should_exit = True
        await task
        listening.close()


def worker_probes_url() -> str:
    """Where the worker's probes are, for `make run`'s announcement."""
    settings = WorkerHealthSettings()
    if not settings.port:
        return "worker probes off (WORKER_HEALTH_PORT=0)"
    shown = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    return f"worker http://{shown}:{settings.port}/livez, /readyz"
