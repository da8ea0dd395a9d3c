"""How a failed Workflow Update becomes an HTTP problem: the whole mapping in one place.

| Temporal says                                          | HTTP |
| ------------------------------------------------------ | ---- |
| update failed: ApplicationError NotAllowedNow          | 409  |
| update failed: ApplicationError CaseClosed             | 409  |
| update failed: ApplicationError PlanConflict           | 409  |
| update failed: ApplicationError InvalidCommand         | 422 (errors name the field) |
| update failed: ApplicationError ApplicationClosed      | 409  |
| update failed: ApplicationError ApplicationConflict    | 422 (the Idempotency-Key was used for another application) |
| update failed: ApplicationError VersionMismatch        | 412 (If-Match named another version; `current_version`) |
| update failed: ApplicationError IdempotencyKeyReused   | 422 (errors name `header.Idempotency-Key`) |
| update failed: ApplicationError StoreRejected / InvalidAppend | 422 (the data could not be stored; nothing was) |
| update failed: ApplicationError ConcurrencyConflict    | 409 (the stream moved on while storing; send again) |
| RPC NOT_FOUND, the read model knows the case           | 409 (the case has ended; its workflow is gone) |
| RPC NOT_FOUND, the read model does not know it         | 404  |
| update not answered in time; RPC UNAVAILABLE etc.      | 503 with Retry-After |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities.commands.options import UpdateOptions
from activities.commands.problems import FieldError, ProblemError
from activities.platform.db import Pool
from activities.queries import cases as case_queries
from workflows.domain.decider import Rejection
from workflows.shell.workflow_support import IDEMPOTENCY_KEY_REUSED, VERSION_MISMATCH

# Temporal answers that mean "not now", as opposed to "not so" (NOT_FOUND, INVALID_ARGUMENT, ...).
TRANSIENT_RPC_STATUSES = frozenset(
    {
        RPCStatusCode.UNAVAILABLE,
        RPCStatusCode.DEADLINE_EXCEEDED,
        RPCStatusCode.RESOURCE_EXHAUSTED,
        RPCStatusCode.CANCELLED,
        RPCStatusCode.ABORTED,
    }
)


@dataclass(frozen=True)
class ProblemKind:
    status: int
    slug: str
    title: str


_NOT_STORABLE = ProblemKind(422, "not-storable", "The command's data could not be stored")
REJECTIONS: dict[str, ProblemKind] = {
    Rejection.NOT_ALLOWED_NOW: ProblemKind(409, "not-allowed-now", "Not allowed in the case's current status"),
    Rejection.CASE_CLOSED: ProblemKind(409, "case-closed", "The case is closed"),
    Rejection.PLAN_CONFLICT: ProblemKind(409, "plan-conflict", "The plan id was received with other content"),
    Rejection.INVALID: ProblemKind(422, "invalid-command", "The command contradicts the case"),
    # Applications without a hospital stay (workflows.domain.applications.rejections); the other kinds are shared.
    "ApplicationClosed": ProblemKind(409, "application-closed", "The application is closed"),
    "ApplicationConflict": ProblemKind(
        422, "idempotency-key-reused", "The idempotency key was used for another application"
    ),
    # Request preconditions checked by the workflow shell (workflows.shell.workflow_support).
    VERSION_MISMATCH: ProblemKind(412, "version-mismatch", "The version named in If-Match is not the current one"),
    IDEMPOTENCY_KEY_REUSED: ProblemKind(
        422, "idempotency-key-reused", "The idempotency key was used for another request"
    ),
    # The store refused the append for good (workflows.contracts.store.STORE_REJECTIONS); nothing was recorded.
    "StoreRejected": _NOT_STORABLE,
    "InvalidAppend": _NOT_STORABLE,
    "ConcurrencyConflict": ProblemKind(409, "concurrency-conflict", "The case changed while the command was stored"),
}
_UNEXPECTED_FAILURE = ProblemKind(500, "update-failed", "The command failed")
CASE_ENDED = ProblemKind(409, "case-closed", "The case is closed")
CASE_NOT_FOUND = ProblemKind(404, "case-not-found", "No such case")
_UNANSWERED = ProblemKind(503, "command-not-answered", "The command was not answered in time")
_TEMPORAL_UNAVAILABLE = ProblemKind(503, "temporal-unavailable", "The workflow service is unavailable")


def _problem(
    kind: ProblemKind,
    detail: str | None,
    errors: list[FieldError] | None = None,
    *,
    headers: dict[str, str] | None = None,
    current_version: int | None = None,
) -> ProblemError:
    return ProblemError(
        kind.status,
        detail,
        slug=kind.slug,
        title=kind.title,
        errors=errors,
        headers=headers,
        current_version=current_version,
    )


def _detail_of(error: ApplicationError, key: str) -> Any:
    details: tuple[Any, ...] = tuple(error.details)
    if details and isinstance(details[0], dict):
        return details[0].get(key)
    return None


def rejection_problem(error: ApplicationError) -> ProblemError:
    """The problem for a command the workflow's validator or handler rejected."""
    kind = REJECTIONS.get(error.type or "", _UNEXPECTED_FAILURE)
    if kind is _UNEXPECTED_FAILURE:
        return _problem(kind, "The case could not carry out the command")  # internals stay in Temporal
    if kind.status == 412:
        version = _detail_of(error, "current_version")
        current = int(version) if isinstance(version, int) else None
        headers = {"ETag": etag(current)} if current is not None else None
        return _problem(kind, error.message, headers=headers, current_version=current)
    field = _detail_of(error, "field")
    errors = [FieldError(field=str(field) if field else None, message=error.message)] if kind.status == 422 else None
    return _problem(kind, error.message, errors)


def etag(version: int) -> str:
    """The entity tag of a case or application at `version` (strong: a version names one exact state)."""
    return f'"{version}"'


async def temporal_problem(error: Exception, case_id: str, pool: Pool, options: UpdateOptions) -> ProblemError | None:
    """The problem for an error of a command sent to `case_id`'s workflow, or None if not Temporal's."""
    if isinstance(error, WorkflowUpdateFailedError):
        cause = error.cause
        if isinstance(cause, ApplicationError):
            return rejection_problem(cause)
        return _problem(_UNEXPECTED_FAILURE, "The case could not carry out the command")
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError):
        return _problem(_UNANSWERED, options.unanswered_detail(), headers=options.unanswered_headers())
    if isinstance(error, RPCError):
        if error.status is RPCStatusCode.NOT_FOUND:
            return await ended_or_unknown(case_id, pool)
        if error.status in TRANSIENT_RPC_STATUSES:
            retry_after = str(options.retry_after_seconds)
            return _problem(_TEMPORAL_UNAVAILABLE, "Try again later", headers={"Retry-After": retry_after})
        return None
    return None


def case_not_found(case_id: str) -> ProblemError:
    return _problem(CASE_NOT_FOUND, f"There is no case {case_id}")


async def ended_or_unknown(case_id: str, pool: Pool) -> ProblemError:
    """No running workflow: the case either ended (its workflow completed) or never existed."""
    row = await case_queries.get_case(pool, case_id)
    if row is None:
        return case_not_found(case_id)
    return _problem(CASE_ENDED, f"The case is {row['status']}; it takes no further commands")
