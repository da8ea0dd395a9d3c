"""Reading the hospital's free-text start deadline (GGOP RehabilitationDeadline) for a later start date.

Discharge is Monday 16 November 2026 unless a row says otherwise; the clock counts from discharge.
"""

from __future__ import annotations

from datetime import date

import pytest

from workflows.domain.plan.start_text import NoProposal, ProposedStart, propose_later_start, read_start_text

DISCHARGED = date(2026, 11, 16)


@pytest.mark.parametrize(
    ("text", "proposed_on", "source_text"),
    [
        # Delays counted from discharge
        ("tidligst 14 dage efter udskrivelse", date(2026, 11, 30), "tidligst 14 dage efter udskrivelse"),
        (
            "Genoptræning tidligst 14 dage efter udskrivelsen.",
            date(2026, 11, 30),
            "tidligst 14 dage efter udskrivelsen.",
        ),
        ("Opstart 2 uger efter udskrivning", date(2026, 11, 30), "2 uger efter udskrivning"),
        ("start om 3 uger", date(2026, 12, 7), "om 3 uger"),
        ("Opstart om en uge", date(2026, 11, 23), "om en uge"),
        ("tidligst om fjorten dage", date(2026, 11, 30), "tidligst om fjorten dage"),
        ("Genoptræning kan påbegyndes efter 10 dage", date(2026, 11, 26), "efter 10 dage"),
        ("Vent 4 uger med at starte genoptræningen", date(2026, 12, 14), "Vent 4 uger"),
        ("ikke før om 3 uger pga. sårheling", date(2026, 12, 7), "ikke før om 3 uger"),
        ("Først efter ca. 3 uger", date(2026, 12, 7), "Først efter ca. 3 uger"),
        ("Opstart om 2-3 uger", date(2026, 11, 30), "om 2-3 uger"),  # a range: its lower bound
        ("om mellem 2 og 3 uger", date(2026, 11, 30), "om mellem 2 og 3 uger"),
        ("tidligst 3 mdr. efter udskr.", date(2027, 2, 16), "tidligst 3 mdr. efter udskr."),
        ("Tidligst 1 måned efter hjemkomst", date(2026, 12, 16), "Tidligst 1 måned efter hjemkomst"),
        ("TIDLIGST 14 DAGE EFTER UDSKRIVELSE", date(2026, 11, 30), "TIDLIGST 14 DAGE EFTER UDSKRIVELSE"),
        # Dates without a year: the next occurrence on or after discharge
        ("opstart efter 1/12", date(2026, 12, 1), "efter 1/12"),
        ("Opstart tidligst d. 1/12", date(2026, 12, 1), "tidligst d. 1/12"),
        ("fra 7.12", date(2026, 12, 7), "fra 7.12"),
        ("Tidligst 5/1", date(2027, 1, 5), "Tidligst 5/1"),  # January follows the November discharge
        ("tidligst 1. december", date(2026, 12, 1), "tidligst 1. december"),
        ("efter 3. jan.", date(2027, 1, 3), "efter 3. jan."),
        ("Opstart mandag d. 7/12", date(2026, 12, 7), "7/12"),
        # Dates with a year
        ("efter 1. december 2026", date(2026, 12, 1), "efter 1. december 2026"),
        ("opstart 15.12.2026", date(2026, 12, 15), "15.12.2026"),
        ("Opstart 15/12-2026", date(2026, 12, 15), "15/12-2026"),
        ("tidligst 4.1.27", date(2027, 1, 4), "tidligst 4.1.27"),
        ("Start fra 2026-12-14", date(2026, 12, 14), "fra 2026-12-14"),
        ("opstart 01-12-2026", date(2026, 12, 1), "01-12-2026"),
        ("Opstart: 1/12/2026", date(2026, 12, 1), "1/12/2026"),
        ("kan starte 14 dage efter udskrivelse", date(2026, 11, 30), "14 dage efter udskrivelse"),
        ("genoptræning efter 6 uger", date(2026, 12, 28), "efter 6 uger"),
        # ISO weeks: the Monday, in the first year whose week has not ended at discharge
        ("tidligst uge 50", date(2026, 12, 7), "tidligst uge 50"),
        ("Opstart i uge 2", date(2027, 1, 11), "uge 2"),
        ("fra uge 3 2027", date(2027, 1, 18), "fra uge 3 2027"),
        # Several readings that agree; an upper bound beside a lower one; the discharge date itself dropped
        ("14 dage efter udskrivelse, dvs. 30/11", date(2026, 11, 30), "14 dage efter udskrivelse"),
        ("tidligst 1/12, senest 15/12", date(2026, 12, 1), "tidligst 1/12"),
        ("Udskrevet 16/11-2026. Opstart tidligst 1/12", date(2026, 12, 1), "tidligst 1/12"),
        ("Ambulant kontrol kl. 14.30; opstart efter 1/12", date(2026, 12, 1), "efter 1/12"),
    ],
)
def test_a_later_start_is_proposed_with_the_words_it_came_from(text: str, proposed_on: date, source_text: str) -> None:
    reading = read_start_text(text, discharge_date=DISCHARGED, counts_from=DISCHARGED)
    assert isinstance(reading, ProposedStart), reading
    assert reading.proposed_on == proposed_on
    assert reading.source_text == source_text
    assert text[reading.start : reading.end] == source_text


@pytest.mark.parametrize(
    ("text", "why"),
    [
        (None, NoProposal.NOTHING_NAMED),
        ("", NoProposal.NOTHING_NAMED),
        ("ingen", NoProposal.NOTHING_NAMED),
        ("Ingen særlig tidsfrist", NoProposal.NOTHING_NAMED),
        ("Efter aftale med kommunen", NoProposal.NOTHING_NAMED),
        ("primo december", NoProposal.NOTHING_NAMED),  # a month without a day
        ("efter nytår", NoProposal.NOTHING_NAMED),
        ("om halvanden uge", NoProposal.NOTHING_NAMED),
        ("Træning 2 gange om ugen", NoProposal.NOTHING_NAMED),
        ("Aflastning i 6 uger", NoProposal.NOTHING_NAMED),  # a duration
        ("Må ikke træne de første 2 uger", NoProposal.NOTHING_NAMED),  # a delay named only through a negation
        ("3 separate øvelser dagligt", NoProposal.NOTHING_NAMED),
        ("Må belaste 1/2 kropsvægt", NoProposal.NOTHING_NAMED),  # a fraction
        ("Opstart når gipsen er fjernet, ca. 6 uger", NoProposal.NOTHING_NAMED),  # no cue, no discharge
        # Upper bounds are deadlines, not later starts
        ("Opstart senest 14 dage efter udskrivelse", NoProposal.NOTHING_NAMED),
        ("inden for 14 dage", NoProposal.NOTHING_NAMED),
        ("skal starte inden 1/12", NoProposal.NOTHING_NAMED),
        ("senest uge 50", NoProposal.NOTHING_NAMED),
        ("før 1/12", NoProposal.NOTHING_NAMED),
        # Immediate start
        ("genoptræning kan starte straks", NoProposal.IMMEDIATE),
        ("Umiddelbart efter udskrivelse", NoProposal.IMMEDIATE),
        ("Hurtigst muligt", NoProposal.IMMEDIATE),
        ("Opstart straks, dog ingen løft de første 6 uger", NoProposal.IMMEDIATE),
        ("straks, eller tidligst 1/12", NoProposal.IMMEDIATE),  # contradictory
        # Ambiguous: counted from an unknown event, two different dates, impossible or far-off dates
        ("tidligst 6 uger postoperativt", NoProposal.AMBIGUOUS),
        ("Tidligst 6 uger efter operationen", NoProposal.AMBIGUOUS),
        ("14 dage efter gipsfjernelse", NoProposal.AMBIGUOUS),
        ("tidligst 14 dage efter, at såret er helet", NoProposal.AMBIGUOUS),
        ("tidligst 1/12 eller 2 uger efter udskrivelse", NoProposal.AMBIGUOUS),
        ("Opstart 1/12 eller 8/12", NoProposal.AMBIGUOUS),
        ("Opstart efter 1/12 (14 dage efter udskrivelse)", NoProposal.AMBIGUOUS),
        ("Tidligst 2 uger efter udskrivelse. Kontrol på ambulatoriet 14/12.", NoProposal.AMBIGUOUS),
        ("Opstart 3 uger postoperativt (operation 10/11)", NoProposal.AMBIGUOUS),
        ("Skal i gang indenfor 7 dage", NoProposal.NOTHING_NAMED),
        ("tidligst 31/2", NoProposal.AMBIGUOUS),
        ("opstart 15.13.2026", NoProposal.AMBIGUOUS),
        ("tidligst 1/12-2028", NoProposal.AMBIGUOUS),  # more than a year out: likely a typo
        ("tidligst uge 60", NoProposal.AMBIGUOUS),
        # Not later than the date the clock counts from
        ("tidligst 16/11", NoProposal.NOTHING_NAMED),  # the discharge day itself is dropped
        ("tidligst 10/11-2026", NoProposal.NOTHING_NAMED),  # before discharge
        ("tidligst uge 47", NoProposal.NOTHING_NAMED),  # the week of discharge: its Monday is the discharge
    ],
)
def test_no_proposal_rather_than_a_wrong_one(text: str | None, why: NoProposal) -> None:
    assert read_start_text(text, discharge_date=DISCHARGED, counts_from=DISCHARGED) == why
    assert propose_later_start(text, discharge_date=DISCHARGED, counts_from=DISCHARGED) is None


@pytest.mark.parametrize(
    ("text", "counts_from", "expected"),
    [
        # The plan already sets a later start (start_date_for_health_reasons): only a date after it is news.
        ("tidligst 14 dage efter udskrivelse", date(2026, 11, 30), NoProposal.NOT_LATER),
        ("tidligst 14 dage efter udskrivelse", date(2026, 12, 1), NoProposal.NOT_LATER),
        ("tidligst 14 dage efter udskrivelse", date(2026, 11, 29), date(2026, 11, 30)),
        ("efter 1/12", date(2026, 12, 1), NoProposal.NOT_LATER),
        ("tidligst uge 50", date(2026, 12, 1), date(2026, 12, 7)),
    ],
)
def test_only_a_date_after_the_one_the_clock_counts_from_is_proposed(
    text: str, counts_from: date, expected: date | NoProposal
) -> None:
    reading = read_start_text(text, discharge_date=DISCHARGED, counts_from=counts_from)
    assert (reading.proposed_on if isinstance(reading, ProposedStart) else reading) == expected


@pytest.mark.parametrize(
    ("discharged", "text", "proposed_on"),
    [
        (date(2026, 12, 20), "efter 1/12", date(2027, 12, 1)),  # 1/12 has passed: next year's
        (date(2026, 12, 20), "tidligst 5/1", date(2027, 1, 5)),
        (date(2026, 12, 1), "efter 1/12", None),  # the discharge day itself: no later start
        (date(2027, 1, 30), "tidligst 28/2", date(2027, 2, 28)),
        (date(2027, 3, 1), "tidligst 29/2", date(2028, 2, 29)),  # the next 29 February
        (date(2026, 12, 30), "tidligst uge 2", date(2027, 1, 11)),
        (date(2026, 12, 30), "tidligst uge 53", None),  # 2026 has a week 53, and discharge lies in it
        (date(2027, 1, 29), "om 1 måned", date(2027, 2, 28)),  # a month later, clamped to its last day
    ],
)
def test_year_inference_takes_the_next_occurrence_on_or_after_discharge(
    discharged: date, text: str, proposed_on: date | None
) -> None:
    proposal = propose_later_start(text, discharge_date=discharged, counts_from=discharged)
    assert (proposal.proposed_on if proposal else None) == proposed_on
