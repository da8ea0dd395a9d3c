"""Danish calendar arithmetic: local dates, end-of-day instants and working days."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

DANISH_TIME = ZoneInfo("Europe/Copenhagen")


def local_date(instant: datetime) -> date:
    return instant.astimezone(DANISH_TIME).date()


def end_of_local_day(day: date) -> datetime:
    """The instant a day ends in Denmark: a deadline "on day D" falls due when D+1 begins."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=DANISH_TIME)


@lru_cache(maxsize=64)
def _danish_public_holidays(year: int) -> frozenset[date]:
    # Danish public holidays (helligdagsloven); Store Bededag is gone from 2024, which the library knows.
    return frozenset(holidays.country_holidays("DK", years=year).keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _danish_public_holidays(day.year)


def add_working_days(start: date, working_days: int) -> date:
    """The date that lies `working_days` working days after `start` (start itself not counted)."""
    day = start
    remaining = working_days
    while remaining > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day
