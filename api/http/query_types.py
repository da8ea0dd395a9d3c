"""Query parameters that take dates and instants only as written text: pydantic's lax mode would read
`?to=0` as 1970-01-01 and `?as_of=1700000000` as a Unix time, and answer for a period nobody asked for."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from workflows.domain.inputs import MONTH_DAY, TIME_OF_DAY

_CALENDAR_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# RFC 3339: a date, "T" or a space, a time; the offset is checked where the instant is used.
_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}")


def _calendar_date_text(value: Any) -> Any:
    if not isinstance(value, str) or not _CALENDAR_DATE.match(value):
        raise ValueError("must be a calendar date written YYYY-MM-DD")
    return value


def _instant_text(value: Any) -> Any:
    if not isinstance(value, str) or not _INSTANT.match(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, such as 2026-11-30T12:00:00+01:00")
    return value


QueryDate = Annotated[date, BeforeValidator(_calendar_date_text)]
QueryInstant = Annotated[datetime, BeforeValidator(_instant_text)]
# An `as_of` as `api.http.problems.checked_as_of` takes it, for clients: RFC 3339 with its offset, written on or after
# 2000-01-01 (that it lies in the past, no pattern can say).
AS_OF_PATTERN = f"^[2-9][0-9]{{3}}-{MONTH_DAY}{TIME_OF_DAY}$"
AsOf = Annotated[QueryInstant, Field(json_schema_extra={"pattern": AS_OF_PATTERN})]
