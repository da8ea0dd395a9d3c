"""Every TCP port `make run` opens, the setting that chooses each, and the check that they are free.

The worker's probe and metrics addresses default to 0.0.0.0 because a pod is probed and scraped on its own
address; on a developer's machine nothing outside needs them, so `make run` binds them to loopback unless
WORKER_HEALTH_HOST or WORKER_METRICS_HOST is set. The dev server listens on loopback only (its UI decodes
payloads without a login). The embedded PostgreSQL opens no TCP port: it listens on a unix socket.
The README's port table lists the same ports (tests/deploy/test_local_ports.py compares them).
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.runtime.observability_settings import ObservabilitySettings
from activities.runtime.settings import Settings
from activities.runtime.worker_health import WorkerHealthSettings
from deploy.processes import port_in_use
from deploy.temporal_dev_server import HOST as DEV_SERVER_HOST
from deploy.temporal_dev_server import DevServerSettings

LOOPBACK = "127.0.0.1"


class PortsInUseError(RuntimeError):
    """One or more of `make run`'s ports is taken; the message names the setting that moves each."""


@dataclass(frozen=True)
class LocalPort:
    what: str
    setting: str  # the environment variable that chooses the port
    host: str
    port: int  # 0: none to check (off, or a free port the server picks itself)
    hint: str = ""

    @property
    def where(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class PortPlan:
    """The ports of one `make run`: the API's and the worker's unless `services` is off (--infra-only), the
    dev server's when it starts (`dev` is None with TEMPORAL_ADDRESS set)."""

    settings: Settings
    dev: DevServerSettings | None
    health: WorkerHealthSettings
    observability: ObservabilitySettings
    services: bool = True

    @classmethod
    def read(cls, settings: Settings, *, services: bool) -> PortPlan:
        """From the environment, with loopback for the worker's addresses that the environment leaves unset."""
        health = WorkerHealthSettings()
        if "host" not in health.model_fields_set:
            health = health.model_copy(update={"host": LOOPBACK})
        observability = ObservabilitySettings()
        if "worker_metrics_host" not in observability.model_fields_set:
            observability = observability.model_copy(update={"worker_metrics_host": LOOPBACK})
        dev = None if settings.temporal_address_is_set else DevServerSettings()
        return cls(settings, dev, health, observability, services)

    def ports(self) -> list[LocalPort]:
        ports: list[LocalPort] = []
        if self.services:
            ports += self._service_ports()
        if self.dev is not None:
            hint = f"Is another Temporal dev server running? TEMPORAL_ADDRESS={self.dev.address} would use it"
            ports += [
                LocalPort("Temporal dev server frontend", "TEMPORAL_DEV_PORT", DEV_SERVER_HOST, self.dev.port, hint),
                LocalPort("Temporal UI", "TEMPORAL_DEV_UI_PORT", DEV_SERVER_HOST, self.dev.ui_port, hint),
                LocalPort("Temporal HTTP API", "TEMPORAL_DEV_HTTP_PORT", DEV_SERVER_HOST, self.dev.http_port),
                LocalPort("Temporal metrics", "TEMPORAL_DEV_METRICS_PORT", DEV_SERVER_HOST, self.dev.metrics_port),
            ]
        return ports

    def _service_ports(self) -> list[LocalPort]:
        metrics = self.observability
        sdk_host, _, sdk_port = metrics.worker_sdk_metrics_address.rpartition(":")
        return [
            LocalPort("API", "API_PORT", self.settings.api_host, self.settings.api_port),
            LocalPort("worker probes", "WORKER_HEALTH_PORT", self.health.host, self.health.port),
            LocalPort(
                "worker metrics", "WORKER_METRICS_PORT", metrics.worker_metrics_host, metrics.worker_metrics_port
            ),
            # Served only with the worker's metrics port on (activities.runtime.process_observability).
            LocalPort(
                "Temporal SDK metrics",
                "WORKER_SDK_METRICS_ADDRESS",
                sdk_host,
                int(sdk_port) if metrics.worker_metrics_port and sdk_port.isdigit() else 0,
            ),
        ]

    def require_free(self) -> None:
        """PortsInUseError naming every port that something already listens on, and the setting to change."""
        taken = [port for port in self.ports() if port.port and port_in_use(port.host, port.port)]
        if taken:
            hints = dict.fromkeys(port.hint for port in taken if port.hint)  # once, however many ports share it
            message = "; ".join(f"{port.what} port {port.where} is in use (set {port.setting})" for port in taken)
            raise PortsInUseError(". ".join([message, *hints]))

    def children_env(self) -> dict[str, str]:
        """What the worker and the API need to bind and find these ports: the loopback addresses chosen here,
        and the dev UI's origin for the codec's CORS unless TEMPORAL_UI_ORIGIN is set."""
        env = {"WORKER_HEALTH_HOST": self.health.host, "WORKER_METRICS_HOST": self.observability.worker_metrics_host}
        if self.dev is not None and "temporal_ui_origin" not in self.settings.model_fields_set:
            env["TEMPORAL_UI_ORIGIN"] = self.dev.ui_url
        return env
