"""A command repeated after its case or application ended: answered from the store, as the first time was.

Temporal forgets a workflow's updates once the workflow has finished, so a client that resends the command that
ended a case (say, after a 503 that told it to, with the same Idempotency-Key) would find no workflow to answer
it. The command's id is in its events' metadata, so the store still tells a repeat from a new request.
"""

from __future__ import annotations

from temporalio.service import RPCError, RPCStatusCode

from activities.commands.problems import FieldError, ProblemError
from activities.commands.refusals import REJECTIONS
from activities.platform.db import Pool
from activities.store.applied_commands import applied_command
from workflows.domain.commands import Command
from workflows.shell.workflow_support import IDEMPOTENCY_KEY_REUSED

_KEY_REUSED = REJECTIONS[IDEMPOTENCY_KEY_REUSED]


def workflow_gone(error: Exception) -> bool:
    """Temporal has no running workflow for the stream (it finished, or never existed)."""
    return isinstance(error, RPCError) and error.status is RPCStatusCode.NOT_FOUND


async def applied_before(pool: Pool, stream_id: str, command: Command) -> bool:
    """Whether the stream applied `command` (its id: the endpoint and the Idempotency-Key) before its workflow
    finished; then the stream as it is now is the answer. The same key with another request is 422, as while the
    workflow ran (draft-ietf-httpapi-idempotency-key-header)."""
    applied = await applied_command(pool, stream_id, command.command_id)
    if applied is None:
        return False
    known, asked = applied.request_fingerprint, command.request_fingerprint
    if known is not None and asked is not None and known != asked:
        message = "This Idempotency-Key was used for another request; use a new key for a new request"
        raise ProblemError(
            _KEY_REUSED.status,
            message,
            slug=_KEY_REUSED.slug,
            title=_KEY_REUSED.title,
            errors=[FieldError(field="header.Idempotency-Key", message=message)],
        )
    return True
