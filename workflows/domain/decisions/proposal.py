"""A later start read from the plan's free text: proposed with the plan, confirmed or rejected by a caseworker.

SUL §140 stk. 4, last sentence: the 7-day guarantee runs from the later start the plan gives for health
reasons. A date read from free text (`workflows.domain.plan.start_text`) is only a proposal; a confirmed one
counts like the plan's own `start_date_for_health_reasons`, a rejected one changes nothing.
"""

from __future__ import annotations

from datetime import datetime

from workflows.domain.case_state import CaseState
from workflows.domain.commands import ConfirmProposedStartDate, RejectProposedStartDate
from workflows.domain.deadlines import earliest_start_on, start_guarantee_due_on
from workflows.domain.decisions.core import decide_rule, require, require_valid
from workflows.domain.events import CaseEvent
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.plan.start_proposal import (
    ProposalOutcome,
    ProposedStartDateConfirmed,
    ProposedStartDateRejected,
    ProposedStartDateSuperseded,
    StartDateProposal,
    StartDateProposed,
)
from workflows.domain.plan.start_text import propose_later_start
from workflows.domain.rules import rules_for


def start_date_proposed(plan: RehabilitationPlan, now: datetime) -> list[CaseEvent]:
    """The proposal a newly accepted plan makes, if its free text names a start after the clock's."""
    counts_from = earliest_start_on(plan)
    found = propose_later_start(
        plan.rehabilitation_deadline_text, discharge_date=plan.discharge_date, counts_from=counts_from
    )
    if found is None:
        return []
    return [
        StartDateProposed(
            occurred_at=now,
            plan_id=plan.plan_id,
            proposed_on=found.proposed_on,
            source_text=found.source_text,
            source_start=found.start,
            counts_from=counts_from,
        )
    ]


def open_proposal_superseded(state: CaseState, by: RehabilitationPlan, now: datetime) -> list[CaseEvent]:
    """A replacing plan ends an undecided proposal of the plan it replaces; a decided one keeps its outcome."""
    proposal = state.start_date_proposal
    if proposal is None or proposal.outcome is not ProposalOutcome.OPEN:
        return []
    return [
        ProposedStartDateSuperseded(
            occurred_at=now, plan_id=proposal.plan_id, proposed_on=proposal.proposed_on, by_plan_id=by.plan_id
        )
    ]


def _open_proposal(state: CaseState) -> StartDateProposal:
    proposal = state.start_date_proposal
    require(proposal is not None, "the case has no proposed start date")
    assert proposal is not None
    require(
        proposal.outcome is ProposalOutcome.OPEN,
        f"the proposed start date was {proposal.outcome.value} already; a proposal is decided once",
    )
    return proposal


@decide_rule.register
def _(command: ConfirmProposedStartDate, state: CaseState, now: datetime) -> list[CaseEvent]:
    proposal = _open_proposal(state)
    require_valid(
        command.proposed_on == proposal.proposed_on,
        f"the open proposal is for {proposal.proposed_on.isoformat()}; read the case again",
        "proposed_on",
    )
    # A breach or an offered start has settled the guarantee (and told the citizen); a later date cannot
    # undo either. The proposal may still be rejected.
    require(not state.start_guarantee_breached, "the start guarantee was breached already; it can no longer move")
    require(state.first_appointment_on is None, "a start was offered already; the guarantee can no longer move")
    plan = state.require_plan()
    assert state.rules_valid_from is not None
    running = state.start_guarantee_due_on is not None and not state.start_guarantee_lapsed
    due = start_guarantee_due_on(plan, rules_for(state.rules_valid_from), proposal.proposed_on) if running else None
    return [
        ProposedStartDateConfirmed(
            occurred_at=now, plan_id=proposal.plan_id, proposed_on=proposal.proposed_on, start_guarantee_due_on=due
        )
    ]


@decide_rule.register
def _(command: RejectProposedStartDate, state: CaseState, now: datetime) -> list[CaseEvent]:
    proposal = _open_proposal(state)
    return [
        ProposedStartDateRejected(
            occurred_at=now, plan_id=proposal.plan_id, proposed_on=proposal.proposed_on, reason=command.reason
        )
    ]
