"""Read the hospital's free-text start deadline (GGOP `RehabilitationDeadline`) for a later start date.

SUL §140 stk. 4, last sentence: when the plan says training should start later for health reasons, the
7-day guarantee runs from that later date. Hospitals write it as free text ("tidligst 14 dage efter
udskrivelse", "opstart efter 1/12", "tidligst uge 50"), so this module only *proposes* a date, with the
words it came from; a caseworker confirms or rejects it. Pure: the discharge date and the date the clock
counts from are inputs, nothing reads a clock.

What is read (Danish, case-insensitive): delays in days, weeks or months ("14 dage", "3 uger", "to mdr.")
after a cue ("tidligst", "om", "efter", "først", "ikke før") or counted from discharge ("efter
udskrivelse"); dates as day/month with or without a year ("1/12", "15.12.2026", "1. december 2026",
"2026-12-01", day first as Danish writes it); ISO weeks ("uge 50", its Monday). Without a year the date
is the next occurrence on or after discharge. A range ("2-3 uger") gives its lower bound, the earliest
start the text allows.

No proposal rather than a wrong one, when the text:
- names nothing readable ("ingen", "primo december", "efter nytår", "halvanden uge");
- asks for an immediate start ("straks", "hurtigst muligt") — even if it also names a delay;
- counts from another event than discharge ("6 uger postoperativt", "14 dage efter gipsfjernelse");
- names two different dates (after the ones on or before discharge are dropped), an impossible date
  (31/2), or a date more than `HORIZON_DAYS` after discharge (a likely typo);
- names only upper bounds ("senest 1/12", "inden for 14 dage") or durations ("aflastning i 6 uger"):
  these say when training must start or how long something lasts, not that it must start later;
- gives a date not later than the date the clock already counts from.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

# A start proposed further out than this is taken for a typo and not proposed.
HORIZON_DAYS = 366

_NUMBER_WORDS = {
    "en": 1, "et": 1, "én": 1, "ét": 1, "to": 2, "tre": 3, "fire": 4, "fem": 5, "seks": 6, "syv": 7,
    "otte": 8, "ni": 9, "ti": 10, "elleve": 11, "tolv": 12, "tretten": 13, "fjorten": 14, "femten": 15,
    "seksten": 16, "sytten": 17, "atten": 18, "nitten": 19, "tyve": 20,
}  # fmt: skip
_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "maj": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "okt": 10,
    "nov": 11, "dec": 12,
}  # fmt: skip
_NUM = r"(?:\d{1,3}|" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")"
_END = r"(?![\wæøå])"

_RELATIVE = re.compile(
    rf"\b(?P<n>{_NUM})(?:\s*(?:-|–|til|og)\s*{_NUM})?\s*"
    rf"(?P<unit>dage|dag|dg|døgn|uger|uge|måneder|måned|mdr|mnd|md){_END}\.?"
    rf"(?:\s*(?P<post>post\s*-?\s*op\w*\.?)|\s+(?:efter|fra)\b\s*,?\s*(?:(?:din|hans|hendes|patientens)\s+)?"
    rf"(?P<anchor>[\wæøå.]*))?",
    re.IGNORECASE,
)
_NUMERIC_DATE = re.compile(
    r"(?<![\d/.,:-])(?P<d>\d{1,2})\s?[./]\s?(?P<m>\d{1,2})(?:(?:\s?[./-]\s?|\s)(?P<y>\d{4})|[./-](?P<yy>\d{2}))?(?![\d/])"
)
_ISO_DATE = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})\b")
_DASHED_DATE = re.compile(r"(?<![\d-])(?P<d>\d{1,2})-(?P<m>\d{1,2})-(?P<y>\d{4})\b")  # 01-12-2026
_NAMED_DATE = re.compile(
    r"\b(?P<d>\d{1,2})\.?\s*(?P<mon>januar|jan|februar|feb|marts|mar|april|apr|maj|juni|jun|juli|jul|august|aug"
    r"|september|sept|sep|oktober|okt|november|nov|december|dec)(?![a-zæøå])\.?(?:\s+(?P<y>\d{4}))?",
    re.IGNORECASE,
)
# What follows a fraction ("1/2 belastning", "3/4 af kropsvægten"), which is no date.
_FRACTION_OF = re.compile(r"^\s*(?:belast\w*|vægt\w*|kropsvægt\w*|del\w*|af\b|time\w*|dosis)", re.IGNORECASE)
_WEEK = re.compile(r"\buge\s*(?P<w>\d{1,2})(?:\s*(?:,|/|i|-)?\s*(?P<y>\d{4}))?(?!\d)", re.IGNORECASE)

_DISCHARGE = re.compile(r"^(?:udskriv\w*|udskr\.?|hjemkomst\w*|hjemsendelse\w*)$", re.IGNORECASE)
_IMMEDIATE = re.compile(
    r"\b(?:straks|umiddelbart|snarest|hurtigst\s+muligt|så\s+hurtigt\s+som\s+muligt|med\s+det\s+samme)\b",
    re.IGNORECASE,
)
_FILLER = r"(?:\s+(?:i|om|d\.|den|ca\.?|cirka|omkring|mellem|mindst|minimum|efter))*"
# A cue right before an expression that makes it the earliest start; the span starts at the cue.
_LOWER_CUE = re.compile(
    rf"\b(?P<cue>tidligst|først|ikke\s+før|ikke\s+inden|om|efter|fra|vent\w*){_FILLER}\s*$", re.IGNORECASE
)
# A cue that makes it the latest start (a deadline, not a later start) or a duration: not read.
_UPPER_CUE = re.compile(
    rf"(?<!ikke )\b(?:senest|inden\s+for|indenfor|inden|før|højst|maks\w*|max\w*|ikke\s+senere\s+end"
    rf"|i\s+løbet\s+af){_FILLER}\s*$",
    re.IGNORECASE,
)
_DURATION_CUE = re.compile(r"\b(?:i|på|over|varighed)(?:\s+(?:ca\.?|cirka|omkring))?\s*$", re.IGNORECASE)


class NoProposal(StrEnum):
    """Why a text gives no proposal (for tests and the docs; the case records only proposals)."""

    NOTHING_NAMED = "nothing_named"
    IMMEDIATE = "immediate"
    AMBIGUOUS = "ambiguous"
    NOT_LATER = "not_later"


class _Kind(StrEnum):
    DATE = "date"  # a calendar date or week
    DELAY = "delay"  # a delay with no event named: counted from discharge, if a cue makes it a start
    COUNTED_FROM_EVENT = "counted_from_event"  # "... efter udskrivelse", "... postoperativt"


@dataclass(frozen=True)
class ProposedStart:
    proposed_on: date
    start: int  # the span of the text the date came from: text[start:end]
    end: int
    source_text: str


@dataclass(frozen=True)
class _Found:
    on: date | None  # None: the text names a date or delay that cannot be placed
    start: int
    end: int


def read_start_text(text: str | None, *, discharge_date: date, counts_from: date) -> ProposedStart | NoProposal:
    """The later start `text` names, or why it names none; see the module docstring for the rules."""
    if text is None or not text.strip():
        return NoProposal.NOTHING_NAMED
    if _IMMEDIATE.search(text):
        return NoProposal.IMMEDIATE
    found = [f for f in _expressions(text, discharge_date) if f.on is None or f.on > discharge_date]
    if not found:
        return NoProposal.NOTHING_NAMED
    horizon = discharge_date + timedelta(days=HORIZON_DAYS)
    if any(f.on is None or f.on > horizon for f in found) or len({f.on for f in found}) > 1:
        return NoProposal.AMBIGUOUS
    first = found[0]
    assert first.on is not None
    if first.on <= counts_from:
        return NoProposal.NOT_LATER
    return ProposedStart(first.on, first.start, first.end, text[first.start : first.end])


def propose_later_start(text: str | None, *, discharge_date: date, counts_from: date) -> ProposedStart | None:
    reading = read_start_text(text, discharge_date=discharge_date, counts_from=counts_from)
    return reading if isinstance(reading, ProposedStart) else None


def _expressions(text: str, discharged: date) -> list[_Found]:
    """Every lower-bound date or delay in `text`, in order; overlapping matches keep the first, longest."""
    matches: list[tuple[int, int, date | None, _Kind]] = []
    for match in _RELATIVE.finditer(text):
        counted = match["anchor"] is not None or match["post"] is not None
        kind = _Kind.COUNTED_FROM_EVENT if counted else _Kind.DELAY
        matches.append((match.start(), match.end(), _relative(match, discharged), kind))
    for match in (*_ISO_DATE.finditer(text), *_DASHED_DATE.finditer(text)):
        on = _day(int(match["y"]), int(match["m"]), int(match["d"]))
        matches.append((match.start(), match.end(), on, _Kind.DATE))
    for match in _NAMED_DATE.finditer(text):
        month = _MONTHS[match["mon"][:3].lower()]
        matches.append((match.start(), match.end(), _dated(match["d"], month, match["y"], discharged), _Kind.DATE))
    for match in _NUMERIC_DATE.finditer(text):
        if re.search(r"\bkl\.?\s*$", text[: match.start()], re.IGNORECASE) or _FRACTION_OF.match(text[match.end() :]):
            continue  # a time of day ("kl. 14.30") or a fraction ("1/2 belastning"), not a date
        year = match["y"] or (f"20{match['yy']}" if match["yy"] else None)
        on = _dated(match["d"], int(match["m"]), year, discharged)
        matches.append((match.start(), match.end(), on, _Kind.DATE))
    for match in _WEEK.finditer(text):
        matches.append((match.start(), match.end(), _week(int(match["w"]), match["y"], discharged), _Kind.DATE))
    found: list[_Found] = []
    taken_until = -1
    for start, end, on, kind in sorted(matches, key=lambda m: (m[0], -m[1])):
        if start < taken_until:
            continue
        taken_until = end
        relative = kind is not _Kind.DATE
        before = text[max(0, start - 40) : start]
        if _UPPER_CUE.search(before) or (relative and _DURATION_CUE.search(before)):
            continue  # a deadline or a duration, not a later start
        cue = _LOWER_CUE.search(before)
        if kind is _Kind.DELAY and cue is None:
            continue  # "6 uger" alone says nothing about when training starts
        span_start = start - len(before) + cue.start() if cue else start
        found.append(_Found(on, span_start, len(text[:end].rstrip(" ,;"))))
    return found


def _relative(match: re.Match[str], discharged: date) -> date | None:
    anchor = match["anchor"]
    if match["post"] is not None or (anchor is not None and not _DISCHARGE.match(anchor.rstrip("."))):
        return None  # counted from an operation, a cast, a check-up: a date this case does not know
    raw = match["n"].lower()
    count = _NUMBER_WORDS.get(raw) or int(raw)
    unit = match["unit"].lower()
    if unit.startswith("d"):
        return discharged + timedelta(days=count)
    if unit.startswith("u"):
        return discharged + timedelta(weeks=count)
    return _add_months(discharged, count)


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    last = calendar.monthrange(day.year + year, month + 1)[1]
    return date(day.year + year, month + 1, min(day.day, last))


def _day(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _dated(day: str, month: int, year: str | None, discharged: date) -> date | None:
    if year is not None:
        return _day(int(year), month, int(day))
    if _day(2000, month, int(day)) is None:  # 2000 was a leap year: only impossible dates fail
        return None
    # No year: the next occurrence on or after discharge (29/2 waits for a leap year).
    for candidate_year in range(discharged.year, discharged.year + 9):
        candidate = _day(candidate_year, month, int(day))
        if candidate is not None and candidate >= discharged:
            return candidate
    return None


def _week(week: int, year: str | None, discharged: date) -> date | None:
    """The Monday of ISO week `week`: of `year`, or of the first year whose week has not ended by discharge."""
    years = [int(year)] if year is not None else [discharged.year, discharged.year + 1]
    for candidate_year in years:
        try:
            monday = date.fromisocalendar(candidate_year, week, 1)
        except ValueError:
            continue
        if year is not None or monday + timedelta(days=6) >= discharged:
            return monday
    return None
