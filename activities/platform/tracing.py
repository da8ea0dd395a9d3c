"""OpenTelemetry traces: one trace from the HTTP request through the Workflow Update and its workflow task into
the append activity and its PostgreSQL statements.

Exported over OTLP (HTTP/protobuf) when OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is
set; the exporter's other standard OTEL_* variables apply. Without an endpoint nothing is recorded or exported,
but every request still gets a trace context (sampled out: ids, no spans kept), so its trace id can serve as the
correlation id in the logs and in the API's problem answers.

Temporal: the SDK's `OpenTelemetryPlugin` on the client (workers built from that client get it too), with the
replay-safe tracer provider it asks for. Not the older `TracingInterceptor`: it runs an Update's handler in the
context of the workflow's *start*, linking the Update's request only, so the append activity an Update schedules
would carry the trace id of the request that created the case rather than of the command. The plugin continues
the Update's own context into the activities it schedules.
"""

from __future__ import annotations

import logging
import os

from opentelemetry import trace
from opentelemetry.instrumentation.psycopg import PsycopgInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ParentBased, Sampler
from temporalio.contrib.opentelemetry import OpenTelemetryPlugin, create_tracer_provider

logger = logging.getLogger("genoptraening.tracing")
_configured: str | None = None


def otlp_endpoint() -> str | None:
    """The configured OTLP endpoint, or None: then traces are not exported."""
    for name in ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def _sampler(exporting: bool) -> Sampler | None:
    # Exporting: the SDK's default (parent-based, always on; OTEL_TRACES_SAMPLER overrides). Not exporting: a
    # root is never sampled, so spans cost next to nothing, but the trace id exists and propagates.
    return None if exporting else ParentBased(ALWAYS_OFF)


def configure_tracing(service: str, *, database_spans: bool | None = None) -> bool:
    """Install the process's tracer provider and, when traces are exported (or `database_spans` says so), the
    psycopg instrumentation, once; True when exporting.

    A span per statement is only worth its cost when someone reads it: unexported, it was a fifth of an append's
    time (bench.eventstore, one writer: 142 -> 178 appends/s without it), and nothing else uses it."""
    global _configured
    endpoint = otlp_endpoint()
    if _configured is not None:
        return endpoint is not None
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME") or service})
    provider = create_tracer_provider(sampler=_sampler(endpoint is not None), resource=resource)
    if endpoint is not None:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter  # only when used
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    trace.set_tracer_provider(provider)
    if endpoint is not None if database_spans is None else database_spans:
        # Statement text is traced (parameters never are): it names tables and columns, not values.
        PsycopgInstrumentor().instrument(enable_commenter=False, skip_dep_check=True)
    _configured = service
    if endpoint is not None:
        logger.info("traces exported over OTLP to %s as %s", endpoint, service)
    return endpoint is not None


def temporal_tracing_plugin() -> OpenTelemetryPlugin:
    """For every Temporal client: propagates the trace into Updates, workflow tasks and activities."""
    return OpenTelemetryPlugin(add_temporal_spans=True)  # spans for the Update, the workflow task, the activity


def current_trace_id() -> str | None:
    """The current span's trace id as 32 lowercase hex digits, or None outside any trace."""
    context = trace.get_current_span().get_span_context()
    return format(context.trace_id, "032x") if context.is_valid else None
