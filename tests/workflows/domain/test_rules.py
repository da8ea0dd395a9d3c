"""Table-driven tests of the pure rules: CPR, calendars and deadlines."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.factories import make_plan
from workflows.domain.calendar import add_working_days, end_of_local_day, is_working_day
from workflows.domain.cpr import InvalidCpr, check_cpr
from workflows.domain.deadlines import contact_due_on, start_guarantee_due_on
from workflows.domain.model import Level
from workflows.domain.rules import rules_for


@pytest.mark.parametrize(
    ("cpr", "birth_date", "modulus_11"),
    [
        ("2509479989", date(1947, 9, 25), False),  # MedCom test CPR; digit 7 = 9, YY 47 -> 1900s
        ("150277-9995", date(1977, 2, 15), False),
        ("0101004000", date(2000, 1, 1), False),  # digit 7 = 4, YY 00 -> 2000s; fails mod 11, still valid
        ("0101655000", date(1865, 1, 1), False),  # digit 7 = 5, YY 65 -> 1800s
        ("0101302000", date(1930, 1, 1), False),
        ("290200-4001", date(2000, 2, 29), True),  # leap day in 2000; passes mod 11
    ],
)
def test_cpr_accepts_real_dates_whatever_modulus_11_says(cpr: str, birth_date: date, modulus_11: bool) -> None:
    check = check_cpr(cpr)
    assert check.birth_date == birth_date
    assert check.passes_modulus_11 is modulus_11
    assert len(check.normalised) == 10


@pytest.mark.parametrize(
    "cpr",
    [
        "3102479989",
        "2913479989",
        "290201-4001",
        "12345",
        "25094799890",
        "abcdefghij",
        "２５０９４７９９８９",  # fullwidth digits: `int` reads them, no register holds them
        "٢٥٠٩٤٧٩٩٨٩",  # Arabic-Indic digits
    ],
)
def test_cpr_rejects_impossible_numbers(cpr: str) -> None:
    with pytest.raises(InvalidCpr):
        check_cpr(cpr)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 20), True),  # Friday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 4, 3), False),  # Langfredag
        (date(2026, 4, 6), False),  # 2. påskedag
        (date(2026, 5, 14), False),  # Kristi himmelfartsdag
        (date(2026, 12, 25), False),  # Juledag
        (date(2024, 4, 26), True),  # Store bededag, abolished from 2024
        (date(2023, 5, 5), False),  # Store bededag in 2023
    ],
)
def test_working_days_follow_danish_public_holidays(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("received", "working_days", "due"),
    [
        (date(2026, 11, 20), 5, date(2026, 11, 27)),  # Friday + 5 working days
        (date(2026, 11, 21), 5, date(2026, 11, 27)),  # received on a Saturday
        (date(2026, 4, 1), 5, date(2026, 4, 13)),  # over Easter
        (date(2026, 12, 23), 5, date(2026, 12, 31)),  # over Christmas
        (date(2026, 11, 20), 4, date(2026, 11, 26)),  # a municipality with 4 working days
    ],
)
def test_contact_deadline_counts_working_days(received: date, working_days: int, due: date) -> None:
    assert add_working_days(received, working_days) == due
    assert contact_due_on(received, working_days) == due


@pytest.mark.parametrize(
    ("level", "start_for_health_reasons", "due"),
    [
        (Level.ALMEN, None, date(2026, 11, 23)),
        (Level.ALMEN, "2026-12-01", date(2026, 12, 8)),  # SUL §140 stk. 4, 2nd sentence
        (Level.REHABILITERING_SPECIALISERET, None, date(2026, 11, 23)),
        (Level.SPECIALISERET, None, None),  # training at a hospital: no 7-day free choice
    ],
)
def test_start_guarantee_due_date(level: Level, start_for_health_reasons: str | None, due: date | None) -> None:
    plan = make_plan(
        level=level.value, discharge_date="2026-11-16", start_date_for_health_reasons=start_for_health_reasons
    )
    assert start_guarantee_due_on(plan, rules_for(plan.discharge_date)) == due


def test_deadline_falls_due_when_the_danish_day_ends() -> None:
    due = end_of_local_day(date(2026, 11, 23))
    assert due.isoformat() == "2026-11-24T00:00:00+01:00"
    summer = end_of_local_day(date(2026, 7, 1))
    assert summer.utcoffset() is not None and summer.utcoffset().total_seconds() == 7200  # type: ignore[union-attr]


def test_no_rules_before_the_free_choice_law() -> None:
    with pytest.raises(LookupError):
        rules_for(date(2018, 6, 30))
