"""One form for every timestamp in a response: UTC with `Z` (`2026-11-30T10:15:00Z`).

Timestamps reach a response in whatever offset they were made with: Danish time for deadlines,
the caller's offset for a `contacted_at`, the session time zone for PostgreSQL columns, and as text
inside an event's stored body. A response model that inherits `UtcTimestamps` turns all of them into
the same instant in UTC when it is built, nested models and untyped JSON included, so clients compare
strings from the list, the case and the timeline without parsing offsets. Pydantic writes a UTC
datetime with `Z`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, model_validator

# An RFC 3339 date-time with an explicit offset; dates, times and free text never match.
_OFFSET_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})")


def utc_text(value: str) -> str:
    """`2026-11-30T11:15:00+01:00` -> `2026-11-30T10:15:00Z`; any other text unchanged."""
    if value.endswith("Z") or not _OFFSET_DATETIME.fullmatch(value):
        return value
    moment = datetime.fromisoformat(value).astimezone(UTC)
    return moment.isoformat().replace("+00:00", "Z")


def in_utc(value: Any) -> Any:
    """`value` with every aware datetime (and date-time text) moved to UTC, in models, dicts and lists."""
    if isinstance(value, datetime):
        # A naive datetime has no instant to convert; the domain makes none, so it is left as it is.
        return value.astimezone(UTC) if value.tzinfo is not None else value
    if isinstance(value, str):
        return utc_text(value)
    if isinstance(value, BaseModel):
        # model_copy, not a new instance: frozen domain models are copied without running their rules again.
        fields = type(value).model_fields
        return value.model_copy(update={name: in_utc(getattr(value, name)) for name in fields})
    if isinstance(value, dict):
        return {key: in_utc(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(in_utc(item) for item in value)
    return value


class UtcTimestamps(BaseModel):
    """Base of response models: every timestamp in the model, however deeply nested, is in UTC."""

    @model_validator(mode="before")
    @classmethod
    def _timestamps_in_utc(cls, data: Any) -> Any:
        # Before validation, so the JSON schema of the fields stays exactly the declared one.
        return in_utc(data)
