"""Table-driven tests of the application decider: each rule, and the days either side of its boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from tests.support.application_factories import (
    APPLIED_ON,
    CASEWORKER,
    ankestyrelsen,
    appeal,
    change,
    cid,
    close,
    forward,
    gp_reply,
    grant,
    grant_terms,
    make_application,
    mark,
    noon,
    receive,
    received,
    refusal_terms,
    refuse,
    refused,
    rejected,
    request_gp,
    run,
    transport,
    upheld_on_appeal,
    uphold,
)
from workflows.domain.applications.commands import ApplicationCommand, CloseApplication, DecisionTerms, ReassessDecision
from workflows.domain.applications.deadlines import pending_deadlines
from workflows.domain.applications.decider import decide
from workflows.domain.applications.events import DecisionMade
from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationCloseReason,
    ApplicationDeadlineKind,
    ApplicationStatus,
    CareLevel,
    DecisionBasis,
    LegalBasis,
)
from workflows.domain.applications.rejections import ApplicationRejection
from workflows.domain.applications.state import ApplicationState, fold, is_overdue

Kind = ApplicationDeadlineKind
Status = ApplicationStatus


# -- rule 1: the legal reference, by application date and Ældrelov coverage ----------------------------


@pytest.mark.parametrize(
    ("application_date", "basis", "covered", "care_level"),
    [
        ("2025-06-30", LegalBasis.STK1, True, CareLevel.SEL86_STK1),  # the day before the Ældrelov
        ("2025-06-30", LegalBasis.STK2, True, CareLevel.SEL86_STK2),
        ("2025-07-01", LegalBasis.STK1, True, CareLevel.AELDRELOVEN),  # its first day
        ("2025-07-01", LegalBasis.STK2, True, CareLevel.AELDRELOVEN),
        ("2025-07-01", LegalBasis.STK1, False, CareLevel.SEL86_STK1),  # not covered: Serviceloven stays
        ("2025-07-01", LegalBasis.STK2, False, CareLevel.SEL86_STK2),
        ("2019-03-01", LegalBasis.STK1, False, CareLevel.SEL86_STK1),
    ],
)
def test_the_application_date_chooses_the_legal_reference(
    application_date: str, basis: LegalBasis, covered: bool, care_level: CareLevel
) -> None:
    application = make_application(application_date=application_date, legal_basis=basis, covered_by_aeldreloven=covered)
    state, (event,) = run([(receive(application), noon("2025-07-02"))])
    assert state.status is Status.UNDER_ASSESSMENT
    assert state.legal_reference == event.legal_reference  # type: ignore[union-attr]
    reference = state.legal_reference
    assert reference is not None and reference.care_level is care_level
    assert reference.verified is (care_level is not CareLevel.AELDRELOVEN)  # the ÆL § is not yet verified
    assert reference.citation.startswith("Ældreloven" if care_level is CareLevel.AELDRELOVEN else "Serviceloven § 86")


@pytest.mark.parametrize(("basis", "section"), [(LegalBasis.STK1, "§ 13"), (LegalBasis.STK2, "§ 14")])
def test_an_aeldrelov_application_cites_its_one_section(basis: LegalBasis, section: str) -> None:
    """Genoptræning (§86 stk. 1's kind) under Ældreloven § 13, vedligeholdelsestræning (stk. 2's) under § 14: the
    decision letter cites the one section, never a choice of two."""
    application = make_application(application_date="2025-07-01", legal_basis=basis, covered_by_aeldreloven=True)
    state, _ = run([(receive(application), noon("2025-07-02"))])
    reference = state.legal_reference
    assert reference is not None
    assert reference.citation == f"Ældreloven {section}"
    assert "eller" not in reference.citation


@pytest.mark.parametrize(
    ("application_date", "message"),
    [("2018-06-30", "no legal references in force"), ("2025-07-03", "application_date lies in the future")],
)
def test_an_application_date_outside_the_tables_or_ahead_is_invalid(application_date: str, message: str) -> None:
    state = ApplicationState(application_id="a")
    rejection = rejected(state, receive(make_application(application_date=application_date)), noon("2025-07-02"))
    assert (rejection.kind, rejection.field) == (ApplicationRejection.INVALID, "application_date")
    assert message in rejection.message


def test_the_same_application_again_changes_nothing_and_other_content_conflicts() -> None:
    application = make_application()
    state, _ = run([(receive(application), noon(APPLIED_ON))])
    assert decide(state, receive(application), noon(APPLIED_ON)) == []
    other = make_application(description_of_need="Noget andet")
    assert rejected(state, receive(other), noon(APPLIED_ON)).kind is ApplicationRejection.APPLICATION_CONFLICT


# -- rule 2: information from the GP, with a reply deadline ----------------------------------------------


def test_gp_reply_deadline_falls_due_at_the_end_of_the_day_in_denmark() -> None:
    state, _ = run([(request_gp(date(2025, 11, 14)), noon("2025-11-04"))], received())
    # 14 November 2025 ends at 23:00 UTC (CET).
    assert pending_deadlines(state) == {Kind.GP_REPLY: datetime(2025, 11, 14, 23, tzinfo=UTC)}
    assert decide(state, mark(Kind.GP_REPLY), datetime(2025, 11, 14, 22, 59, 59, tzinfo=UTC)) == []
    overdue, events = run([(mark(Kind.GP_REPLY), datetime(2025, 11, 14, 23, tzinfo=UTC))], state)
    assert [e.type for e in events] == ["GpInformationOverdue"] and is_overdue(overdue)
    answered, events = run([(gp_reply(), noon("2025-11-17"))], overdue)
    assert events[0].late is True and not is_overdue(answered)  # type: ignore[union-attr]


def test_a_gp_reply_cancels_the_deadline() -> None:
    state, _ = run([(request_gp(date(2025, 11, 14)), noon("2025-11-04")), (gp_reply(), noon("2025-11-10"))], received())
    assert pending_deadlines(state) == {}
    assert decide(state, mark(Kind.GP_REPLY), noon("2025-11-20")) == []
    assert state.gp_replied_on == date(2025, 11, 10)


@pytest.mark.parametrize(
    ("steps", "command", "kind", "field"),
    [
        ([], request_gp(date(2025, 11, 3)), ApplicationRejection.INVALID, "reply_by"),  # yesterday
        ([request_gp(date(2025, 11, 20))], request_gp(date(2025, 11, 25)), ApplicationRejection.NOT_ALLOWED_NOW, None),
        ([], gp_reply(), ApplicationRejection.NOT_ALLOWED_NOW, None),  # nothing was asked
        ([request_gp(date(2025, 11, 20))], gp_reply(date(2025, 11, 5)), ApplicationRejection.INVALID, "received_on"),
    ],
)
def test_gp_requests_and_replies_that_do_not_fit(
    steps: list[object], command: object, kind: ApplicationRejection, field: str | None
) -> None:
    now = noon("2025-11-04")
    state, _ = run([(step, now) for step in steps], received())  # type: ignore[misc]
    rejection = rejected(state, command, now)
    assert (rejection.kind, rejection.field) == (kind, field)


# -- rule 3: the decision (afgørelse), with appeal guidance, free training in the granted period ----------


def test_a_grant_carries_its_period_appeal_guidance_and_legal_reference() -> None:
    state, (event,) = run(
        [(grant(date(2025, 11, 10), date(2026, 2, 28), date(2025, 11, 7)), noon("2025-11-07"))], received()
    )
    assert isinstance(event, DecisionMade)
    assert (event.basis, event.free_of_charge, event.period_to) == (DecisionBasis.ASSESSMENT, True, date(2026, 2, 28))
    assert event.legal_reference == state.legal_reference
    guidance = event.appeal_guidance
    assert (guidance.complain_to, guidance.within_days, guidance.forwarded_to) == ("municipality", 28, "Ankestyrelsen")
    assert guidance.appeal_due_on == date(2025, 12, 5) and "senest den 5. december 2025," in guidance.text
    assert state.status is Status.GRANTED and state.free_of_charge


def test_a_refusal_carries_its_reason_and_appeal_guidance() -> None:
    state, (event,) = run([(refuse(date(2025, 11, 7)), noon("2025-11-07"))], received())
    assert isinstance(event, DecisionMade) and not event.free_of_charge and event.reason
    assert state.status is Status.REFUSED and state.appeal_guidance == event.appeal_guidance


@pytest.mark.parametrize(
    ("terms", "field"),
    [
        (grant_terms(date(2025, 11, 10), date(2026, 1, 31), date(2025, 11, 8)), "notified_on"),  # tomorrow
        (grant_terms(date(2025, 11, 10), date(2026, 1, 31), date(2025, 11, 1)), "notified_on"),  # before applying
        (grant_terms(date(2025, 11, 1), date(2026, 1, 31), date(2025, 11, 7)), "period_from"),  # before applying
        (grant_terms(date(2025, 11, 3), date(2025, 11, 6), date(2025, 11, 7)), "period_to"),  # already over
    ],
)
def test_decisions_that_contradict_the_application_name_the_field(terms: DecisionTerms, field: str) -> None:
    command = grant(terms.period_from, terms.period_to, terms.notified_on)  # type: ignore[arg-type]
    rejection = rejected(received(), command, noon("2025-11-07"))
    assert (rejection.kind, rejection.field) == (ApplicationRejection.INVALID, field)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"outcome": "granted", "notified_on": "2025-11-07"}, "period_from,period_to"),
        ({"outcome": "granted", "notified_on": "2025-11-07", "period_from": "2025-11-10"}, "period_to"),
        (
            {"outcome": "granted", "notified_on": "2025-11-07", "period_from": "2025-11-10", "period_to": "2025-11-09"},
            "period_to",
        ),
        ({"outcome": "refused", "notified_on": "2025-11-07"}, "reason"),
        ({"outcome": "refused", "notified_on": "2025-11-07", "reason": "x", "period_to": "2025-12-01"}, "period_to"),
    ],
)
def test_decision_terms_are_checked_field_by_field(fields: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        DecisionTerms.model_validate(fields)
    assert [error["loc"] for error in invalid.value.errors()] == [(name,) for name in field.split(",")]


def test_reassessment_and_closure_bodies_are_checked_field_by_field() -> None:
    with pytest.raises(ValidationError) as missing:
        ReassessDecision(command_id="c", actor=CASEWORKER, outcome="changed")
    assert missing.value.errors()[0]["loc"] == ("decision",)
    with pytest.raises(ValidationError) as extra:
        ReassessDecision(
            command_id="c",
            actor=CASEWORKER,
            outcome="upheld",
            decision=refusal_terms(date(2025, 11, 7)),
        )
    assert extra.value.errors()[0]["loc"] == ("decision",)
    with pytest.raises(ValidationError) as no_note:
        CloseApplication(command_id="c", actor=CASEWORKER, reason="other")
    assert no_note.value.errors()[0]["loc"] == ("note",)


# -- rules 6 and 7: transport, closing; and what each status allows --------------------------------------


@pytest.mark.parametrize("granted_transport", [True, False])
def test_transport_is_an_individual_assessment_recorded_as_it_is_given(granted_transport: bool) -> None:
    state, (event,) = run([(transport(granted_transport), noon("2025-11-05"))], received())
    assert event.type == "TransportAssessed" and state.transport_granted is granted_transport
    assert state.transport_grounds == "Kan ikke tage offentlig transport"


@pytest.mark.parametrize(
    ("state_of", "command"),
    [
        (lambda: received(), lambda: appeal(date(2025, 11, 5))),  # nothing decided yet
        (lambda: received(), lambda: uphold()),
        (lambda: received(), lambda: forward(date(2025, 11, 5))),
        (lambda: refused(date(2025, 11, 5)), lambda: transport()),  # no training to travel to
        (lambda: refused(date(2025, 11, 5)), lambda: grant(date(2025, 11, 10), date(2026, 1, 31), date(2025, 11, 5))),
        (
            lambda: upheld_on_appeal(date(2025, 11, 5), date(2025, 11, 4)),
            lambda: ankestyrelsen(AnkestyrelsenOutcome.UPHELD, date(2025, 11, 5)),
        ),
        (lambda: upheld_on_appeal(date(2025, 11, 5), date(2025, 11, 4)), lambda: request_gp(date(2025, 11, 20))),
    ],
)
def test_commands_the_status_does_not_allow_are_conflicts(state_of: object, command: object) -> None:
    state = state_of()  # type: ignore[operator]
    rejection = rejected(state, command(), noon("2025-11-05"))  # type: ignore[operator]
    assert rejection.kind is ApplicationRejection.NOT_ALLOWED_NOW
    assert state.status.value in rejection.message


@pytest.mark.parametrize("reason", ["withdrawn_by_citizen", "deceased"])
def test_a_closed_application_takes_no_further_commands(reason: str) -> None:
    closing = CloseApplication(command_id=cid(), actor=CASEWORKER, reason=reason)
    state, _ = run([(closing, noon("2025-11-05"))], received())
    assert (state.status, state.close_reason) == (Status.CLOSED, ApplicationCloseReason(reason))
    assert pending_deadlines(state) == {}
    for command in (close(), transport(), request_gp(date(2025, 11, 20)), refuse(date(2025, 11, 5))):
        assert rejected(state, command, noon("2025-11-05")).kind is ApplicationRejection.APPLICATION_CLOSED


def test_events_fold_to_the_state_decide_walked_through() -> None:
    steps: list[tuple[ApplicationCommand, datetime]] = [
        (request_gp(date(2025, 11, 14)), noon("2025-11-04")),
        (gp_reply(), noon("2025-11-06")),
        (transport(), noon("2025-11-06")),
        (refuse(date(2025, 11, 7)), noon("2025-11-07")),
        (appeal(date(2025, 11, 20)), noon("2025-11-20")),
        (change(grant_terms(date(2025, 11, 24), date(2026, 1, 31), date(2025, 11, 21))), noon("2025-11-21")),
    ]
    state, events = run(steps, received())
    start = received()
    assert fold(start, events) == state and state.version == start.version + len(events)
