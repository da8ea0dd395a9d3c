"""Sending a command to a stream's workflow (a case's or an application's) as a Workflow Update, the same way for
both: its answer is the stream as it now is, a refusal a `ProblemError`, and a repeat of a command applied before
the workflow finished is answered from the store (`activities.commands.repeats`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError

from activities.commands.observed import observed_command
from activities.commands.options import UpdateOptions
from activities.commands.problems import ProblemError
from activities.commands.repeats import applied_before, workflow_gone
from activities.platform.db import Pool
from workflows.domain.commands import Command

logger = logging.getLogger("genoptraening.api")


class StreamState(Protocol):
    @property
    def version(self) -> int: ...

    @property
    def status(self) -> Any: ...


S = TypeVar("S", bound=StreamState)


@dataclass(frozen=True)
class StreamKind(Generic[S]):
    """What differs between a case and an application when a command is sent to one."""

    name: str  # "case" or "application": in metrics and log lines
    run: Any  # the workflow's run method, for a typed handle
    workflow_id: Callable[[str], str]
    stored: Callable[[Pool, str], Awaitable[S | None]]  # the stream as the read model holds it, if it exists
    problem: Callable[[Exception, str, Pool, UpdateOptions], Awaitable[ProblemError | None]]


async def send_to_stream(
    kind: StreamKind[S],
    client: Client,
    pool: Pool,
    stream_id: str,
    update: Any,
    command: Command,
    options: UpdateOptions,
) -> S:
    """Run `update` with `command` on the stream's workflow; a refusal becomes a ProblemError. A worker that does
    not answer within `options.answer_timeout` gives a 503 (the command may still be applied)."""
    handle = client.get_workflow_handle_for(kind.run, kind.workflow_id(stream_id))
    what = type(command).__name__
    with observed_command(kind.name, what):
        try:
            state: S = await handle.execute_update(
                update, command, id=options.update_id, rpc_timeout=options.answer_timeout
            )
        except (WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as error:
            if workflow_gone(error) and await applied_before(pool, stream_id, command):
                stored = await kind.stored(pool, stream_id)
                if stored is not None:
                    logger.info("%s %s: %s repeated after the end", kind.name, stream_id, what)
                    return stored
            problem = await kind.problem(error, stream_id, pool, options)
            if problem is None:
                raise
            logger.info("%s %s: %s refused (%d)", kind.name, stream_id, what, problem.status)
            raise problem from None
    logger.info("%s %s: %s by %s -> %s", kind.name, stream_id, what, command.actor, state.status.value)
    return state
