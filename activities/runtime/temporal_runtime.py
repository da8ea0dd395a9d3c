"""The Temporal SDK runtime of a process: the core's logs forwarded into the one log stream
(`activities.platform.logging_setup`), and in the worker the SDK's own metrics.

The core otherwise writes its own lines to stderr, in its own format with colour codes. Forwarded, they arrive
on the `temporalio.core` logger (WARN and above from the core, ERROR from its dependencies).

The worker serves one metrics port (WORKER_METRICS_PORT): prometheus_client's server with the service's series
and, re-exposed on each scrape, the SDK's, which the core serves on loopback only (WORKER_SDK_METRICS_ADDRESS).
One port to scrape and one ServiceMonitor endpoint, and the SDK's series keep the SDK's own names and labels.
"""

from __future__ import annotations

import dataclasses
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

from prometheus_client import REGISTRY, start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)

from activities.platform.logging_setup import TEMPORAL_CORE_LOGGER

logger = logging.getLogger("genoptraening.metrics")
_SCRAPE_TIMEOUT_SECONDS = 2.0


def install_runtime(sdk_metrics_address: str | None = None) -> Runtime:
    """Make the default runtime (before any client connects) one that forwards the core's logs; with
    `sdk_metrics_address` (host:port) the core also serves its Prometheus metrics there."""
    metrics = None
    if sdk_metrics_address:
        metrics = PrometheusConfig(
            bind_address=sdk_metrics_address,
            counters_total_suffix=True,  # Prometheus's conventions: `_total`, `_seconds`
            unit_suffix=True,
            durations_as_seconds=True,
        )
    forwarding = LogForwardingConfig(logger=logging.getLogger(TEMPORAL_CORE_LOGGER), append_target_to_name=False)
    telemetry = TelemetryConfig(
        logging=LoggingConfig(filter=TelemetryFilter(core_level="WARN", other_level="ERROR"), forwarding=forwarding),
        metrics=metrics,
    )
    try:
        runtime = Runtime(telemetry=telemetry)
    except Exception as err:  # the SDK's port taken: the worker runs on, without the SDK's series
        logger.error("Temporal SDK metrics not served on %s (%s)", sdk_metrics_address, " ".join(str(err).split()))
        runtime = Runtime(telemetry=dataclasses.replace(telemetry, metrics=None))
    Runtime.set_default(runtime, error_if_already_set=False)
    return runtime


class SdkMetrics(Collector):
    """The SDK's series, read from its loopback endpoint at each scrape; nothing when it does not answer."""

    def __init__(self, address: str) -> None:
        self.url = f"http://{address}/metrics"

    def collect(self) -> Iterator[Metric]:
        try:
            with urllib.request.urlopen(self.url, timeout=_SCRAPE_TIMEOUT_SECONDS) as answer:
                text = answer.read().decode("utf-8")
        except (urllib.error.URLError, OSError) as err:
            logger.warning("Temporal SDK metrics not read from %s (%s)", self.url, type(err).__name__)
            return
        yield from text_string_to_metric_families(text)


def serve_worker_metrics(port: int, host: str, sdk_metrics_address: str | None) -> None:
    """Start the worker's metrics server (a daemon thread) with the SDK's series merged in."""
    try:
        start_http_server(port, addr=host)
    except OSError as err:  # a metrics port taken must not stop the work; the scrape target shows down
        logger.error("no metrics: cannot serve WORKER_METRICS_PORT %d on %s (%s)", port, host, err.strerror)
        return
    if sdk_metrics_address:
        REGISTRY.register(SdkMetrics(sdk_metrics_address))
    logger.info("metrics on http://%s:%d/metrics", host, port)
