"""The platform's settings block: the database, the queue the service's workflows run on, where local state is kept,
and the log level. Every process reads it (composed into `activities.runtime.settings.Settings`)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from activities.platform.startup_checks import StartupError, check_database_url

DEFAULT_TASK_QUEUE = "genoptraening-cases"


class PlatformSettings(BaseSettings):
    # hide_input_in_errors: a rejected value (a URL with a password) is never echoed in the error.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True)

    database_url: str | None = Field(
        default=None,
        description="libpq connection string; unset means `python -m deploy.local` starts an embedded PostgreSQL",
    )
    database_wait_seconds: float = Field(
        default=5.0,
        gt=0,
        le=120,
        description="How long the API waits for a PostgreSQL connection before it answers 503",
    )
    temporal_task_queue: str = DEFAULT_TASK_QUEUE
    data_dir: Path = Field(default=Path(".data"), description="Where `deploy.local` keeps embedded state")
    log_level: str = "INFO"

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
            raise ValueError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, not {value!r}")
        return level

    @field_validator("database_url")
    @classmethod
    def _valid_database_url(cls, value: str | None) -> str | None:
        # The form only, so a typo fails at start with a clear line; libpq would quote the URL, password and all.
        if value is not None:
            check_database_url(value)
        return value

    def require_database_url(self) -> str:
        """The database URL, or a clear error for a process started outside `deploy.local` without one."""
        if self.database_url is None:
            raise StartupError(
                "DATABASE_URL is not set. Start everything with `make run` (which provides an embedded "
                "PostgreSQL), or set DATABASE_URL=postgresql://user:password@host:5432/genoptraening"
            )
        return self.database_url
