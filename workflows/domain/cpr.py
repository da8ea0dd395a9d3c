"""CPR number checks (the CPR office's rules, see docs/rules.md).

A CPR number is accepted when its first six digits are a real date in the century that digit 7 selects.
Modulus 11 is only a warning: numbers issued since 1 October 2007 may fail it and are fully valid
(cpr.dk, "Personnumre uden kontrolciffer").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# ASCII digits only: `\d` would take other scripts' digits, which no register holds.
_CPR_PATTERN = re.compile(r"^([0-9]{6})-?([0-9]{4})$")
# A CPR number as JSON Schema states it to clients: exactly what `check_cpr` takes (the spaces it strips
# aside), so a client generating from the schema never sends one it refuses. A day its month has, in any
# year; 29 February when the year is a leap year: YY divisible by 4 except 00, or 00 with digit 7 from 4 (2000;
# with 0-3, 1900 was none).
_ANY_YEAR = (
    "(?:(?:0[1-9]|[12][0-9]|3[01])(?:0[13578]|1[02])|(?:0[1-9]|[12][0-9]|30)(?:0[469]|11)|(?:0[1-9]|1[0-9]|2[0-8])02)"
)
_LEAP_DAY = "2902(?:0[48]|[2468][048]|[13579][26])-?[0-9]{4}|290200-?[4-9][0-9]{3}"
CPR_SHAPE = f"^(?:{_ANY_YEAR}[0-9]{{2}}-?[0-9]{{4}}|{_LEAP_DAY})$"
_MOD11_WEIGHTS = (4, 3, 2, 7, 6, 5, 4, 3, 2, 1)


class InvalidCpr(ValueError):
    """The text cannot be a CPR number (format, date or century)."""


@dataclass(frozen=True)
class CprCheck:
    normalised: str
    birth_date: date
    passes_modulus_11: bool


def _century(digit7: int, yy: int) -> int:
    # Century table of the CPR office ("Personnummeret i CPR-systemet").
    if digit7 <= 3:
        return 1900
    if digit7 in (4, 9):
        return 2000 if yy <= 36 else 1900
    return 2000 if yy <= 57 else 1800


def check_cpr(text: str) -> CprCheck:
    match = _CPR_PATTERN.match(text.strip())
    if match is None:
        raise InvalidCpr("CPR must be 10 digits, DDMMYY-SSSS or DDMMYYSSSS")
    digits = match.group(1) + match.group(2)
    day, month, yy, digit7 = int(digits[0:2]), int(digits[2:4]), int(digits[4:6]), int(digits[6])
    try:
        birth_date = date(_century(digit7, yy) + yy, month, day)
    except ValueError as exc:
        raise InvalidCpr("CPR does not start with a valid birth date (DDMMYY)") from exc
    weighted = sum(int(d) * w for d, w in zip(digits, _MOD11_WEIGHTS, strict=True))
    return CprCheck(normalised=digits, birth_date=birth_date, passes_modulus_11=weighted % 11 == 0)
