"""How a failed Workflow Update becomes an HTTP problem: the whole mapping in one place.

| Temporal says                                          | HTTP |
| ------------------------------------------------------ | ---- |
| update failed: ApplicationError NotAllowedNow          | 409  |
| update failed: ApplicationError CaseClosed             | 409  |
| update failed: ApplicationError PlanConflict           | 409  |
| update failed: ApplicationError InvalidCommand         | 422 (errors name the field) |
| update failed: ApplicationError ApplicationClosed      | 409  |
| update failed: ApplicationError ApplicationConflict    | 409  |
| RPC NOT_FOUND, the read model knows the case           | 409 (the case has ended; its workflow is gone) |
| RPC NOT_FOUND, the read model does not know it         | 404  |
| RPC UNAVAILABLE / DEADLINE_EXCEEDED, update timed out  | 503 / 504 |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from activities import case_queries
from activities.db import Pool
from api.problems import FieldError, ProblemError
from workflows.domain.decider import Rejection


@dataclass(frozen=True)
class ProblemKind:
    status: int
    slug: str
    title: str


REJECTIONS: dict[str, ProblemKind] = {
    Rejection.NOT_ALLOWED_NOW: ProblemKind(409, "not-allowed-now", "Not allowed in the case's current status"),
    Rejection.CASE_CLOSED: ProblemKind(409, "case-closed", "The case is closed"),
    Rejection.PLAN_CONFLICT: ProblemKind(409, "plan-conflict", "The plan id was received with other content"),
    Rejection.INVALID: ProblemKind(422, "invalid-command", "The command contradicts the case"),
    # Applications without a hospital stay (workflows.applications.rejections); the other kinds are shared.
    "ApplicationClosed": ProblemKind(409, "application-closed", "The application is closed"),
    "ApplicationConflict": ProblemKind(
        409, "application-conflict", "The idempotency key was used for another application"
    ),
}
_UNEXPECTED_FAILURE = ProblemKind(500, "update-failed", "The command failed")
CASE_ENDED = ProblemKind(409, "case-closed", "The case is closed")
CASE_NOT_FOUND = ProblemKind(404, "case-not-found", "No such case")
RPC_STATUSES: dict[RPCStatusCode, ProblemKind] = {
    RPCStatusCode.UNAVAILABLE: ProblemKind(503, "temporal-unavailable", "The workflow service is unavailable"),
    RPCStatusCode.DEADLINE_EXCEEDED: ProblemKind(504, "temporal-timeout", "The workflow service did not answer"),
    RPCStatusCode.RESOURCE_EXHAUSTED: ProblemKind(503, "temporal-busy", "The workflow service is overloaded"),
}
_UPDATE_TIMEOUT = ProblemKind(504, "temporal-timeout", "The command was not answered in time")


def _problem(kind: ProblemKind, detail: str | None, errors: list[FieldError] | None = None) -> ProblemError:
    return ProblemError(kind.status, detail, slug=kind.slug, title=kind.title, errors=errors)


def _field_of(error: ApplicationError) -> str | None:
    details: tuple[Any, ...] = tuple(error.details)
    if details and isinstance(details[0], dict):
        field = details[0].get("field")
        return str(field) if field is not None else None
    return None


def rejection_problem(error: ApplicationError) -> ProblemError:
    """The problem for a command the workflow's validator or handler rejected."""
    kind = REJECTIONS.get(error.type or "", _UNEXPECTED_FAILURE)
    if kind is _UNEXPECTED_FAILURE:
        return _problem(kind, "The case could not carry out the command")  # internals stay in Temporal
    errors = [FieldError(field=_field_of(error), message=error.message)] if kind.status == 422 else None
    return _problem(kind, error.message, errors)


async def temporal_problem(error: Exception, case_id: str, pool: Pool) -> ProblemError | None:
    """The problem for an error of a command sent to `case_id`'s workflow, or None if not Temporal's."""
    if isinstance(error, WorkflowUpdateFailedError):
        cause = error.cause
        if isinstance(cause, ApplicationError):
            return rejection_problem(cause)
        return _problem(_UNEXPECTED_FAILURE, "The case could not carry out the command")
    if isinstance(error, WorkflowUpdateRPCTimeoutOrCancelledError):
        return _problem(_UPDATE_TIMEOUT, "Retry with the same Idempotency-Key to learn the outcome")
    if isinstance(error, RPCError):
        if error.status is RPCStatusCode.NOT_FOUND:
            return await ended_or_unknown(case_id, pool)
        kind = RPC_STATUSES.get(error.status)
        return _problem(kind, "Try again later") if kind else None
    return None


async def ended_or_unknown(case_id: str, pool: Pool) -> ProblemError:
    """No running workflow: the case either ended (its workflow completed) or never existed."""
    row = await case_queries.get_case(pool, case_id)
    if row is None:
        return _problem(CASE_NOT_FOUND, f"There is no case {case_id}")
    return _problem(CASE_ENDED, f"The case is {row['status']}; it takes no further commands")
