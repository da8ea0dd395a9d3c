"""The deadline of the request a command is sent for: what is left of the request's whole bound.

A command or a plan does several things before its Workflow Update (the access-log row, reading the read model,
the municipality's register), each waiting for a database connection under load, then waits for the Update. The
door that takes the request (`api.http.answer_bound`) sets its deadline here when it arrives; the Update is given only
what is left (minus a reserve for the answer itself, `answer_time_left`), so the Temporal call ends on its own
before the door would stop the request, and no outcome of it is left unread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta

from activities.commands.problems import ProblemError

# Kept back from the Update for what follows it (the read model, the answer): the Update ends this much earlier.
ANSWER_RESERVE_SECONDS = 0.5
_DEADLINE: ContextVar[float | None] = ContextVar("answer_deadline", default=None)


@contextmanager
def answer_deadline(deadline: float) -> Iterator[None]:
    """Within this block, commands are bounded by `deadline` (on the running loop's clock)."""
    token = _DEADLINE.set(deadline)
    try:
        yield
    finally:
        _DEADLINE.reset(token)


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
