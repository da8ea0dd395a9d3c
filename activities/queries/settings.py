"""The read side's settings block: how far ahead the inbox's `due_soon` view looks."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class InboxSettings(BaseSettings):
    # hide_input_in_errors: a rejected value (a URL with a password) is never echoed in the error.
    model_config = SettingsConfigDict(case_sensitive=False, extra="ignore", frozen=True, hide_input_in_errors=True)

    inbox_due_soon_working_days: int = Field(
        default=2,
        ge=1,
        le=20,
        description="The inbox view `due_soon` holds the open cases whose next deadline falls by the end of the "
        "Danish day this many working days from today (a request may ask for 1..20 with `within_working_days`)",
    )
