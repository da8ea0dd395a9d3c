"""The service's refusals, as RFC 9457 problem details: what a command, the intake or a route answers when it
will not do what was asked.

`ProblemError` is raised below the API (sending a command to a workflow, taking a plan) as well as by its routes;
the API's handlers (`api.http.problems`) render it as `application/problem+json`, and the MedCom intake turns one into
a negative receipt. It carries no request data: a plan carries a CPR number, which must never reach a log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus

from pydantic import BaseModel, Field

from workflows.domain.casework.attention import AttentionItem

PROBLEM_TYPE_PREFIX = "urn:genoptraening:problem:"


class FieldError(BaseModel):
    field: str | None = Field(
        description="Dotted path from the body root (`patient.cpr`), or the part of the request and the "
        "parameter's name for the rest (`header.Idempotency-Key`, `header.If-Match`, `query.limit`, `path.case_id`)",
        examples=["patient.cpr"],
    )
    message: str = Field(examples=["Value error, CPR must be 10 digits, DDMMYY-SSSS or DDMMYYSSSS"])


class ProblemError(Exception):
    """Raised to answer with a problem response (rendered by the API, `api.http.problems`)."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: Sequence[FieldError] | None = None,
        headers: Mapping[str, str] | None = None,
        current_version: int | None = None,
        attention: Sequence[AttentionItem] | None = None,
    ) -> None:
        super().__init__(detail or title or HTTPStatus(status).phrase)
        self.status = status
        self.detail = detail
        self.type = f"{PROBLEM_TYPE_PREFIX}{slug}" if slug else "about:blank"
        self.title = title or HTTPStatus(status).phrase
        self.errors = list(errors) if errors is not None else None
        self.headers = headers
        self.current_version = current_version
        self.attention = list(attention) if attention is not None else None


def field_problem(*fields: tuple[str, str]) -> ProblemError:
    """A 422 validation problem naming body fields, as (field, message), that a route checks itself."""
    errors = [FieldError(field=name, message=text) for name, text in fields]
    names = ", ".join(name for name, _ in fields)
    return ProblemError(
        422, f"Invalid request: {names}", slug="validation-error", title="Request validation failed", errors=errors
    )
