"""Danish calendar arithmetic: local dates, end-of-day instants and working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

DANISH_TIME = ZoneInfo("Europe/Copenhagen")


MONTHS = (
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
)  # fmt: skip


def danish_date(day: date) -> str:
    """The one date style of what the citizen reads (letters, klagevejledning): "7. december 2026"."""
    return f"{day.day}. {MONTHS[day.month - 1]} {day.year}"


def local_date(instant: datetime) -> date:
    return instant.astimezone(DANISH_TIME).date()


def end_of_local_day(day: date) -> datetime:
    """The instant a day ends in Denmark: a deadline "on day D" falls due when D+1 begins."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=DANISH_TIME)


# Danish public holidays from the `holidays` library (Store Bededag is gone from 2024, which it knows).
# Computed once at import, outside the workflow sandbox: the library reads the local clock lazily.
_HOLIDAY_YEARS = range(2018, 2071)
_DANISH_PUBLIC_HOLIDAYS: frozenset[date] = frozenset(holidays.country_holidays("DK", years=_HOLIDAY_YEARS).keys())

# The days this calendar can count working days on: every date a request carries must lie among them, so a
# deadline is never computed outside it (the API refuses other dates with a 422, see workflows/domain/inputs.py).
FIRST_CALENDAR_DAY = date(_HOLIDAY_YEARS.start, 1, 1)
LAST_CALENDAR_DAY = date(_HOLIDAY_YEARS.stop - 1, 12, 31)


def in_calendar(day: date) -> bool:
    return FIRST_CALENDAR_DAY <= day <= LAST_CALENDAR_DAY


def _is_public_holiday(day: date) -> bool:
    if not in_calendar(day):
        raise ValueError(f"no Danish holiday calendar for {day.year}")
    return day in _DANISH_PUBLIC_HOLIDAYS


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not _is_public_holiday(day)


def add_working_days(start: date, working_days: int) -> date:
    """The date that lies `working_days` working days after `start` (start itself not counted)."""
    day = start
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def subtract_working_days(start: date, working_days: int) -> date:
    """The date that lies `working_days` working days before `start`."""
    day = start
    remaining = working_days
    while remaining > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
