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

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activities.commands.deadline import answer_deadline, not_answered_in_time
from api.http.problems import problem_response

logger = logging.getLogger("genoptraening.api")

# Methods that change something: commands, plans, registers. Reads have their own, shorter bounds (the pool's).
_BOUNDED_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


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

        try:
            with answer_deadline(deadline):
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
