"""RFC 9457 problem details: the one shape of every error response (`application/problem+json`).

Routes raise `ProblemError`; the handlers below turn it, FastAPI's request validation errors, Starlette's
HTTP errors (unknown route, wrong method) and any unexpected exception into a problem response. Nothing
here logs request bodies or field values: a plan carries a CPR number, which must never reach the logs.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activities.commands.problems import FieldError, ProblemError, field_problem
from activities.platform.tracing import current_trace_id
from workflows.domain.casework.attention import AttentionItem

logger = logging.getLogger("genoptraening.api")

PROBLEM_JSON = "application/problem+json"
__all__ = ["PROBLEM_JSON", "FieldError", "Problem", "ProblemError", "field_problem", "install_problem_handlers"]


class Problem(BaseModel):
    """An RFC 9457 problem details object."""

    type: str = Field(default="about:blank", description="URI identifying the kind of problem")
    title: str = Field(description="Short summary of the kind of problem")
    status: int = Field(description="The HTTP status code")
    detail: str | None = Field(default=None, description="What went wrong with this request")
    instance: str | None = Field(default=None, description="The request path")
    errors: list[FieldError] | None = Field(default=None, description="Per-field problems (validation only)")
    current_version: int | None = Field(
        default=None, description="The case's or application's version now (412: If-Match named another)"
    )
    attention: list[AttentionItem] | None = Field(
        default=None,
        description="What still needs attention before the case may end (409 `closing-needs-attention` only): "
        "send the request again with `confirm: true` to end it anyway",
    )
    correlation_id: str | None = Field(
        default=None,
        description="This request's trace id (also the `X-Correlation-Id` response header): quote it when "
        "reporting the error, operators find the request's log lines and trace by it",
        examples=["4bf92f3577b34da6a3ce929d0e0e4736"],
    )


def problem_response(request_path: str, error: ProblemError) -> JSONResponse:
    problem = Problem(
        type=error.type,
        title=error.title,
        status=error.status,
        detail=error.detail,
        instance=request_path,
        errors=error.errors,
        current_version=error.current_version,
        attention=error.attention,
        correlation_id=current_trace_id(),
    )
    return JSONResponse(
        problem.model_dump(mode="json", exclude_none=True),
        status_code=error.status,
        media_type=PROBLEM_JSON,
        headers=error.headers,
    )


def field_path(location: Sequence[int | str]) -> str:
    """`("body", "patient", "cpr")` -> `patient.cpr`; other request parts keep their prefix."""
    parts = [str(part) for part in location]
    if parts and parts[0] == "body":
        return ".".join(parts[1:]) or "body"
    return ".".join(parts)


def malformed_json_problem() -> ProblemError:
    """The body of a JSON operation does not parse (bad syntax, or bytes that are not UTF-8 text)."""
    return ProblemError(400, "The request body is not valid JSON", slug="malformed-json", title="Malformed JSON")


def validation_problem(errors: Sequence[Any]) -> ProblemError:
    if any(error.get("type") == "json_invalid" for error in errors):
        return malformed_json_problem()
    # Only the location and pydantic's message: the rejected input (a CPR number, say) is never echoed.
    fields = [FieldError(field=field_path(error.get("loc", ())), message=str(error.get("msg", ""))) for error in errors]
    names = ", ".join(sorted({f.field for f in fields if f.field}))
    return ProblemError(
        422, f"Invalid request: {names}", slug="validation-error", title="Request validation failed", errors=fields
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(request.url.path, exc)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return problem_response(request.url.path, validation_problem(exc.errors()))


async def _on_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400:
        # Routes raise ProblemError; a bare 400 is FastAPI's "error parsing the body" (a body that is not
        # UTF-8, say), which is the same problem to the client as bad JSON syntax.
        return problem_response(request.url.path, malformed_json_problem())
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != HTTPStatus(exc.status_code).phrase else None
    if exc.status_code == 404 and detail is None:
        detail = f"No resource at {request.url.path}"
    return problem_response(request.url.path, ProblemError(exc.status_code, detail, headers=exc.headers))


class ProblemOnCrash:
    """ASGI middleware: an unexpected exception becomes a 500 problem without internals.

    Only the exception's type, the method and the path are logged: never the message (it may quote
    data) nor the body.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            logger.error("unhandled %s on %s %s", type(exc).__name__, scope.get("method"), scope.get("path"))
            if started:
                raise
            error = ProblemError(500, "An unexpected error occurred; it has been logged", slug="internal-error")
            await problem_response(str(scope.get("path", "")), error)(scope, receive, send)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_middleware(ProblemOnCrash)


# Before any plan this service could hold (its rules begin 1 July 2018); also keeps Danish-date arithmetic in range.
_EARLIEST_AS_OF = datetime(2000, 1, 1, tzinfo=UTC)


def checked_as_of(as_of: datetime | None) -> datetime | None:
    """An `as_of` query parameter that names an instant already past; else 422 naming `query.as_of`."""
    if as_of is None:
        return None
    if as_of.tzinfo is None:
        raise field_problem(("query.as_of", "must carry a time zone offset, e.g. 2026-03-31T22:00:00Z"))
    if as_of > datetime.now(UTC):
        raise field_problem(("query.as_of", "lies in the future: the facts of then are not known yet"))
    if as_of.date() < _EARLIEST_AS_OF.date():  # the day as written, as the schema's pattern states it
        raise field_problem(("query.as_of", f"must not lie before {_EARLIEST_AS_OF.date().isoformat()}"))
    return as_of


def invalid_cursor_problem(error: Exception, field: str = "query.cursor") -> ProblemError:
    """A page cursor this list did not produce (422 naming the query parameter, or the body's `cursor`)."""
    return ProblemError(
        422,
        str(error),
        slug="validation-error",
        title="Request validation failed",
        errors=[FieldError(field=field, message=str(error))],
    )
