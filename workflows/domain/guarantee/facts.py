"""What the start-guarantee report counts: one fact per plan, folded from a case's events with `evolve`.

SUL §140 stk. 4: the municipality offers a start within 7 days after discharge, or after the later start the
plan sets for health reasons (BEK om genoptræningsplaner §3; here also a later start a caseworker confirmed
from the plan's text). A plan's fact holds what decides whether that was kept: the day the clock counts from,
its last day, the first appointment offered (KL: it counts even if cancelled), when the plan ended, and the
KL status reason the case holds. `outcome` classifies a fact on a given day; docs/reports.md explains the rules.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Protocol

from workflows.domain.calendar import local_date
from workflows.domain.case_state import CaseState
from workflows.domain.deadlines import start_guarantee_applies
from workflows.domain.events import CaseClosed, CaseEvent, PlanReplaced
from workflows.domain.model import CaseStatus, CloseReason, GuaranteeStatusReason, Level
from workflows.domain.rules import rules_for
from workflows.domain.state import evolve


class PlanEnd(StrEnum):
    COMPLETED = "completed"
    CLOSED = "closed"
    SENT_IN_ERROR = "sent_in_error"  # KL statusReason "Fejl"
    REPLACED = "replaced"  # a new plan replaced it (KL: the old ServiceRequest is revoked)


class Outcome(StrEnum):
    KEPT = "kept"  # a start was offered within the 7 days
    MISSED = "missed"  # none was, and the plan was still open when they ran out
    PENDING = "pending"  # the 7 days are still running and nothing is offered yet
    ENDED_EARLY = "ended_early"  # the plan ended before the 7 days ran out, nothing offered: not in the share


UNEXPLAINED = "unexplained"


@dataclass(frozen=True, slots=True)  # a plain dataclass: a national report makes 200,000 of them
class PlanFact:
    """One plan in scope of the guarantee, as its case's events stood; no personal data."""

    case_id: str
    plan_id: str
    municipality_code: str  # the plan's home municipality: the one that had to offer the start
    level: Level
    counts_from: date  # discharge, or the later start the plan sets or a caseworker confirmed
    due_on: date  # the last day a start may be offered
    first_offer_on: date | None = None
    ended_on: date | None = None  # Danish date
    end: PlanEnd | None = None
    kl_reason: GuaranteeStatusReason | None = None

    @property
    def month(self) -> date:
        """The month the plan belongs to: that of the day its 7-day clock counts from."""
        return self.counts_from.replace(day=1)


def plan_fact(state: CaseState, ended_on: date | None = None, end: PlanEnd | None = None) -> PlanFact | None:
    """The fact of the case's current plan; None when it has none or the guarantee does not cover its level."""
    plan, due_on = state.plan, state.start_guarantee_due_on
    if plan is None or due_on is None or state.rules_valid_from is None:
        return None
    rules = rules_for(state.rules_valid_from)
    # SUL §140 stk. 4: almen and rehabilitering på specialiseret niveau; not training at a hospital.
    if not start_guarantee_applies(plan.level, rules):
        return None
    return PlanFact(
        case_id=state.case_id,
        plan_id=plan.plan_id,
        municipality_code=plan.home_municipality_code,
        level=plan.level,
        counts_from=due_on - timedelta(days=rules.start_guarantee_days),
        due_on=due_on,
        first_offer_on=state.first_appointment_on,
        ended_on=ended_on,
        end=end,
        kl_reason=state.guarantee_status_reason,
    )


def _end_of(event: CaseEvent, state: CaseState) -> PlanEnd:
    if isinstance(event, CaseClosed):
        return PlanEnd.SENT_IN_ERROR if event.reason is CloseReason.PLAN_SENT_IN_ERROR else PlanEnd.CLOSED
    return PlanEnd.COMPLETED if state.status is CaseStatus.COMPLETED else PlanEnd.CLOSED


def advance(state: CaseState, facts: dict[str, PlanFact], event: CaseEvent) -> CaseState:
    """Fold one event with `evolve` and bring `facts` (by plan id, updated in place) up to date."""
    before = state.plan
    if isinstance(event, PlanReplaced) and before is not None and before.plan_id in facts:
        replaced = facts[before.plan_id]
        if replaced.ended_on is None:
            facts[before.plan_id] = replace(replaced, ended_on=local_date(event.occurred_at), end=PlanEnd.REPLACED)
    ended_before = state.status.is_terminal
    state = evolve(state, event)
    if state.plan is None:
        return state
    current = facts.get(state.plan.plan_id)
    ended_on, end = (current.ended_on, current.end) if current is not None else (None, None)
    if state.status.is_terminal and not ended_before:
        ended_on, end = local_date(event.occurred_at), _end_of(event, state)
    fact = plan_fact(state, ended_on, end)
    if fact is not None:
        facts[state.plan.plan_id] = fact
    return state


def fold_facts(case_id: str, events: list[CaseEvent]) -> tuple[CaseState, list[PlanFact]]:
    """A case's state and plan facts from its whole stream."""
    state, facts = CaseState(case_id=case_id), dict[str, PlanFact]()
    for event in events:
        state = advance(state, facts, event)
    return state, list(facts.values())


class Judged(Protocol):
    """What `outcome` and `miss_reason` read of a fact (a `PlanFact`, or a row the report reads leaner)."""

    @property
    def due_on(self) -> date: ...

    @property
    def first_offer_on(self) -> date | None: ...

    @property
    def ended_on(self) -> date | None: ...

    @property
    def kl_reason(self) -> str | None: ...  # a GuaranteeStatusReason value


def outcome(fact: Judged, on: date) -> Outcome:
    """The fact's outcome as known on the Danish date `on` (the report's date, or its `as_of`)."""
    if fact.first_offer_on is not None:
        # KL Gateway Rehab: the first appointment offered is the start, even if it was cancelled later.
        return Outcome.KEPT if fact.first_offer_on <= fact.due_on else Outcome.MISSED
    if fact.ended_on is not None and fact.ended_on <= fact.due_on:
        return Outcome.ENDED_EARLY
    return Outcome.MISSED if on > fact.due_on else Outcome.PENDING


def miss_reason(fact: Judged) -> str:
    """The KL status reason that explains a miss (KL Gateway Rehab 2.2.0, statusReason), or `unexplained`.

    "Udskudt" (the plan asks for a later start) explains nothing here: the clock already counts from that date.
    """
    reason = fact.kl_reason
    return UNEXPLAINED if reason is None or reason == GuaranteeStatusReason.UDSKUDT else str(reason)
