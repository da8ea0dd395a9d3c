"""Process configuration, read from environment variables (names are the field names in upper case).

Every process (worker, API, `python -m deploy.local`, the registration and migration commands) reads the
same `Settings` through `get_settings()`.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from activities.intake.settings import IntakeSettings
from activities.kl_gateway.settings import KlGatewaySettings
from activities.platform.startup_checks import (
    StartupError,
    read_settings,
)
from activities.queries.settings import InboxSettings
from activities.sealing.settings import CitizenKeySettings

DEFAULT_TEMPORAL_ADDRESS = "127.0.0.1:7233"
# The worker's workflow cache, which bounds its memory (docs/benchmarks.md, "Worker memory per cached case"): about
# 190 MiB at rest plus about 0.35 MiB per cached case, so 500 stays well inside deploy/kubernetes/worker.yaml's
# 512 MiB limit, where the SDK's own default of 1,000 would not.
DEFAULT_MAX_CACHED_WORKFLOWS = 500


class Settings(IntakeSettings, InboxSettings, CitizenKeySettings, KlGatewaySettings):
    """Every settings block of the service, composed for its processes (the worker, operator commands); the API
    adds its own (`api.settings.ApiSettings`). Each part reads its own block; only the processes read this."""

    # hide_input_in_errors: a rejected value (a key, a URL with a password) is never echoed in the error.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True)

    temporal_address: str = Field(
        default=DEFAULT_TEMPORAL_ADDRESS,
        description="host:port of the Temporal frontend; unset means `python -m deploy.local` starts a dev server",
    )
    temporal_namespace: str = "default"
    temporal_tls_ca: Path | None = Field(default=None, description="PEM file with the server's root CA")
    temporal_tls_cert: Path | None = Field(default=None, description="PEM client certificate (mTLS)")
    temporal_tls_key: Path | None = Field(default=None, description="PEM client private key (mTLS)")
    temporal_tls_server_name: str | None = Field(default=None, description="Override the TLS server name")
    temporal_api_key: SecretStr | None = None
    temporal_ui_origin: str = Field(
        default="http://127.0.0.1:8233",
        description="Origin(s) of the Temporal UI allowed to call the codec endpoint (CORS), comma-separated",
    )
    codec_auth_required: bool = Field(
        default=True,
        description="Whether /codec/decode and /codec/encode require a verified ops_decrypt token (the UI sends "
        "it with `codec.passAccessToken`). false is local mode, for `make run`'s dev UI, which has no login: "
        "allowed only with API_HOST set to a loopback address (the API refuses to start otherwise); decodes are "
        "still access-logged, as `local-operator`",
    )
    codec_decode_log_window_seconds: int = Field(
        default=300,
        ge=0,
        le=3600,
        description="One access-log row per user, citizen and municipality for the decodes within this many seconds: "
        "the Temporal UI decodes one page in many requests and sends nothing that names the page. 0: a row for "
        "every decode request",
    )

    max_cached_workflows: int = Field(
        default=DEFAULT_MAX_CACHED_WORKFLOWS,
        ge=0,
        le=100_000,
        description="How many workflow runs (open cases, their messages) the worker keeps in memory between tasks; "
        "a run not cached is replayed from its history on its next task. Measured per cached case by "
        "`bench/worker_memory.py` (docs/benchmarks.md); 0 caches none",
    )

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Largest request body the API reads, in bytes; larger ones are answered 413 before they "
        "are read. A route that needs more (a document intake) sets its own FastAPI `max_body_size`",
    )

    @field_validator("temporal_ui_origin")
    @classmethod
    def _valid_origins(cls, value: str) -> str:
        origins = [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise ValueError(f"TEMPORAL_UI_ORIGIN must be scheme://host[:port] origins, not {origin!r}")
        return ",".join(origins)

    @property
    def temporal_ui_origins(self) -> list[str]:
        return [origin for origin in self.temporal_ui_origin.split(",") if origin]

    @property
    def api_host_is_loopback(self) -> bool:
        """True when API_HOST is a loopback address (127.0.0.0/8, ::1) or `localhost`: no other machine reaches it."""
        return is_loopback(self.api_host.strip().strip("[]").lower())

    def require_codec_auth(self) -> None:
        """StartupError when the codec's local mode (CODEC_AUTH_REQUIRED=false) is set on an API that other machines
        may reach: there, decrypting payloads without a token would open every CPR number to the network. API_HOST
        must be set, not defaulted: a container runs `uvicorn --host 0.0.0.0` with API_HOST unset."""
        if self.codec_auth_required or ("api_host" in self.model_fields_set and self.api_host_is_loopback):
            return
        bound = f"API_HOST is {self.api_host!r}" if "api_host" in self.model_fields_set else "API_HOST is not set"
        raise StartupError(
            f"CODEC_AUTH_REQUIRED=false (codec local mode) needs API_HOST set to a loopback address (127.0.0.1, ::1, "
            f"localhost) and the API bound there; {bound}. Unset CODEC_AUTH_REQUIRED: /codec/* then requires an "
            "ops_decrypt token"
        )

    @property
    def temporal_address_is_set(self) -> bool:
        """True when TEMPORAL_ADDRESS came from the environment (or a constructor argument), not the default."""
        return "temporal_address" in self.model_fields_set

    @property
    def temporal_tls_enabled(self) -> bool:
        return any(
            value is not None
            for value in (self.temporal_tls_ca, self.temporal_tls_cert, self.temporal_tls_key, self.temporal_api_key)
        )

    def require_temporal_tls(self) -> None:
        """StartupError when the TEMPORAL_TLS_* files cannot serve: a certificate without its key (or the other way
        round), or a file that cannot be read. Checked at start, not when the client first connects."""
        problems = []
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            problems.append("TEMPORAL_TLS_CERT and TEMPORAL_TLS_KEY must be set together")
        for name, path in (
            ("TEMPORAL_TLS_CA", self.temporal_tls_ca),
            ("TEMPORAL_TLS_CERT", self.temporal_tls_cert),
            ("TEMPORAL_TLS_KEY", self.temporal_tls_key),
        ):
            if path is not None:
                try:
                    path.read_bytes()
                except OSError as err:
                    problems.append(f"{name} cannot be read ({type(err).__name__})")
        if problems:
            raise StartupError("; ".join(problems))


def is_loopback(host: str | None) -> bool:
    """A loopback address (127.0.0.0/8, ::1) or `localhost`: only this machine reaches it."""
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once.

    An invalid setting ends the process with one line naming each (logged, or on stderr before logging is set
    up) and exit code 2, without a traceback. Entry points check first with `activities.runtime.startup_settings`,
    which names the other settings blocks' problems too. Tests build `Settings()`."""
    return read_settings(Settings)
