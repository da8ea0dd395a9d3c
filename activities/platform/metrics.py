"""The service's own Prometheus series (docs/observability.md lists them with their labels).

Every label value comes from a small fixed set (route templates, command types, stream types, channels,
outcomes): never a case id, a raw path or anything personal. The objects live in prometheus_client's default
registry, served by the API's `/metrics` and the worker's metrics port.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

# Seconds; an append is a few ms, an Update or an HTTP answer up to the answer timeout (tens of seconds).
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HTTP_REQUESTS = Counter(
    "genoptraening_http_requests", "HTTP requests answered, by route template and status", ["method", "route", "status"]
)
HTTP_DURATION = Histogram(
    "genoptraening_http_request_duration_seconds",
    "Time from an HTTP request to the end of its answer",
    ["method", "route"],
    buckets=_LATENCY_BUCKETS,
)
COMMANDS = Counter(
    "genoptraening_commands",
    "Commands sent as Workflow Updates, by outcome (accepted, refused, failed)",
    ["aggregate", "command", "outcome"],
)
COMMAND_DURATION = Histogram(
    "genoptraening_command_duration_seconds",
    "Time from sending a command's Update to its answer",
    ["aggregate", "command"],
    buckets=_LATENCY_BUCKETS,
)
EVENT_APPENDS = Counter(
    "genoptraening_event_appends",
    "Append activities by stream type and outcome (appended, conflict, rejected, failed)",
    ["stream", "outcome"],
)
EVENTS_APPENDED = Counter("genoptraening_events_appended", "Events written by successful appends", ["stream"])
APPEND_DURATION = Histogram(
    "genoptraening_event_append_duration_seconds",
    "Duration of one append transaction (events, read models, outbox)",
    ["stream"],
    buckets=_LATENCY_BUCKETS,
)
DELIVERY_ATTEMPTS = Counter(
    "genoptraening_outbox_delivery_attempts",
    "Send attempts by channel and outcome (sent, error)",
    ["channel", "outcome"],
)
DELIVERY_FAILURES = Counter(
    "genoptraening_outbox_delivery_failures", "Outbound messages given up on (marked failed)", ["channel"]
)

INBOUND_MOVE_FAILURES = Counter(
    "genoptraening_vans_inbound_move_failures",
    "Handled VANS inbound files that could not be moved to processed/ or failed/ (back in their mailbox)",
    ["destination", "error"],
)


@contextmanager
def timed(histogram: Histogram, *labels: str) -> Iterator[None]:
    """Observe the block's duration in `histogram` under `labels`, whether it raises or not."""
    started = time.perf_counter()
    try:
        yield
    finally:
        histogram.labels(*labels).observe(time.perf_counter() - started)
