"""The API's metrics, traces and correlation ids (docs/observability.md).

- `RequestObservability` (ASGI middleware): counts and times each request by its route *template* and status,
  and answers every request with `X-Correlation-Id`, the request's trace id (also `correlation_id` in every
  problem answer and `trace_id` in every log line).
- `GET /metrics`: Prometheus text, no token. It holds counts by route, command type, municipality code, status
  and channel only: no personal data, no case ids. Keep it off the public ingress (docs/observability.md).
- FastAPI's OpenTelemetry instrumentation makes the request's span, so a trace id exists even when traces are
  not exported (`activities.platform.tracing`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import RouteContext, iter_route_contexts
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest
from starlette.routing import Match, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from activities.platform.metrics import HTTP_DURATION, HTTP_REQUESTS
from activities.platform.tracing import configure_tracing, current_trace_id
from activities.runtime.read_model_metrics import ReadModelMetrics

CORRELATION_HEADER = b"x-correlation-id"
UNMATCHED = "unmatched"
router = APIRouter(tags=["metrics"])


def route_template(routes: Sequence[Any], scope: Scope) -> str:
    """The path template of the route `scope` addresses (`/cases/{case_id}`), never the raw path. `routes` are
    the app's routes flattened (`iter_route_contexts`: FastAPI nests included routers)."""
    partial = None
    for route in routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return str(route.path_format or route.path or UNMATCHED)
        if match is Match.PARTIAL and partial is None:  # the path matches, the method does not
            partial = str(route.path_format or route.path or UNMATCHED)
    return partial or UNMATCHED


class RequestObservability:
    """Outermost of the app's own middleware: sees the status of every answer, 500s from ProblemOnCrash too."""

    def __init__(self, app: ASGIApp, router: Router) -> None:
        self.app = app
        self.router = router
        self._routes: list[RouteContext] | None = None  # flattened on the first request: all are included then

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500
        correlation = (current_trace_id() or "").encode("ascii")

        async def observing_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if correlation:
                    message["headers"] = [*message.get("headers", []), (CORRELATION_HEADER, correlation)]
            await send(message)

        try:
            await self.app(scope, receive, observing_send)
        finally:
            if self._routes is None:
                self._routes = list(iter_route_contexts(self.router.routes))
            method, route = str(scope.get("method", "")), route_template(self._routes, scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - started)


@router.get(
    "/metrics",
    summary="Prometheus metrics (no token; counts only, no personal data)",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}}}}},
)
async def metrics(request: Request) -> Response:
    state = request.app.state
    text = generate_latest(REGISTRY)
    if state.pool is not None:
        if state.read_model_metrics is None:  # the pool exists once the lifespan opened it (or a test gave it)
            state.read_model_metrics = ReadModelMetrics(state.pool, state.metrics_cache_seconds)
            state.metrics_registry.register(state.read_model_metrics)
        await state.read_model_metrics.refresh()
        text += generate_latest(state.metrics_registry)
    return Response(text, media_type=CONTENT_TYPE_LATEST)


def install_observability(app: FastAPI, cache_seconds: float) -> None:
    """Traces, the request metrics and `/metrics`; call last in `create_app` (the middleware goes outermost)."""
    configure_tracing("genoptraening-api")
    app.state.metrics_registry = CollectorRegistry(auto_describe=True)
    app.state.read_model_metrics = None
    app.state.metrics_cache_seconds = cache_seconds
    app.include_router(router)
    app.add_middleware(RequestObservability, router=app.router)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="/metrics,/livez")
