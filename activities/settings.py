"""Process configuration, read from environment variables (names are the field names in upper case).

Every process (worker, API, `python -m deploy.local`, the registration and migration commands) reads the
same `Settings` through `get_settings()`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.payload_codec import KEY_FORMAT, KeyRingError, PayloadKey, parse_key_ring

DEFAULT_TEMPORAL_ADDRESS = "127.0.0.1:7233"
DEFAULT_TASK_QUEUE = "genoptraening-cases"


class Settings(BaseSettings):
    # hide_input_in_errors: a rejected value (a key, a URL with a password) is never echoed in the error.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True)

    database_url: str | None = Field(
        default=None,
        description="libpq connection string; unset means `python -m deploy.local` starts an embedded PostgreSQL",
    )
    temporal_address: str = Field(
        default=DEFAULT_TEMPORAL_ADDRESS,
        description="host:port of the Temporal frontend; unset means `python -m deploy.local` starts a dev server",
    )
    temporal_namespace: str = "default"
    temporal_task_queue: str = DEFAULT_TASK_QUEUE
    temporal_tls_ca: Path | None = Field(default=None, description="PEM file with the server's root CA")
    temporal_tls_cert: Path | None = Field(default=None, description="PEM client certificate (mTLS)")
    temporal_tls_key: Path | None = Field(default=None, description="PEM client private key (mTLS)")
    temporal_tls_server_name: str | None = Field(default=None, description="Override the TLS server name")
    temporal_api_key: SecretStr | None = None
    payload_encryption_keys: SecretStr | None = Field(
        default=None,
        description=f"AES-256 keys for Temporal payloads, `{KEY_FORMAT}`: the first encrypts, all decrypt. "
        "Unset: payloads go to Temporal unencrypted (`python -m deploy.local` makes a local key instead)",
    )
    temporal_ui_origin: str = Field(
        default="http://127.0.0.1:8233",
        description="Origin(s) of the Temporal UI allowed to call the codec endpoint (CORS), comma-separated",
    )

    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(
        default=1024 * 1024,
        ge=1,
        description="Largest request body the API reads, in bytes; larger ones are answered 413 before they "
        "are read. A route that needs more (a document intake) sets its own FastAPI `max_body_size`",
    )

    command_answer_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long the API waits for a worker to take and answer a command before it answers 503 "
        "(the command may still be applied: the same Idempotency-Key tells)",
    )
    database_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="How long the API waits for a PostgreSQL connection before it answers 503",
    )
    retry_after_seconds: int = Field(default=5, ge=1, le=3600, description="The Retry-After of a 503 answer")

    data_dir: Path = Field(default=Path(".data"), description="Where `deploy.local` keeps embedded state")
    default_contact_working_days: int = Field(default=5, ge=1)
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
            raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}")
        return level

    @field_validator("payload_encryption_keys")
    @classmethod
    def _valid_key_ring(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None:
            try:
                parse_key_ring(value.get_secret_value())
            except KeyRingError as err:
                raise ValueError(f"PAYLOAD_ENCRYPTION_KEYS: {err}") from None
        return value

    @field_validator("temporal_ui_origin")
    @classmethod
    def _valid_origins(cls, value: str) -> str:
        origins = [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        for origin in origins:
            if not origin.startswith(("http://", "https://")) or origin.count("/") != 2:
                raise ValueError(f"TEMPORAL_UI_ORIGIN must be scheme://host[:port] origins, not {origin!r}")
        return ",".join(origins)

    @property
    def payload_keys(self) -> list[PayloadKey]:
        """The payload key ring (encrypting key first); empty when PAYLOAD_ENCRYPTION_KEYS is unset."""
        if self.payload_encryption_keys is None:
            return []
        return parse_key_ring(self.payload_encryption_keys.get_secret_value())

    @property
    def temporal_ui_origins(self) -> list[str]:
        return [origin for origin in self.temporal_ui_origin.split(",") if origin]

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

    def require_database_url(self) -> str:
        """The database URL, or a clear error for a process started outside `deploy.local` without one."""
        if self.database_url is None:
            raise RuntimeError(
                "DATABASE_URL is not set. Start everything with `make run` (which provides an embedded "
                "PostgreSQL), or set DATABASE_URL=postgresql://user:password@host:5432/genoptraening"
            )
        return self.database_url


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read from the environment once."""
    return Settings()
