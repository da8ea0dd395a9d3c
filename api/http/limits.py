"""What a request must be before its body is read: an allowed method, a JSON media type, a bounded size.

`RequestContract` is pure ASGI middleware (`BaseHTTPMiddleware` would buffer the body it is meant to
bound). It finds the operation a request is for once, from the app's own routes, and answers:

- **405** with an `Allow` header naming every method the path has (Starlette names only one route's);
- **415** when an operation that takes JSON gets a body with another or no `Content-Type`;
- **413** when the body is larger than the operation's limit: up front from `Content-Length`, and for a
  body of unknown length by counting bytes as they arrive and stopping at the limit.

The limit is `Settings.max_body_bytes`, unless a route sets FastAPI's own `max_body_size` (say, a
future XML intake of large documents): that route's limit then applies here as well. Every answer is a
problem (`application/problem+json`) that never quotes the request.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import params
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http.problems import ProblemError, problem_response

JSON_MEDIA_TYPE = "application/json"


class _Refused(Exception):
    """Raised into the app from `receive` to stop it reading a body that has been refused."""


def too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        f"The request body is larger than {limit} bytes",
        slug="content-too-large",
        title="Request body too large",
    )


def unsupported_media_type(method: str) -> ProblemError:
    # Accept-Post (W3C LDP) names what a POST takes; other methods have no such header.
    hint = {"Accept-Post": JSON_MEDIA_TYPE} if method == "POST" else None
    return ProblemError(
        415,
        "The request body must be JSON, sent as Content-Type: application/json",
        slug="unsupported-media-type",
        title="Unsupported media type",
        headers=hint,
    )


def method_not_allowed(allowed: Iterable[str]) -> ProblemError:
    methods = ", ".join(sorted(allowed))
    return ProblemError(405, f"Allowed methods: {methods}", headers={"Allow": methods})


def is_json(content_type: str | None) -> bool:
    """`application/json` or a structured `+json` type, as FastAPI parses them."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type == JSON_MEDIA_TYPE or (media_type.startswith("application/") and media_type.endswith("+json"))


def takes_json(route: BaseRoute | None) -> bool:
    """The route is a FastAPI operation with a JSON (not form) body."""
    if not isinstance(route, APIRoute) or route.body_field is None:
        return False
    return not isinstance(route.body_field.field_info, params.Form)


def _content_length(headers: Headers) -> int | None:
    try:
        return int(headers["content-length"])
    except (KeyError, ValueError):
        return None


class RequestContract:
    def __init__(self, app: ASGIApp, *, router: Router, max_body_bytes: int) -> None:
        self.app = app
        self.router = router
        self.max_body_bytes = max_body_bytes

    def _match(self, scope: Scope) -> tuple[BaseRoute | None, int | None, set[str]]:
        """The route that will serve the request, its body limit if it sets one, and the methods of
        every route on the path (for a 405)."""
        allowed: set[str] = set()
        for context in iter_route_contexts(self.router.routes):
            match, _ = context.matches(scope)
            if match is Match.FULL:
                return context.original_route, getattr(context, "max_body_size", None), allowed
            if match is Match.PARTIAL:
                allowed |= context.methods or set()
        return None, None, allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        route, route_limit, allowed = self._match(scope)
        path = str(scope.get("path", ""))
        if route is None and allowed:
            await problem_response(path, method_not_allowed(allowed))(scope, receive, send)
            return
        headers = Headers(scope=scope)
        length = _content_length(headers)
        limit = route_limit if route_limit is not None else self.max_body_bytes
        json_only = takes_json(route)
        has_body = (length or 0) > 0 or "transfer-encoding" in headers
        if json_only and has_body and not is_json(headers.get("content-type")):
            await problem_response(path, unsupported_media_type(scope["method"]))(scope, receive, send)
            return
        if length is not None and length > limit:
            await problem_response(path, too_large(limit))(scope, receive, send)
            return
        await self._guarded(scope, receive, send, limit=limit, json_only=json_only)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send, *, limit: int, json_only: bool) -> None:
        """Run the app, counting body bytes as they arrive (a chunked body announces no length)."""
        received = 0
        refusal: ProblemError | None = None
        started = False
        content_type = Headers(scope=scope).get("content-type")

        async def counting_receive() -> Message:
            nonlocal received, refusal
            message = await receive()
            if message["type"] == "http.request":
                chunk = len(message.get("body", b""))
                received += chunk
                if received > limit:
                    refusal = too_large(limit)
                elif chunk and json_only and not is_json(content_type):
                    refusal = unsupported_media_type(scope["method"])
                if refusal is not None:
                    raise _Refused
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refusal is not None:
                return  # the app's answer to the interrupted read (FastAPI makes it a 400) is replaced
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except Exception:
            if refusal is None:
                raise
        if refusal is not None and not started:
            await problem_response(str(scope.get("path", "")), refusal)(scope, receive, send)
