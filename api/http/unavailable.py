"""503 for a dependency that cannot be reached: PostgreSQL or Temporal down, or too slow to answer in time.

The answer says when to try again (`Retry-After`) and names the dependency, never its error text: a
database message may quote the data of the request. A command that may still be applied after such an
answer says so; the same `Idempotency-Key` then tells its outcome.
"""

from __future__ import annotations

import logging

import psycopg
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from temporalio.service import RPCError

from activities.commands.settings import CommandSettings
from api.http.problems import ProblemError, problem_response

logger = logging.getLogger("genoptraening.api")


def unavailable(
    settings: CommandSettings, detail: str, *, slug: str, headers: dict[str, str] | None = None
) -> ProblemError:
    """A 503 problem with `Retry-After` from the settings."""
    return ProblemError(
        503,
        detail,
        slug=slug,
        title="Service temporarily unavailable",
        headers={"Retry-After": str(settings.retry_after_seconds), **(headers or {})},
    )


async def _on_database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, psycopg.OperationalError)
    logger.warning("database unavailable on %s %s (%s)", request.method, request.url.path, type(exc).__name__)
    settings: CommandSettings = request.app.state.settings
    problem = unavailable(settings, "The database is unavailable; try again later", slug="database-unavailable")
    return problem_response(request.url.path, problem)


async def _on_temporal_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RPCError)
    logger.warning("Temporal error %s on %s %s", exc.status.name, request.method, request.url.path)
    settings: CommandSettings = request.app.state.settings
    problem = unavailable(settings, "The workflow service is unavailable; try again later", slug="temporal-unavailable")
    return problem_response(request.url.path, problem)


# What the SDK raises when a lazily connected client cannot reach the server at all (not an RPCError).
_NOT_CONNECTED = "Failed client connect"


async def _on_runtime_error(request: Request, exc: Exception) -> JSONResponse:
    if not str(exc).startswith(_NOT_CONNECTED):
        raise exc  # not ours to answer: the crash middleware turns it into a 500 without internals
    logger.warning("Temporal unreachable on %s %s", request.method, request.url.path)
    settings: CommandSettings = request.app.state.settings
    problem = unavailable(settings, "The workflow service is unreachable; try again later", slug="temporal-unavailable")
    return problem_response(request.url.path, problem)


def install_unavailable_handlers(app: FastAPI) -> None:
    # psycopg.OperationalError covers a lost or refused connection, a pool that found none in time
    # (psycopg_pool.PoolTimeout) and a statement or lock timeout. Other database errors stay 500s: they
    # are bugs, not outages.
    app.add_exception_handler(psycopg.OperationalError, _on_database_error)
    # Any Temporal RPC error a route did not map itself: the route knows NOT_FOUND and the like.
    app.add_exception_handler(RPCError, _on_temporal_error)
    app.add_exception_handler(RuntimeError, _on_runtime_error)
