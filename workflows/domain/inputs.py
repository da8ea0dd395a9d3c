"""The rules every value that arrives from outside obeys, whatever field it fills: text, dates and booleans.

- **Text** holds no C0 control character except tab, line feed and carriage return, and no DEL (U+007F).
  PostgreSQL cannot store NUL at all, so a plan or command holding one was accepted and then failed at the
  append; the other control characters are invisible in every view and break the messages the case is
  passed on in. No keyboard or form produces DEL, so it is refused with them. Single-line fields (names,
  ids, team) refuse tab and line breaks as well (`Line`).
- **Dates** lie within the holiday calendar (`workflows.domain.calendar`), the only span in which working
  days, and so deadlines, can be counted; an instant by the day it is written with, in its own offset, which
  the OpenAPI document can state as a pattern (`api.schema_rules`). No instant a body takes is counted from:
  a contact lies in the past, after the plan arrived, and the access log's bounds only select rows.
- **Booleans** are JSON `true`/`false` only: use pydantic's `StrictBool`, so `0`, `1` and `"true"` are refused.

The checks walk a whole body once, so no string or date field can be forgotten: `refuse_control_characters`
on the raw input (before any field is parsed) and `refuse_dates_outside_calendar` on the parsed model. Errors
name the field and never echo its value (a plan carries CPR numbers and health information).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError, ValidationInfo, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from workflows.domain.calendar import FIRST_CALENDAR_DAY, LAST_CALENDAR_DAY, in_calendar

T = TypeVar("T")
Loc = tuple[int | str, ...]

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NUL = re.compile(r"\x00")
_LINE_BREAKING = re.compile(r"[\x00-\x1f\x7f]")
_EXTENDED_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}")

TEXT_MESSAGE = (
    "must not contain control characters (U+0000 to U+001F other than tab, line feed and carriage return, or U+007F)"
)
LINE_MESSAGE = "must be a single line without tabs or control characters"
DATE_MESSAGE = f"must lie between {FIRST_CALENDAR_DAY.isoformat()} and {LAST_CALENDAR_DAY.isoformat()}"

# The calendar rule as JSON Schema patterns of the whole value, for the OpenAPI document (`api.schema_rules`) beside
# `format: date` / `date-time`, which refuse the days a month lacks. The calendar's whole years 2018-2070; ASCII
# digits only (ECMA-262 `\d` is ASCII, Python's is not). An instant as pydantic reads it: no leap second, any
# fraction, an offset within a day.
CALENDAR_YEAR = "(?:201[89]|20[2-6][0-9]|2070)"
MONTH_DAY = "(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])"
TIME_OF_DAY = "[Tt](?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]+)?(?:[Zz]|[+-](?:[01][0-9]|2[0-3]):[0-5][0-9])"
CALENDAR_DATE_PATTERN = f"^{CALENDAR_YEAR}-{MONTH_DAY}$"
CALENDAR_INSTANT_PATTERN = f"^{CALENDAR_YEAR}-{MONTH_DAY}{TIME_OF_DAY}$"
# A calendar day from 1 July 2018, when the first rules this service applies came into force: a plan's discharge
# (`FIRST_DISCHARGE_DATE`) and an application's date (the first legal reference table) lie on or after it
# (tests/api/http/test_schema_rules.py holds the pattern to both).
RULES_IN_FORCE_DATE_PATTERN = (
    "^(?:2018-(?:0[7-9]|1[0-2])|(?:2019|20[2-6][0-9]|2070)-(?:0[1-9]|1[0-2]))-(?:0[1-9]|[12][0-9]|3[01])$"
)


def _strings(raw: Any, loc: Loc) -> Iterator[tuple[Loc, str]]:
    if isinstance(raw, str):
        yield loc, raw
    elif isinstance(raw, dict):
        for key, value in raw.items():
            yield from _strings(value, (*loc, str(key)))
    elif isinstance(raw, list | tuple):
        for index, value in enumerate(raw):
            yield from _strings(value, (*loc, index))


def _dates(value: Any, loc: Loc) -> Iterator[tuple[Loc, date]]:
    if isinstance(value, datetime):  # before `date`: a datetime is a date too
        yield loc, value.date()  # the day as written, in its own offset
    elif isinstance(value, date):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _dates(getattr(value, name), (*loc, name))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _dates(item, (*loc, index))


def _refuse(title: str, kind: str, message: str, locations: list[Loc]) -> None:
    if locations:
        # `input=None`: the value stays out of the error, and so out of any log line that prints it.
        details = [InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=None) for loc in locations]
        raise ValidationError.from_exception_data(title, details)


def refuse_control_characters(raw: T, pattern: re.Pattern[str] = CONTROL_CHARACTERS) -> T:
    """Raw input (parsed JSON) unchanged, or a ValidationError naming every string field that holds a
    control character. Used as a before-validator of a whole body."""
    _refuse("text", "control_character", TEXT_MESSAGE, [loc for loc, text in _strings(raw, ()) if pattern.search(text)])
    return raw


def refuse_nul(raw: T) -> T:
    return refuse_control_characters(raw, NUL)


def refuse_dates_outside_calendar(model: T) -> T:
    """A parsed body unchanged, or a ValidationError naming every date or instant outside the calendar."""
    _refuse(
        "dates", "date_outside_calendar", DATE_MESSAGE, [loc for loc, day in _dates(model, ()) if not in_calendar(day)]
    )
    return model


def _iso_day(text: str) -> date | None:
    """The day an ISO 8601 date or date-time string is written with, or None for any other text (the compact
    `20710101` too: a SOR id or a number is no date)."""
    if not _EXTENDED_DATE.match(text):
        return None
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        return datetime.fromisoformat(text).date()
    except ValueError:
        return None


def name_dates_outside_calendar(raw: Any, handler: Any) -> Any:
    """A wrap validator: the model as `handler` builds it, with every date checked against the calendar.

    A model's own rules (a period's end after its start, say) may refuse a date outside the calendar under
    another field's name; then the raw input is searched for whole ISO dates outside the calendar, so the
    refusal names the field that holds one."""
    try:
        model = handler(raw)
    except ValidationError:
        outside = [loc for loc, text in _strings(raw, ()) if (day := _iso_day(text)) and not in_calendar(day)]
        _refuse("dates", "date_outside_calendar", DATE_MESSAGE, outside)
        raise
    return refuse_dates_outside_calendar(model)


def _single_line(value: str) -> str:
    if _LINE_BREAKING.search(value):
        raise ValueError(LINE_MESSAGE)
    return value


# The schema says it too (the same rule as `_LINE_BREAKING`), so generated clients know.
Line = Annotated[
    str, AfterValidator(_single_line), Field(json_schema_extra={"pattern": "^[^\\u0000-\\u001f\\u007f]*$"})
]


class NulFree(BaseModel):
    """Base of the domain models a request body is made of, which are also decoded from what was stored.

    The full rules above apply at the API's door (`api.models.request_body`), because plans and applications
    stored before them must go on decoding. NUL alone is refused here too, wherever such a model is built:
    PostgreSQL cannot store it, so nothing stored holds one. Temporal histories are decoded in JSON mode and
    are left alone, so a command with a NUL that reached a workflow before this rule still replays.
    """

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any, info: ValidationInfo) -> Any:
        if info.mode == "json" or (info.context or {}).get(FROM_STORE_KEY):
            return data  # a history, or a body PostgreSQL stored: it cannot hold a NUL
        return refuse_nul(data)


FROM_STORE_KEY = "from_store"
# The validation context of a body read back from PostgreSQL (`event_from_json`): the NUL walk over every string of
# every nested model is skipped there (a rebuild loads every event; the walk was a fifth of it).
FROM_STORE: dict[str, bool] = {FROM_STORE_KEY: True}
