"""Valid domain objects for tests: instants, plans, providers, commands, events and append requests.

Everything is synthetic: CPR 2509479989 is a test number, and names are invented. Events are produced by
the real `decide`, so they carry the deadlines and fingerprints the domain would compute.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from workflows.contracts.store import AppendCaseEvents, EventMetadata
from workflows.domain.commands import (
    ChooseProvider,
    ClassifyAlmenLevel,
    Command,
    OfferStart,
    ProviderRef,
    ReceivePlan,
    RecordCitizenContact,
    RecordPlanDelivery,
)
from workflows.domain.decider import decide
from workflows.domain.events import CaseEvent, PlanReceived
from workflows.domain.model import (
    DISCHARGE_RECIPIENTS,
    AlmenSubLevel,
    ContactChannel,
    DischargeKind,
    Level,
    ProviderKind,
)
from workflows.domain.plan.plan import RehabilitationPlan
from workflows.domain.state import CaseState, evolve

SYNTHETIC_CPR = "2509479989"
HOSPITAL_SOR_ID = "227871000016001"
# Monday 16 November 2026, no Danish holiday near it: working-day deadlines are easy to reason about.
DISCHARGE_DATE = date(2026, 11, 16)
RECEIVED_AT = datetime(2026, 11, 17, 10, 0, tzinfo=UTC)  # the day after discharge

C = TypeVar("C", bound=Command)


def new_case_id() -> str:
    return f"case-{uuid.uuid4()}"


def make_plan(**overrides: Any) -> RehabilitationPlan:
    """A valid almen plan for home municipality 101; top-level fields can be overridden (dicts or models)."""
    fields: dict[str, Any] = {
        "plan_id": f"GOP-{uuid.uuid4().hex[:12]}",
        "sending_hospital_sor_id": HOSPITAL_SOR_ID,
        "patient": {"cpr": SYNTHETIC_CPR, "name": "Testa Testesen"},
        "home_municipality_code": "101",
        "general_practitioner": {"name": "Lægehuset Prøvevej", "provider_number": "123456"},
        "consent_to_share_with_gp": True,
        "discharge_date": DISCHARGE_DATE,
        "discharge_kind": DischargeKind.WARD,
        "level": Level.ALMEN,
        "diagnoses": [{"code": "DS720", "text": "Brud på lårbenshals", "primary": True}],
        "function_at_discharge": "Går med rollator, korte distancer.",
        "training_need": "Gangtræning og styrketræning af underekstremitet.",
        "contents": {
            "daily_life_before_admission": "Selvhjulpen i eget hjem.",
            "needs_aids": True,
            "aids_description": "Rollator",
            "social_network": "Bor med ægtefælle.",
            "manages_at_discharge": "Personlig hygiejne med let støtte.",
            "manages_daily_life_without_help": False,
            "walks_and_stands_without_aids": False,
            "training_need_at_discharge": "Gang, balance og styrke.",
            "municipality_contact_information": "Kommunen kontakter dig inden for 5 hverdage.",
        },
    }
    fields.update(overrides)
    return RehabilitationPlan.model_validate(fields)


def make_provider_ref(**overrides: Any) -> ProviderRef:
    """Municipality 101's own provider with a fresh id unless overridden."""
    fields: dict[str, Any] = {
        "provider_id": f"prov-{uuid.uuid4().hex[:8]}",
        "name": "Genoptræningscenter Test",
        "municipality_code": "101",
        "kind": ProviderKind.OWN,
    }
    fields.update(overrides)
    return ProviderRef.model_validate(fields)


def make_command(command_type: type[C], **fields: Any) -> C:
    """A command with a fresh command_id and a caseworker actor unless given."""
    fields.setdefault("command_id", f"cmd-{uuid.uuid4()}")
    fields.setdefault("actor", "caseworker:test")
    return command_type.model_validate(fields)


def make_metadata(**overrides: Any) -> EventMetadata:
    fields: dict[str, Any] = {
        "actor": "caseworker:test",
        "command_id": f"cmd-{uuid.uuid4()}",
        "command_type": "Test",
        "workflow_id": "case-test",
        "run_id": str(uuid.uuid4()),
    }
    fields.update(overrides)
    return EventMetadata.model_validate(fields)


def plan_received(
    plan: RehabilitationPlan | None = None, *, now: datetime = RECEIVED_AT, contact_working_days: int = 5
) -> PlanReceived:
    """The PlanReceived event `decide` produces for a new case."""
    command = receive_plan(plan, contact_working_days)
    (event,) = decide(CaseState(case_id="factory"), command, now)
    assert isinstance(event, PlanReceived)
    return event


def decide_all(state: CaseState, commands: list[Command], start: datetime = RECEIVED_AT) -> list[list[CaseEvent]]:
    """Run commands one hour apart; returns the events of each (one batch per command, as appended)."""
    batches: list[list[CaseEvent]] = []
    for offset, command in enumerate(commands):
        events = decide(state, command, start + timedelta(hours=offset))  # type: ignore[arg-type]
        for event in events:
            state = evolve(state, event)
        batches.append(events)
    return batches


def lifecycle_commands(provider: ProviderRef | None = None, plan: RehabilitationPlan | None = None) -> list[Command]:
    """An almen case from receipt to a started course, one command per step."""
    plan = plan or make_plan()
    return [
        receive_plan(plan),
        *(make_command(RecordPlanDelivery, recipient=r, message_id=str(uuid.uuid4())) for r in DISCHARGE_RECIPIENTS),
        make_command(ClassifyAlmenLevel, sub_level=AlmenSubLevel.BASAL),
        make_command(RecordCitizenContact, channel=ContactChannel.PHONE, informed_of_provider_choices=True),
        make_command(ChooseProvider, provider=provider or make_provider_ref()),
        make_command(OfferStart, first_appointment_on=plan.discharge_date + timedelta(days=5)),
    ]


def lifecycle_batches(case_id: str, plan: RehabilitationPlan | None = None) -> list[list[CaseEvent]]:
    return decide_all(CaseState(case_id=case_id), lifecycle_commands(plan=plan))


def make_append(
    case_id: str,
    events: list[CaseEvent],
    expected_version: int = 0,
    *,
    event_ids: list[str] | None = None,
    metadata: EventMetadata | None = None,
) -> AppendCaseEvents:
    return AppendCaseEvents(
        case_id=case_id,
        expected_version=expected_version,
        event_ids=event_ids if event_ids is not None else [str(uuid.uuid4()) for _ in events],
        events=events,
        metadata=metadata or make_metadata(workflow_id=case_id),
    )


def plan_payload(**overrides: Any) -> dict[str, Any]:
    """A plan as a hospital integration would POST it (JSON-compatible values)."""
    return make_plan(**overrides).model_dump(mode="json")


def receive_plan(plan: RehabilitationPlan | None = None, contact_working_days: int = 5) -> ReceivePlan:
    return make_command(
        ReceivePlan,
        actor=f"hospital:{HOSPITAL_SOR_ID}",
        plan=plan or make_plan(),
        contact_working_days=contact_working_days,
    )


def make_provider(**overrides: Any) -> ProviderRef:
    return make_provider_ref(**{"provider_id": "kbh-sundhedshus-nord", **overrides})


def at(day: date | str, hour: int = 10, minute: int = 0) -> datetime:
    """A UTC instant on a given day (10:00 UTC is 11:00 or 12:00 in Denmark)."""
    parsed = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(parsed.year, parsed.month, parsed.day, hour, minute, tzinfo=UTC)
