"""The observability block of the settings: log format, metrics ports and cache (docs/observability.md).
Traces take the OpenTelemetry SDK's own OTEL_* variables (`activities.platform.tracing`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ObservabilitySettings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True)

    log_format: Literal["auto", "json", "text"] = Field(
        default="auto",
        description="json: one JSON object a line; text: readable lines; auto: json unless stderr is a terminal",
    )
    worker_metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        description="Port of the worker's /metrics (its own series and the Temporal SDK's). 0: no metrics port",
    )
    worker_metrics_host: str = Field(default="0.0.0.0", description="Address the worker's metrics port binds")
    worker_sdk_metrics_address: str = Field(
        default="127.0.0.1:9465",
        description="Loopback host:port where the Temporal SDK serves its metrics for the worker to re-expose",
    )
    metrics_cache_seconds: float = Field(
        default=15.0,
        ge=0,
        le=3600,
        description="How long the API reuses one round of read-model and outbox queries for its gauges",
    )

    @property
    def log_format_choice(self) -> str | None:
        """For `configure_logging`: None lets the terminal decide."""
        return None if self.log_format == "auto" else self.log_format
