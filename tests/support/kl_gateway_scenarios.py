"""Cases for the KL Gateway report tests, made by the real `decide` at given instants (discharge Monday
16 November 2026, received the next day)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from tests.support.factories import DISCHARGE_DATE, at, make_command, make_plan, make_provider, receive_plan
from workflows.domain.commands import (
    AcceptFreeChoice,
    CancelAppointment,
    ChooseProvider,
    ClassifyAlmenLevel,
    CloseCase,
    Command,
    DeclineFreeChoice,
    FreeChoiceProvider,
    MarkDeadlinePassed,
    OfferStart,
    RecordCitizenContact,
    RecordPlanDelivery,
    ReplacePlan,
    RevokePlan,
    TransferCase,
)
from workflows.domain.decider import decide
from workflows.domain.events import CaseEvent
from workflows.domain.model import (
    DISCHARGE_RECIPIENTS,
    AlmenSubLevel,
    CloseReason,
    ContactChannel,
    DeadlineKind,
    OptOutReason,
    PlanRelation,
    TransferReason,
)
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.state import CaseState, evolve

PROVIDER_ID = "kbh-sundhedshus-nord"
PROVIDER_SOR = "1037801000016003"
FREE_CHOICE_ID = "fritvalg-fysio-city"
FREE_CHOICE_SOR = "1037801000016011"
MUNICIPALITY_SOR = "451000016003"
Step = tuple[datetime, Command]


def play(case_id: str, steps: Sequence[Step]) -> list[CaseEvent]:
    state, events = CaseState(case_id=case_id), []
    for now, command in steps:
        for event in decide(state, command, now):  # type: ignore[arg-type]
            state = evolve(state, event)
            events.append(event)
    return events


def day(offset: int, hour: int = 10) -> datetime:
    """`offset` days after discharge, at `hour` UTC."""
    return at(DISCHARGE_DATE + timedelta(days=offset), hour)


def first_day(offset: int) -> date:
    return DISCHARGE_DATE + timedelta(days=offset)


def intake(plan: RehabilitationPlan | None = None) -> list[Step]:
    """Received, distributed, classified basal and the citizen contacted, on day 1."""
    deliveries = [make_command(RecordPlanDelivery, recipient=r, message_id=f"m-{r}") for r in DISCHARGE_RECIPIENTS]
    contact = make_command(RecordCitizenContact, channel=ContactChannel.PHONE, informed_of_provider_choices=True)
    return [
        (day(1), receive_plan(plan)),
        *((day(1, 11), delivery) for delivery in deliveries),
        (day(1, 12), make_command(ClassifyAlmenLevel, sub_level=AlmenSubLevel.BASAL)),
        (day(1, 13), contact),
    ]


def choose(offset: int = 2) -> Step:
    return day(offset), make_command(ChooseProvider, provider=make_provider())


def offer(offset: int, on: int) -> Step:
    return day(offset, 14), make_command(OfferStart, first_appointment_on=first_day(on))


def breach(offset: int = 8) -> Step:
    return day(offset, 1), make_command(MarkDeadlinePassed, deadline=DeadlineKind.START_GUARANTEE)


def on_time() -> list[Step]:
    return [*intake(), choose(), offer(2, 5)]


def later_start() -> list[Step]:
    """The plan asks for a start 14 days after discharge: "Udskudt"; the start is offered for day 15."""
    plan = make_plan(start_date_for_health_reasons=first_day(14))
    return [*intake(plan), choose(), offer(3, 15)]


def free_choice_declined() -> list[Step]:
    return [*intake(), breach(), (day(9), make_command(DeclineFreeChoice))]


def free_choice_accepted() -> list[Step]:
    provider = FreeChoiceProvider(provider_id=FREE_CHOICE_ID, name="Fysio City ApS")
    return [*intake(), breach(), (day(9), make_command(AcceptFreeChoice, provider=provider)), offer(10, 12)]


def transferred() -> list[Step]:
    transfer = make_command(
        TransferCase, to_municipality_code="147", reason=TransferReason.CITIZEN_REQUEST, contact_working_days=5
    )
    return [*intake(), (day(2), transfer)]


def sent_in_error() -> list[Step]:
    return [*intake(), (day(2), make_command(RevokePlan, reason="Fejlsendt"))]


def replaced(first: RehabilitationPlan) -> list[Step]:
    second = make_plan(
        discharge_date=first_day(20), previous_plan={"plan_id": first.plan_id, "relation": PlanRelation.REPLACES}
    )
    return [
        *intake(first),
        choose(),
        offer(2, 5),
        (day(21), make_command(ReplacePlan, plan=second, contact_working_days=5)),
    ]


def cancelled_first_appointment() -> list[Step]:
    return [*intake(), choose(), offer(2, 5), (day(4), make_command(CancelAppointment))]


def opted_out() -> list[Step]:
    close = make_command(CloseCase, reason=CloseReason.ACTIVE_OPT_OUT, opt_out_reason=OptOutReason.OTHER_TRAINING)
    return [*on_time(), (day(12), close)]


def resource_of(resources: Sequence[Any], kind: str) -> list[dict[str, Any]]:
    return [built.body for built in resources if built.resource_type == kind]
