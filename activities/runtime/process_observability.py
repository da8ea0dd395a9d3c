"""What every process of the service sets up first: the one log format, traces, and the Temporal runtime that
forwards the core's logs (and, in the worker, serves the SDK's metrics). One call per entry point."""

from __future__ import annotations

import logging

from activities.platform.logging_setup import configure_logging
from activities.platform.tracing import configure_tracing
from activities.runtime.observability_settings import ObservabilitySettings
from activities.runtime.temporal_runtime import install_runtime, serve_worker_metrics

logger = logging.getLogger("genoptraening.observability")


def start_observability(service: str, level: str | int = "INFO", *, traced: bool = True) -> ObservabilitySettings:
    """Logging in the one format, traces (when `traced`), and the Temporal runtime, before any client connects."""
    settings = ObservabilitySettings()
    configure_logging(service, level, log_format=settings.log_format_choice)
    if traced:
        configure_tracing(service)
    install_runtime()
    return settings


def start_worker_observability(level: str | int = "INFO") -> ObservabilitySettings:
    """As `start_observability`; the SDK's metrics come with `install_worker_runtime`, once the startup checks
    have passed (a worker that cannot start binds no port and says only why)."""
    return start_observability("genoptraening-worker", level)


def install_worker_runtime() -> None:
    """The runtime for the worker's client: the SDK serves its metrics on loopback for the metrics port."""
    settings = ObservabilitySettings()
    install_runtime(settings.worker_sdk_metrics_address if settings.worker_metrics_port else None)


def start_worker_metrics() -> None:
    """The worker's metrics port (WORKER_METRICS_PORT), its own series with the SDK's merged in."""
    settings = ObservabilitySettings()
    port = settings.worker_metrics_port
    if port:
        serve_worker_metrics(port, settings.worker_metrics_host, settings.worker_sdk_metrics_address)
    else:
        logger.info("no metrics port (WORKER_METRICS_PORT=0)")


def worker_metrics_url() -> str:
    """Where the worker's metrics are, for the supervisor's announcement."""
    settings = ObservabilitySettings()
    if not settings.worker_metrics_port:
        return "metrics off (WORKER_METRICS_PORT=0)"
    host = settings.worker_metrics_host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{settings.worker_metrics_port}/metrics"
