"""The start-guarantee measure: the domain's rules table by table, then a dozen citizens through the real store,
with the figures as they stood before and after an error was corrected, and the read model against the events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import pytest_asyncio

from activities.platform.db import Pool, open_pool
from activities.store.eventstore import EventStore
from activities.store.read_models.guarantee_facts import read_facts
from activities.store.read_models.guarantee_facts_rebuild import facts_from_events
from activities.store.rebuild import rebuild_guarantee_facts
from tests.support.guarantee_scenario import EXPECTED_AFTER_CORRECTION, EXPECTED_BEFORE_CORRECTION, correct_error, play
from workflows.domain.guarantee.facts import Outcome, PlanEnd, PlanFact, miss_reason, outcome
from workflows.domain.guarantee.tally import tally
from workflows.domain.model import GuaranteeStatusReason, Level

DUE = date(2026, 1, 12)


def _fact(**fields: Any) -> PlanFact:
    base: dict[str, Any] = {
        "case_id": "c",
        "plan_id": "p",
        "municipality_code": "101",
        "level": Level.ALMEN,
        "counts_from": date(2026, 1, 5),
        "due_on": DUE,
    }
    return PlanFact(**{**base, **fields})


@pytest.mark.parametrize(
    ("fields", "on", "expected"),
    [
        ({"first_offer_on": DUE}, date(2026, 1, 6), Outcome.KEPT),  # the last day still counts
        ({"first_offer_on": date(2026, 1, 13)}, date(2026, 1, 6), Outcome.MISSED),  # offered late, known at once
        ({}, DUE, Outcome.PENDING),  # nothing offered yet, the 7 days still run
        ({}, date(2026, 1, 13), Outcome.MISSED),  # nothing offered when they ran out
        ({"ended_on": DUE, "end": PlanEnd.CLOSED}, date(2026, 2, 1), Outcome.ENDED_EARLY),
        ({"ended_on": date(2026, 1, 20), "end": PlanEnd.SENT_IN_ERROR}, date(2026, 2, 1), Outcome.MISSED),
        ({"ended_on": date(2026, 1, 8), "end": PlanEnd.REPLACED}, date(2026, 2, 1), Outcome.ENDED_EARLY),
        ({"first_offer_on": date(2026, 1, 9), "ended_on": date(2026, 1, 8)}, date(2026, 2, 1), Outcome.KEPT),
    ],
)
def test_outcome(fields: dict[str, Any], on: date, expected: Outcome) -> None:
    assert outcome(_fact(**fields), on) is expected


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        (None, "unexplained"),
        (GuaranteeStatusReason.UDSKUDT, "unexplained"),  # the clock already counts from the later start
        (GuaranteeStatusReason.ANDEN_KOMMUNE, "anden_kommune"),
        (GuaranteeStatusReason.FRIT_VALG, "frit_valg"),
        (GuaranteeStatusReason.FRIT_VALG_AFSLAAET, "frit_valg_afslaaet"),
        (GuaranteeStatusReason.FEJL, "fejl"),
    ],
)
def test_miss_reason(reason: GuaranteeStatusReason | None, expected: str) -> None:
    assert miss_reason(_fact(kl_reason=reason)) == expected


def test_tally_share_counts_only_known_outcomes_and_lists_cases_on_request() -> None:
    facts = [
        _fact(case_id="a", first_offer_on=date(2026, 1, 9)),
        _fact(case_id="b"),  # missed
        _fact(case_id="c", counts_from=date(2026, 2, 27), due_on=date(2026, 3, 6)),  # pending on 1 March
        _fact(case_id="d", counts_from=date(2025, 12, 31), due_on=date(2026, 1, 7)),  # outside the period
    ]
    (result,) = tally(facts, on=date(2026, 3, 1), first=date(2026, 1, 1), last=date(2026, 2, 28), with_cases=True)
    january, february = result.months
    assert (january.month, january.kept, january.missed, january.share_kept) == ("2026-01", 1, 1, 0.5)
    assert january.missed_plans is not None and [m.case_id for m in january.missed_plans] == ["b"]
    assert (february.in_scope, february.pending, february.share_kept) == (1, 1, None)
    assert result.period.in_scope == 3
    (counts_only,) = tally(facts, on=date(2026, 3, 1), first=date(2026, 1, 1), last=date(2026, 2, 28))
    assert counts_only.months[0].missed_plans is None


@pytest_asyncio.fixture(loop_scope="session")
async def own_pool(fresh_database_url: str) -> AsyncIterator[Pool]:
    pool = await open_pool(fresh_database_url, min_size=1, max_size=4)
    try:
        yield pool
    finally:
        await pool.close()


async def _figures(pool: Pool, municipality: str, as_of: datetime | None = None) -> dict[str | None, dict[str, Any]]:
    async with pool.connection() as conn:
        facts = await read_facts(
            conn, first=date(2026, 1, 1), last=date(2026, 3, 31), municipality=municipality, level=None, as_of=as_of
        )
    (result,) = tally(facts, on=date(2026, 11, 30), first=date(2026, 1, 1), last=date(2026, 3, 31))
    exclude = {"month", "missed_plans"}
    figures: dict[str | None, dict[str, Any]] = {
        f.month: f.model_dump(exclude=exclude) for f in [*result.months, result.period]
    }
    return figures


def _key(fact: PlanFact) -> tuple[str, str]:
    return fact.case_id, fact.plan_id


@pytest.mark.asyncio(loop_scope="session")
async def test_a_dozen_citizens_give_the_expected_figures_then_and_now(own_pool: Pool) -> None:
    citizens = await play(EventStore(own_pool), "147", "851")
    reported_at = datetime.now(UTC)
    assert await _figures(own_pool, "147") == EXPECTED_BEFORE_CORRECTION
    await correct_error(citizens)
    assert await _figures(own_pool, "147") == EXPECTED_AFTER_CORRECTION
    # The figure once shown is drawn again exactly, as the facts stood when it was read.
    assert await _figures(own_pool, "147", as_of=reported_at) == EXPECTED_BEFORE_CORRECTION
    # The municipality the case went to has no plan of its own in the period: the home municipality had to start.
    async with own_pool.connection() as conn:
        elsewhere = await read_facts(
            conn, first=date(2026, 1, 1), last=date(2026, 3, 31), municipality="851", level=None, as_of=None
        )
    assert elsewhere == []
    # The read model holds what the events give, now and then; a rebuild gives the same versions.
    async with own_pool.connection() as conn:
        table_now = await read_facts(
            conn, first=date(2000, 1, 1), last=date(2100, 1, 1), municipality=None, level=None, as_of=None
        )
        table_then = await read_facts(
            conn, first=date(2000, 1, 1), last=date(2100, 1, 1), municipality=None, level=None, as_of=reported_at
        )
    assert sorted(table_now, key=_key) == sorted(await facts_from_events(own_pool), key=_key)
    assert sorted(table_then, key=_key) == sorted(await facts_from_events(own_pool, reported_at), key=_key)
    async with own_pool.connection() as conn:
        cursor = await conn.execute("SELECT * FROM start_guarantee_facts ORDER BY fact_id")
        inline_rows = await cursor.fetchall()
    await rebuild_guarantee_facts(own_pool)
    async with own_pool.connection() as conn:
        cursor = await conn.execute("SELECT * FROM start_guarantee_facts ORDER BY fact_id")
        assert await cursor.fetchall() == inline_rows
    assert await _figures(own_pool, "147", as_of=reported_at) == EXPECTED_BEFORE_CORRECTION
