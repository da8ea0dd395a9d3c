"""A later start date proposed from the plan's free-text start deadline, and the caseworker's decision on it.

SUL §140 stk. 4, last sentence: "Angiver genoptræningsplanen, at genoptræningen af sundhedsfaglige grunde
først bør opstartes på et senere tidspunkt end udskrivningstidspunktet, regnes fristen dog fra dette
tidspunkt." Hospitals write that later time as free text (GGOP `RehabilitationDeadline`), which
`workflows.domain.plan.start_text` reads. What it reads is only proposed: a caseworker confirms or rejects it,
and only a confirmed date moves the 7-day clock. The proposal and its outcome are events of the case,
kept forever (fields are only added, with defaults; docs/events.md).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from workflows.domain.model import GuaranteeStatusReason


class ProposalOutcome(StrEnum):
    OPEN = "open"  # awaits the caseworker; the clock has not moved
    CONFIRMED = "confirmed"  # the 7-day clock counts from the proposed date
    REJECTED = "rejected"  # the clock stays as it was
    SUPERSEDED = "superseded"  # a replacing plan arrived before a decision


class StartDateProposal(BaseModel):
    """The case's proposal, as the caseworker sees it."""

    model_config = ConfigDict(frozen=True)

    plan_id: str = Field(description="The plan whose rehabilitation_deadline_text named the date")
    proposed_on: date
    source_text: str = Field(description="The words of the plan's rehabilitation_deadline_text the date came from")
    proposed_at: datetime
    outcome: ProposalOutcome = ProposalOutcome.OPEN
    decided_at: datetime | None = None
    reason: str | None = Field(default=None, description="The caseworker's reason for a rejection, if given")


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    occurred_at: datetime


class StartDateProposed(_Event):
    """Recorded with the plan (received or replacing) whose free text names a later start."""

    type: Literal["StartDateProposed"] = "StartDateProposed"
    plan_id: str
    proposed_on: date
    source_text: str = Field(description="The words the date came from, verbatim")
    source_start: int = Field(ge=0, description="Where source_text begins in the plan's rehabilitation_deadline_text")
    counts_from: date = Field(description="The date the 7-day clock counted from when the date was proposed")


class ProposedStartDateConfirmed(_Event):
    type: Literal["ProposedStartDateConfirmed"] = "ProposedStartDateConfirmed"
    plan_id: str
    proposed_on: date
    start_guarantee_due_on: date | None = Field(
        description="The guarantee's new last day (proposed_on + 7 days); None where none runs (none for the "
        "level, or it lapsed)"
    )


class ProposedStartDateRejected(_Event):
    type: Literal["ProposedStartDateRejected"] = "ProposedStartDateRejected"
    plan_id: str
    proposed_on: date
    reason: str | None = None


class ProposedStartDateSuperseded(_Event):
    """A replacing plan arrived while the proposal was open; the new plan's own text is read afresh."""

    type: Literal["ProposedStartDateSuperseded"] = "ProposedStartDateSuperseded"
    plan_id: str
    proposed_on: date
    by_plan_id: str


ProposalEvent = StartDateProposed | ProposedStartDateConfirmed | ProposedStartDateRejected | ProposedStartDateSuperseded


def proposal_changes(event: ProposalEvent, current: StartDateProposal | None) -> dict[str, object]:
    """What a proposal event changes in the case's state (`workflows.domain.state` folds it)."""
    if isinstance(event, StartDateProposed):
        proposal = StartDateProposal(
            plan_id=event.plan_id,
            proposed_on=event.proposed_on,
            source_text=event.source_text,
            proposed_at=event.occurred_at,
        )
        return {"start_date_proposal": proposal}
    assert current is not None, "a proposal is decided only after it was made"
    if isinstance(event, ProposedStartDateConfirmed):
        decided = current.model_copy(update={"outcome": ProposalOutcome.CONFIRMED, "decided_at": event.occurred_at})
        if event.start_guarantee_due_on is None:
            return {"start_date_proposal": decided}
        # As for a later start the plan gives itself: the clock counts from it, reported as "udskudt" (KL).
        return {
            "start_date_proposal": decided,
            "start_guarantee_due_on": event.start_guarantee_due_on,
            "guarantee_status_reason": GuaranteeStatusReason.UDSKUDT,
        }
    if isinstance(event, ProposedStartDateRejected):
        update = {"outcome": ProposalOutcome.REJECTED, "decided_at": event.occurred_at, "reason": event.reason}
        return {"start_date_proposal": current.model_copy(update=update)}
    update = {"outcome": ProposalOutcome.SUPERSEDED, "decided_at": event.occurred_at}
    return {"start_date_proposal": current.model_copy(update=update)}


def confirmed_later_start(proposal: StartDateProposal | None) -> date | None:
    """The later start a caseworker confirmed, which counts as the plan's own (SUL §140 stk. 4)."""
    if proposal is None or proposal.outcome is not ProposalOutcome.CONFIRMED:
        return None
    return proposal.proposed_on
