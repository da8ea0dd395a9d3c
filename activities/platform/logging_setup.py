"""One log format for every process: the supervisor (`deploy.local`), the worker, the API and uvicorn's access
log, and the Temporal core's own logs forwarded into the same stream.

JSON lines by default when stderr is not a terminal (a container, a file, a log shipper), readable text on a
terminal; LOG_FORMAT=json|text overrides. Neither has colour codes. Every line carries the trace id of the
request or activity it belongs to (`trace_id`, see `activities.platform.tracing`), which is also the correlation id in
the API's answers, so one id finds an error from the caseworker's screen to the worker's log.

Only named fields reach a JSON line (never every attribute of a record): personal data that some library
attached to a record as an extra cannot leak through the formatter (see tests/activities/platform/test_log_hygiene.py).
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from opentelemetry import trace
from pythonjsonlogger.json import JsonFormatter

_HANDLER_MARK = "_genoptraening_handler"
# Uvicorn configures these with handlers of its own before it imports the app: they are turned into plain
# loggers that propagate to the one root handler.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")
# The Temporal core's logs arrive through this logger (activities.runtime.temporal_runtime), named per core target.
TEMPORAL_CORE_LOGGER = "temporalio.core"
# The SDK's activity and workflow logger attach these: ids and types, no payloads.
_TEMPORAL_EXTRAS = ("temporal_activity", "temporal_workflow")


def trace_fields() -> tuple[str, str]:
    """(trace id, span id) of the current span as lowercase hex, or ("", "") outside any trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return "", ""
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


class TraceContext(logging.Filter):
    """Puts `trace_id`, `span_id` and `service` on every record that reaches the handler."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "trace_id", ""):
            record.trace_id, record.span_id = trace_fields()
        record.service = self.service
        return True


class OneLineJson(JsonFormatter):
    """`{"time", "level", "logger", "message", "service", "trace_id", "span_id"}`, plus `exc_info` when there
    is a traceback and the SDK's activity/workflow info; nothing else of the record."""

    def add_fields(self, log_data: dict[str, Any], record: logging.LogRecord, message_dict: dict[str, Any]) -> None:
        log_data["time"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")
        log_data["level"] = record.levelname
        log_data["logger"] = record.name
        log_data["message"] = record.getMessage()
        log_data["service"] = getattr(record, "service", "")
        log_data["trace_id"] = getattr(record, "trace_id", "")
        log_data["span_id"] = getattr(record, "span_id", "")
        for name in _TEMPORAL_EXTRAS:
            value = getattr(record, name, None)
            if isinstance(value, dict):
                log_data[name] = {key: str(item) for key, item in value.items()}
        for key in ("exc_info", "stack_info"):
            if message_dict.get(key):
                log_data[key] = message_dict[key]


# Requests that come by the second: the Temporal UI's codec decodes one request per page of payloads, probes and
# scrapes every few seconds. Their access lines are DEBUG, not one INFO line each.
QUIET_ACCESS_PATHS = ("/codec/", "/metrics", "/livez", "/readyz", "/health")


class QuietAccessLines(logging.Filter):
    """On uvicorn's access logger: demotes the lines of QUIET_ACCESS_PATHS to DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        path = args[2] if isinstance(args, tuple) and len(args) >= 5 else None
        if isinstance(path, str) and path.startswith(QUIET_ACCESS_PATHS):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True


class EvictionDetachNoise(logging.Filter):
    """Drops OpenTelemetry's "Failed to detach context" when a workflow is evicted from the worker's cache: the
    coroutine is closed (GeneratorExit) in another context than the one its trace context was attached in, so
    the detach fails harmlessly, at ERROR with a traceback (temporalio/sdk-python#441, open-telemetry/
    opentelemetry-python#2606). Any other failed detach is still logged."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.msg != "Failed to detach context" or not record.exc_info:
            return True
        error = record.exc_info[1]
        return not isinstance(error.__context__ if error is not None else None, GeneratorExit)


TEXT_FORMAT = "%(asctime)s %(levelname)-7s %(service)s %(name)s [trace %(trace_id)s] %(message)s"


def wants_json(stream: TextIO, configured: str | None = None) -> bool:
    """LOG_FORMAT decides when set; else JSON unless `stream` is a terminal."""
    choice = (configured if configured is not None else os.environ.get("LOG_FORMAT", "")).strip().lower()
    if choice in ("json", "text"):
        return choice == "json"
    try:
        return not stream.isatty()
    except (AttributeError, ValueError):  # a closed or odd stream
        return True


def formatter_for(stream: TextIO, configured: str | None = None) -> logging.Formatter:
    if wants_json(stream, configured):
        return OneLineJson()
    return logging.Formatter(TEXT_FORMAT)


def configure_logging(
    service: str, level: str | int = "INFO", *, stream: TextIO | None = None, log_format: str | None = None
) -> logging.Handler:
    """Route every logger of this process into one handler on stderr in the one format; returns the handler.

    Idempotent: a second call replaces the handler the first installed (uvicorn's loggers are reset each time,
    because uvicorn configures them after the supervisor but before the app)."""
    output = stream if stream is not None else sys.stderr
    handler = logging.StreamHandler(output)
    handler.setFormatter(formatter_for(output, log_format))
    handler.addFilter(TraceContext(service))
    setattr(handler, _HANDLER_MARK, True)
    root = logging.getLogger()
    for old in list(root.handlers):
        # Ours from an earlier call, or a basicConfig handler on the terminal (would print each line twice).
        ours = getattr(old, _HANDLER_MARK, False)
        plain = type(old) is logging.StreamHandler and old.stream in (sys.stderr, sys.stdout)
        if ours or plain:
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    for name in _UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
    detach = logging.getLogger("opentelemetry.context")
    if not any(isinstance(f, EvictionDetachNoise) for f in detach.filters):
        detach.addFilter(EvictionDetachNoise())
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, QuietAccessLines) for f in access.filters):
        access.addFilter(QuietAccessLines())
    return handler
