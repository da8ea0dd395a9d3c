"""Valid application objects for tests: the intake, each command, and a run of the pure decider.

Synthetic data only: CPR 2509479989 is a test number and the name is invented.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

from tests.support.factories import SYNTHETIC_CPR, make_metadata
from workflows.contracts.store import AppendApplicationEvents
from workflows.domain.applications.commands import (
    Application,
    ApplicationCommand,
    AssessTransport,
    CloseApplication,
    DecisionTerms,
    MakeDecision,
    MarkApplicationDeadlinePassed,
    ReassessDecision,
    ReceiveApplication,
    RecordAnkestyrelsenOutcome,
    RecordAppeal,
    RecordForwarding,
    RecordGpReply,
    RequestGpInformation,
)
from workflows.domain.applications.decider import decide
from workflows.domain.applications.events import ApplicationEvent
from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationDeadlineKind,
    CaseworkerCloseReason,
    DecisionOutcome,
    LegalBasis,
    ReassessmentOutcome,
)
from workflows.domain.applications.rejections import ApplicationCommandRejected
from workflows.domain.applications.state import ApplicationState, evolve

CASEWORKER = "caseworker:cw-86"
APPLIED_ON = date(2025, 11, 3)  # a Monday, after the Ældrelov came into force


def noon(day: date | str) -> datetime:
    """Noon UTC on a day (13:00 or 14:00 in Denmark): safely inside the Danish day."""
    parsed = date.fromisoformat(day) if isinstance(day, str) else day
    return datetime(parsed.year, parsed.month, parsed.day, 12, tzinfo=UTC)


def cid() -> str:
    return f"cmd-{uuid.uuid4()}"


def make_application(**overrides: Any) -> Application:
    fields: dict[str, Any] = {
        "citizen": {"cpr": SYNTHETIC_CPR, "name": "Testa Testesen"},
        "municipality_code": "101",
        "legal_basis": LegalBasis.STK1,
        "covered_by_aeldreloven": False,
        "application_date": APPLIED_ON,
        "description_of_need": "Nedsat gangfunktion efter lungebetændelse, ikke indlagt.",
    }
    fields.update(overrides)
    return Application.model_validate(fields)


def application_payload(**overrides: Any) -> dict[str, Any]:
    """The intake as the API takes it (JSON-compatible values)."""
    return make_application(**overrides).model_dump(mode="json")


def receive(application: Application | None = None) -> ReceiveApplication:
    return ReceiveApplication(command_id=cid(), actor=CASEWORKER, application=application or make_application())


def request_gp(reply_by: date) -> RequestGpInformation:
    return RequestGpInformation(command_id=cid(), actor=CASEWORKER, reply_by=reply_by)


def gp_reply(received_on: date | None = None) -> RecordGpReply:
    return RecordGpReply(command_id=cid(), actor=CASEWORKER, received_on=received_on)


def grant_terms(period_from: date, period_to: date, notified_on: date) -> DecisionTerms:
    return DecisionTerms(
        outcome=DecisionOutcome.GRANTED, period_from=period_from, period_to=period_to, notified_on=notified_on
    )


def refusal_terms(notified_on: date, reason: str = "Behovet kan dækkes af egen træning") -> DecisionTerms:
    return DecisionTerms(outcome=DecisionOutcome.REFUSED, reason=reason, notified_on=notified_on)


def grant(period_from: date, period_to: date, notified_on: date) -> MakeDecision:
    return MakeDecision(command_id=cid(), actor=CASEWORKER, decision=grant_terms(period_from, period_to, notified_on))


def refuse(notified_on: date) -> MakeDecision:
    return MakeDecision(command_id=cid(), actor=CASEWORKER, decision=refusal_terms(notified_on))


def appeal(received_on: date) -> RecordAppeal:
    return RecordAppeal(command_id=cid(), actor=CASEWORKER, received_on=received_on)


def uphold() -> ReassessDecision:
    return ReassessDecision(command_id=cid(), actor=CASEWORKER, outcome=ReassessmentOutcome.UPHELD)


def change(terms: DecisionTerms) -> ReassessDecision:
    return ReassessDecision(command_id=cid(), actor=CASEWORKER, outcome=ReassessmentOutcome.CHANGED, decision=terms)


def forward(forwarded_on: date) -> RecordForwarding:
    return RecordForwarding(command_id=cid(), actor=CASEWORKER, forwarded_on=forwarded_on)


def ankestyrelsen(outcome: AnkestyrelsenOutcome, decided_on: date) -> RecordAnkestyrelsenOutcome:
    return RecordAnkestyrelsenOutcome(command_id=cid(), actor=CASEWORKER, outcome=outcome, decided_on=decided_on)


def transport(granted: bool = True) -> AssessTransport:
    return AssessTransport(
        command_id=cid(), actor=CASEWORKER, granted=granted, grounds="Kan ikke tage offentlig transport"
    )


def close(reason: CaseworkerCloseReason = CaseworkerCloseReason.WITHDRAWN_BY_CITIZEN) -> CloseApplication:
    return CloseApplication(command_id=cid(), actor=CASEWORKER, reason=reason)


def run(
    steps: list[tuple[ApplicationCommand, datetime]], state: ApplicationState | None = None
) -> tuple[ApplicationState, list[ApplicationEvent]]:
    """Decide and fold each command at its own instant; returns the state and every event produced."""
    state = state or ApplicationState(application_id="application-under-test")
    produced: list[ApplicationEvent] = []
    for command, now in steps:
        for event in decide(state, command, now):
            produced.append(event)
            state = evolve(state, event)
    return state, produced


def make_application_append(
    application_id: str, events: list[ApplicationEvent], expected_version: int = 0
) -> AppendApplicationEvents:
    return AppendApplicationEvents(
        application_id=application_id,
        expected_version=expected_version,
        event_ids=[str(uuid.uuid4()) for _ in events],
        events=events,
        metadata=make_metadata(workflow_id=f"application-{application_id}"),
    )


# -- states reached through the decider ------------------------------------------------------------


def mark(kind: ApplicationDeadlineKind) -> MarkApplicationDeadlinePassed:
    return MarkApplicationDeadlinePassed(command_id=cid(), actor="system:deadline", deadline=kind)


def received(application_date: date = APPLIED_ON) -> ApplicationState:
    state, _ = run([(receive(make_application(application_date=application_date)), noon(application_date))])
    return state


def refused(notified_on: date) -> ApplicationState:
    state, _ = run([(refuse(notified_on), noon(notified_on))], received())
    return state


def granted(period_from: date, period_to: date) -> ApplicationState:
    state, _ = run([(grant(period_from, period_to, period_from), noon(period_from))], received())
    return state


def rejected(state: ApplicationState, command: object, now: datetime) -> ApplicationCommandRejected:
    with pytest.raises(ApplicationCommandRejected) as rejection:
        decide(state, command, now)  # type: ignore[arg-type]
    return rejection.value


def upheld_on_appeal(received_on: date, notified_on: date = date(2025, 12, 1)) -> ApplicationState:
    state, _ = run([(appeal(received_on), noon(received_on)), (uphold(), noon(received_on))], refused(notified_on))
    return state
