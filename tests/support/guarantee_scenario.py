"""A dozen citizens of one municipality over January to March 2026, driven through the real `decide` and the real
PostgreSQL store, with the start-guarantee figures they must give (docs/reports.md explains each).

Each citizen's commands happen at their own instants (the events' `occurred_at`); the store records them now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from activities.store.eventstore import EventStore
from tests.support.factories import at, make_append, make_command, make_plan, make_provider_ref, receive_plan
from workflows.domain.commands import (
    AcceptFreeChoice,
    CancelAppointment,
    ChooseProvider,
    ClassifyAlmenLevel,
    CloseCase,
    Command,
    ConfirmProposedStartDate,
    DeclineFreeChoice,
    MarkDeadlinePassed,
    OfferStart,
    PostponeStart,
    RecordCitizenContact,
    ReplacePlan,
    RevokePlan,
    TransferCase,
)
from workflows.domain.decider import decide
from workflows.domain.model import (
    AlmenSubLevel,
    CloseReason,
    ContactChannel,
    DeadlineKind,
    Level,
    OptOutReason,
    PlanRelation,
    TransferReason,
)
from workflows.domain.state import CaseState, evolve


@dataclass
class Citizen:
    store: EventStore
    municipality: str
    case_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    state: CaseState | None = None

    async def run(self, command: Command, when: datetime) -> None:
        state = self.state or CaseState(case_id=self.case_id)
        events = decide(state, command, when)  # type: ignore[arg-type]
        assert events, f"{type(command).__name__} changed nothing"
        await self.store.append(make_append(self.case_id, events, state.version))
        for event in events:
            state = evolve(state, event)
        self.state = state

    async def receive(self, discharged: date, received: date | None = None, **plan: Any) -> None:
        fields = {"home_municipality_code": self.municipality, "discharge_date": discharged, **plan}
        await self.run(receive_plan(make_plan(**fields)), at(received or discharged))

    async def prepare(self, day: date) -> None:
        """Classify (almen), contact and choose a provider on `day`."""
        assert self.state is not None and self.state.plan is not None
        if self.state.plan.level is Level.ALMEN:
            await self.run(make_command(ClassifyAlmenLevel, sub_level=AlmenSubLevel.BASAL), at(day, 11))
        contact = make_command(RecordCitizenContact, channel=ContactChannel.PHONE, informed_of_provider_choices=True)
        await self.run(contact, at(day, 12))
        provider = make_provider_ref(municipality_code=self.municipality)
        await self.run(make_command(ChooseProvider, provider=provider), at(day, 13))

    async def offer(self, day: date, first_appointment: date) -> None:
        await self.run(make_command(OfferStart, first_appointment_on=first_appointment), at(day, 14))

    async def deadline_passes(self) -> None:
        assert self.state is not None and self.state.start_guarantee_due_on is not None
        after = self.state.start_guarantee_due_on + timedelta(days=1)
        await self.run(make_command(MarkDeadlinePassed, deadline=DeadlineKind.START_GUARANTEE), at(after, 6))


def d(text: str) -> date:
    return date.fromisoformat(text)


async def play(store: EventStore, home: str, other: str) -> dict[str, Citizen]:
    """Every citizen up to, not including, the error corrected after reporting (`correct_error`)."""
    c = {name: Citizen(store, home) for name in "ABCDEFGHIJKLMN"}
    # January. A: kept.
    await c["A"].receive(d("2026-01-05"))
    await c["A"].prepare(d("2026-01-06"))
    await c["A"].offer(d("2026-01-06"), d("2026-01-09"))
    # B: the plan reached the municipality 14 days late; the start is offered after the guarantee ran out.
    await c["B"].receive(d("2026-01-06"), received=d("2026-01-20"))
    await c["B"].prepare(d("2026-01-20"))
    await c["B"].offer(d("2026-01-20"), d("2026-01-21"))
    # D: the citizen postponed the start (the guarantee lapses; KL has no reason for it).
    await c["D"].receive(d("2026-01-12"))
    await c["D"].run(make_command(PostponeStart), at("2026-01-14"))
    await c["D"].prepare(d("2026-01-22"))
    await c["D"].offer(d("2026-01-22"), d("2026-01-26"))
    # E: nothing within 7 days; the citizen takes a free-choice provider (KL "FritValg").
    await c["E"].receive(d("2026-01-15"))
    await c["E"].deadline_passes()
    provider = {"provider_id": "fritvalg-1", "name": "Privat Fysioterapi"}
    await c["E"].run(make_command(AcceptFreeChoice, provider=provider), at("2026-01-24"))
    await c["E"].offer(d("2026-01-26"), d("2026-01-28"))
    # February. C: the plan asks for a later start (2 Feb) for health reasons: the clock counts from it.
    await c["C"].receive(d("2026-01-10"), start_date_for_health_reasons=d("2026-02-02"))
    await c["C"].prepare(d("2026-01-30"))
    await c["C"].offer(d("2026-01-30"), d("2026-02-06"))
    # F: free choice offered and declined (KL "FritValg afslået").
    await c["F"].receive(d("2026-02-02"))
    await c["F"].deadline_passes()
    await c["F"].run(make_command(DeclineFreeChoice), at("2026-02-10", 14))
    await c["F"].prepare(d("2026-02-11"))
    await c["F"].offer(d("2026-02-11"), d("2026-02-16"))
    # G: readmitted before anything was offered; the new plan replaces the first and is kept.
    first = make_plan(home_municipality_code=home, discharge_date=d("2026-02-03"))
    await c["G"].run(receive_plan(first), at("2026-02-03"))
    replacing = make_plan(
        home_municipality_code=home,
        discharge_date=d("2026-02-12"),
        previous_plan={"plan_id": first.plan_id, "relation": PlanRelation.REPLACES},
    )
    await c["G"].run(make_command(ReplacePlan, plan=replacing, contact_working_days=5), at("2026-02-06"))
    await c["G"].prepare(d("2026-02-13"))
    await c["G"].offer(d("2026-02-13"), d("2026-02-17"))
    # H: handed to another municipality at the citizen's request (KL "Anden kommune"), which starts late.
    await c["H"].receive(d("2026-02-16"))
    await c["H"].run(
        make_command(
            TransferCase, to_municipality_code=other, reason=TransferReason.CITIZEN_REQUEST, contact_working_days=5
        ),
        at("2026-02-18"),
    )
    c["H"].municipality = other
    await c["H"].prepare(d("2026-02-26"))
    await c["H"].offer(d("2026-02-26"), d("2026-03-02"))
    # March. I: the first appointment is offered in time and cancelled: it still counts (KL).
    await c["I"].receive(d("2026-03-02"))
    await c["I"].prepare(d("2026-03-03"))
    await c["I"].offer(d("2026-03-03"), d("2026-03-06"))
    await c["I"].run(make_command(CancelAppointment), at("2026-03-05"))
    # J: no start offered; the plan turns out to be sent in error (`correct_error`, after the report was read).
    await c["J"].receive(d("2026-03-03"))
    # K: specialiseret genoptræning, at a hospital: outside the guarantee.
    await c["K"].receive(d("2026-03-04"), level=Level.SPECIALISERET)
    # L: rehabilitering på specialiseret niveau, kept.
    await c["L"].receive(d("2026-03-10"), level=Level.REHABILITERING_SPECIALISERET)
    await c["L"].prepare(d("2026-03-11"))
    await c["L"].offer(d("2026-03-11"), d("2026-03-16"))
    # M: the citizen opts out two days after discharge, before anything was due: not in the share.
    await c["M"].receive(d("2026-03-16"))
    close = make_command(CloseCase, reason=CloseReason.ACTIVE_OPT_OUT, opt_out_reason=OptOutReason.OTHER_TRAINING)
    await c["M"].run(close, at("2026-03-18"))
    # N: the plan's text names a later start, which the caseworker confirms: the clock counts from 16 March.
    await c["N"].receive(d("2026-03-02"), rehabilitation_deadline_text="tidligst 14 dage efter udskrivelse")
    await c["N"].run(make_command(ConfirmProposedStartDate, proposed_on=d("2026-03-16")), at("2026-03-03"))
    await c["N"].prepare(d("2026-03-17"))
    await c["N"].offer(d("2026-03-17"), d("2026-03-20"))
    return c


async def correct_error(citizens: dict[str, Citizen]) -> None:
    """J's plan is revoked as sent in error, after its 7 days ran out (KL "Fejl")."""
    await citizens["J"].run(make_command(RevokePlan, reason="Sendt til forkert kommune"), at("2026-03-16"))


def _month(in_scope: int, kept: int, missed: int, ended: int, reasons: dict[str, int]) -> dict[str, Any]:
    return {
        "in_scope": in_scope,
        "kept": kept,
        "missed": missed,
        "pending": 0,
        "ended_early": ended,
        "share_kept": round(kept / (kept + missed), 4),
        "misses_by_reason": reasons,
    }


# What the home municipality's report for January to March 2026 says, month by month and for the period.
EXPECTED_BEFORE_CORRECTION = {
    "2026-01": _month(4, 1, 3, 0, {"frit_valg": 1, "unexplained": 2}),  # A kept; B, D, E missed
    "2026-02": _month(5, 2, 2, 1, {"anden_kommune": 1, "frit_valg_afslaaet": 1}),  # C, G kept; F, H; G's 1st
    "2026-03": _month(5, 3, 1, 1, {"unexplained": 1}),  # I, L, N kept; J missed; M ended; K not in scope
    None: _month(14, 6, 6, 2, {"anden_kommune": 1, "frit_valg": 1, "frit_valg_afslaaet": 1, "unexplained": 3}),
}
EXPECTED_AFTER_CORRECTION = {
    **EXPECTED_BEFORE_CORRECTION,
    "2026-03": _month(5, 3, 1, 1, {"fejl": 1}),
    None: _month(
        14, 6, 6, 2, {"anden_kommune": 1, "frit_valg": 1, "frit_valg_afslaaet": 1, "fejl": 1, "unexplained": 2}
    ),
}
