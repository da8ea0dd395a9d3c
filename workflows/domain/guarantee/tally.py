"""The start-guarantee figures: plan facts counted per municipality and month (docs/reports.md).

The share is the plans with a start offered within the 7 days (SUL §140 stk. 4) among those whose outcome is
known: kept or missed. Plans whose 7 days still run, and plans that ended before they ran out with nothing
offered, are counted beside it but are not in the share.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.guarantee.facts import Judged, Outcome, miss_reason, outcome
from workflows.domain.guarantee.reasons import REASON_ORDER


class MissedPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    reason: str


class Figures(BaseModel):
    """The counts of one municipality in one month (or its whole period, `month` null)."""

    month: str | None = Field(description="YYYY-MM, the month the 7-day clock started in; null for the period")
    in_scope: int = 0
    kept: int = 0
    missed: int = 0
    pending: int = 0
    ended_early: int = 0
    share_kept: float | None = Field(default=None, description="kept / (kept + missed); null when both are 0")
    misses_by_reason: dict[str, int] = Field(
        default_factory=dict, description="Each miss by its KL status reason code, or `unexplained`"
    )
    missed_plans: list[MissedPlan] | None = Field(
        default=None, description="The missed plans' cases and reasons; only for the municipality's own people"
    )


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def months_between(first: date, last: date) -> list[str]:
    keys, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


class Tallied(Judged, Protocol):
    """What `tally` reads of a fact besides its outcome."""

    @property
    def case_id(self) -> str: ...

    @property
    def municipality_code(self) -> str: ...

    @property
    def counts_from(self) -> date: ...


class _Counter:
    def __init__(self, month: str | None, with_cases: bool) -> None:
        self.month = month
        self.with_cases = with_cases
        self.counts = dict.fromkeys(Outcome, 0)
        self.reasons: dict[str, int] = {}
        self.missed: list[MissedPlan] = []

    def add(self, fact: Tallied, result: Outcome) -> None:
        self.counts[result] += 1
        if result is Outcome.MISSED:
            reason = miss_reason(fact)
            self.reasons[reason] = self.reasons.get(reason, 0) + 1
            if self.with_cases:
                self.missed.append(MissedPlan(case_id=fact.case_id, reason=reason))

    def figures(self, with_cases: bool) -> Figures:
        kept, missed = self.counts[Outcome.KEPT], self.counts[Outcome.MISSED]
        order = {reason: index for index, reason in enumerate(REASON_ORDER)}
        return Figures(
            month=self.month,
            in_scope=sum(self.counts.values()),
            kept=kept,
            missed=missed,
            pending=self.counts[Outcome.PENDING],
            ended_early=self.counts[Outcome.ENDED_EARLY],
            share_kept=round(kept / (kept + missed), 4) if kept + missed else None,
            misses_by_reason=dict(sorted(self.reasons.items(), key=lambda item: order.get(item[0], len(order)))),
            missed_plans=sorted(self.missed, key=lambda m: m.case_id) if with_cases else None,
        )


class MunicipalityFigures(BaseModel):
    municipality_code: str
    months: list[Figures]
    period: Figures


def tally(
    facts: Iterable[Tallied],
    *,
    on: date,
    first: date,
    last: date,
    municipalities: Iterable[str] = (),
    with_cases: bool = False,
) -> list[MunicipalityFigures]:
    """Figures per municipality (those given, and any with a plan in the period) and month, from `first` to
    `last` (the days the clocks count from), each outcome as known on the Danish date `on`."""
    months = months_between(first, last)
    by_municipality: dict[str, dict[str | None, _Counter]] = {}

    def counters(code: str) -> dict[str | None, _Counter]:
        if code not in by_municipality:
            by_municipality[code] = {key: _Counter(key, with_cases) for key in [*months, None]}
        return by_municipality[code]

    for code in municipalities:
        counters(code)
    for fact in facts:
        if not first <= fact.counts_from <= last:
            continue
        result = outcome(fact, on)
        rows = by_municipality.get(fact.municipality_code) or counters(fact.municipality_code)
        rows[month_key(fact.counts_from)].add(fact, result)
        rows[None].add(fact, result)
    return [
        MunicipalityFigures(
            municipality_code=code,
            months=[rows[key].figures(with_cases) for key in months],
            period=rows[None].figures(with_cases),
        )
        for code, rows in sorted(by_municipality.items())
    ]
