"""The commands' settings block: how long a command waits for its answer, what a 503 says, and the deadlines a
case takes when its municipality's register names none."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommandSettings(BaseSettings):
    # hide_input_in_errors: a rejected value (a URL with a password) is never echoed in the error.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True)

    command_answer_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        le=300,
        description="How long the API waits for a worker to take and answer a command before it answers 503 "
        "(the command may still be applied: the same Idempotency-Key tells)",
    )
    retry_after_seconds: int = Field(default=5, ge=1, le=3600, description="The Retry-After of a 503 answer")

    default_contact_working_days: int = Field(default=5, ge=1)
    case_warning_working_days: int | None = Field(
        default=None,
        ge=1,
        le=20,
        description="Working days before a deadline its warning goes out, where the municipality register names "
        "none; unset: the rules' default (2)",
    )
