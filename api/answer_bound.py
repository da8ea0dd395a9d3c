"""The bound on a command is the whole wait: from the request's arrival to its answer, not a limit per call.

A command or a plan does several things before its Workflow Update (the access-log row, reading the read model,
the municipality's register), each waiting for a database connection under load, then waits for the Update. The
documented bound (`COMMAND_ANSWER_TIMEOUT_SECONDS`, default 10 s) is what the client waits in all: `AnswerBound`
starts the clock when a request that changes something arrives; the Update is given only what is left (minus a
reserve for the answer itself, `answer_time_left`); and should anything else outlast the bound, the request is
stopped there and answered `503` with `Retry-After`. The Temporal call is never the one stopped (its own timeout
ends it first), so no outcome of it is left unread.
"""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from datetime import timedelta

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import ProblemError, problem_response

logger = logging.getLogger("genoptraening.api")

# Methods that change something: commands, plans, registers. Reads have their own, shorter bounds (the pool's).
_BOUNDED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Kept back from the Update for what follows it (the read model, the answer): the Update ends this much earlier.
ANSWER_RESERVE_SECONDS = 0.5
_DEADLINE: ContextVar[float | None] = ContextVar("answer_deadline", default=None)


def answer_time_left(configured: timedelta) -> timedelta:
    """How long a Workflow Update may wait now: the configured bound, or what is left of the request's bound less
    the reserve, whichever is shorter (never negative; zero means: do not send it)."""
    deadline = _DEADLINE.get()
    if deadline is None:
        return configured
    left = deadline - asyncio.get_running_loop().time() - ANSWER_RESERVE_SECONDS
    return max(timedelta(0), min(configured, timedelta(seconds=left)))


def not_answered_in_time(retry_after_seconds: int, idempotency_key: str | None) -> ProblemError:
    headers = {"Retry-After": str(retry_after_seconds)}
    detail = "The request was not answered in time; it may still be applied. "
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
        detail += "Send it again with the same Idempotency-Key to learn the outcome"
    else:
        detail += "Send the same request again to learn the outcome"
    return ProblemError(
        503, detail, slug="command-not-answered", title="The command was not answered in time", headers=headers
    )


class AnswerBound:
    """Pure ASGI middleware: a request that changes something is answered within `bound_seconds`."""

    def __init__(self, app: ASGIApp, *, bound_seconds: float, retry_after_seconds: int) -> None:
        self.app = app
        self.bound_seconds = bound_seconds
        self.retry_after_seconds = retry_after_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BOUNDED_METHODS:
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.bound_seconds
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        token = _DEADLINE.set(deadline)
        try:
            async with asyncio.timeout_at(deadline):
                await self.app(scope, receive, tracking_send)
        except TimeoutError:
            if started:
                raise  # too late to answer otherwise; the server ends the response
            path = str(scope.get("path", ""))
            logger.warning("%s %s not answered within %.1f s", scope["method"], path, self.bound_seconds)
            key = Headers(scope=scope).get("idempotency-key")
            problem = not_answered_in_time(self.retry_after_seconds, key)
            await problem_response(path, problem)(scope, receive, send)
        finally:
            _DEADLINE.reset(token)
