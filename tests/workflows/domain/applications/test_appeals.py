"""Table-driven tests of appeals, Ankestyrelsen and the end of a grant: each rule and the days either side of
its boundary."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.support.application_factories import (
    ankestyrelsen,
    appeal,
    change,
    forward,
    grant,
    grant_terms,
    granted,
    mark,
    noon,
    refuse,
    refused,
    rejected,
    run,
    upheld_on_appeal,
    uphold,
)
from workflows.domain.applications.deadlines import next_deadline, pending_deadlines
from workflows.domain.applications.decider import decide
from workflows.domain.applications.model import (
    AnkestyrelsenOutcome,
    ApplicationCloseReason,
    ApplicationDeadlineKind,
    ApplicationStatus,
    DecisionBasis,
)
from workflows.domain.applications.rejections import ApplicationRejection
from workflows.domain.applications.state import is_overdue

Kind = ApplicationDeadlineKind
Status = ApplicationStatus


# -- rule 4: the appeal within 4 weeks, the reassessment, the forwarding to Ankestyrelsen -------------


@pytest.mark.parametrize(
    ("received_on", "accepted"),
    [
        ("2025-12-01", True),  # the day of notification
        ("2025-12-29", True),  # day 28: the last day of the 4 weeks
        ("2025-12-30", False),  # day 29: late
    ],
)
def test_an_appeal_is_accepted_up_to_day_28_after_notification(received_on: str, accepted: bool) -> None:
    state = refused(date(2025, 12, 1))
    command = appeal(date.fromisoformat(received_on))
    if accepted:
        after, _ = run([(command, noon("2025-12-31"))], state)
        assert after.status is Status.APPEALED
        return
    rejection = rejected(state, command, noon("2025-12-31"))
    assert (rejection.kind, rejection.field) == (ApplicationRejection.INVALID, "received_on")
    assert "ended on 2025-12-29" in rejection.message


@pytest.mark.parametrize(("received_on", "now"), [("2025-11-30", "2025-12-02"), ("2025-12-03", "2025-12-02")])
def test_an_appeal_before_the_notification_or_in_the_future_is_invalid(received_on: str, now: str) -> None:
    rejection = rejected(refused(date(2025, 12, 1)), appeal(date.fromisoformat(received_on)), noon(now))
    assert (rejection.kind, rejection.field) == (ApplicationRejection.INVALID, "received_on")


def test_the_forwarding_deadline_is_4_weeks_after_the_appeal() -> None:
    state = upheld_on_appeal(date(2025, 12, 10))
    assert state.status is Status.UPHELD and state.forwarding_due_on == date(2026, 1, 7)
    assert next_deadline(state) == (Kind.ANKESTYRELSEN_FORWARDING, datetime(2026, 1, 7, 23, tzinfo=UTC))
    assert decide(state, mark(Kind.ANKESTYRELSEN_FORWARDING), datetime(2026, 1, 7, 22, 59, tzinfo=UTC)) == []
    late, events = run([(mark(Kind.ANKESTYRELSEN_FORWARDING), datetime(2026, 1, 7, 23, tzinfo=UTC))], state)
    assert [e.type for e in events] == ["AnkestyrelsenForwardingOverdue"] and is_overdue(late)
    forwarded, (event,) = run([(forward(date(2026, 1, 9)), noon("2026-01-09"))], late)
    assert event.within_deadline is False and forwarded.status is Status.AT_ANKESTYRELSEN  # type: ignore[union-attr]
    assert not is_overdue(forwarded) and pending_deadlines(forwarded) == {}


@pytest.mark.parametrize(("forwarded_on", "within"), [("2026-01-07", True), ("2026-01-08", False)])
def test_forwarding_on_day_28_is_in_time_and_day_29_is_late(forwarded_on: str, within: bool) -> None:
    _, (event,) = run(
        [(forward(date.fromisoformat(forwarded_on)), noon("2026-01-09"))], upheld_on_appeal(date(2025, 12, 10))
    )
    assert event.within_deadline is within  # type: ignore[union-attr]


def test_the_forwarding_deadline_already_runs_during_the_reassessment() -> None:
    state, _ = run([(appeal(date(2025, 12, 10)), noon("2025-12-10"))], refused(date(2025, 12, 1)))
    assert Kind.ANKESTYRELSEN_FORWARDING in pending_deadlines(state)
    assert Kind.APPEAL_PERIOD not in pending_deadlines(state)  # the appeal stops the closing of a refusal


def test_a_changed_decision_is_a_new_decision_appealable_again() -> None:
    state, _ = run([(appeal(date(2025, 12, 10)), noon("2025-12-10"))], refused(date(2025, 12, 1)))
    terms = grant_terms(date(2025, 12, 15), date(2026, 3, 15), date(2025, 12, 12))
    changed, events = run([(change(terms), noon("2025-12-12"))], state)
    assert [e.type for e in events] == ["ReassessmentCompleted", "DecisionMade"]
    assert changed.status is Status.GRANTED and changed.decision_basis is DecisionBasis.REASSESSMENT
    assert pending_deadlines(changed).keys() == {Kind.GRANT_PERIOD}  # no forwarding once changed
    again, _ = run([(appeal(date(2026, 1, 9)), noon("2026-01-09"))], changed)  # day 28 after 12 December
    assert again.status is Status.APPEALED and again.forwarding_due_on == date(2026, 2, 6)


@pytest.mark.parametrize(
    ("outcome", "status", "close_reason"),
    [
        (AnkestyrelsenOutcome.UPHELD, Status.CLOSED, ApplicationCloseReason.REFUSAL_UPHELD_BY_ANKESTYRELSEN),
        (AnkestyrelsenOutcome.CHANGED, Status.UNDER_ASSESSMENT, None),
        (AnkestyrelsenOutcome.RETURNED, Status.UNDER_ASSESSMENT, None),
    ],
)
def test_ankestyrelsens_outcome_on_a_refusal(
    outcome: AnkestyrelsenOutcome, status: ApplicationStatus, close_reason: ApplicationCloseReason | None
) -> None:
    state, _ = run([(forward(date(2025, 12, 20)), noon("2025-12-20"))], upheld_on_appeal(date(2025, 12, 10)))
    after, _ = run([(ankestyrelsen(outcome, date(2026, 2, 2)), noon("2026-02-02"))], state)
    assert (after.status, after.close_reason, after.ankestyrelsen_outcome) == (status, close_reason, outcome)
    if status is Status.UNDER_ASSESSMENT:  # the municipality makes the new decision
        decided, (event,) = run(
            [(grant(date(2026, 2, 9), date(2026, 4, 30), date(2026, 2, 5)), noon("2026-02-05"))], after
        )
        assert event.basis is DecisionBasis.AFTER_ANKESTYRELSEN and decided.status is Status.GRANTED  # type: ignore[union-attr]


def test_ankestyrelsen_upholding_a_grant_lets_the_period_run_on() -> None:
    state, _ = run(
        [
            (appeal(date(2025, 11, 20)), noon("2025-11-20")),
            (uphold(), noon("2025-11-25")),
            (forward(date(2025, 11, 26)), noon("2025-11-26")),
            (ankestyrelsen(AnkestyrelsenOutcome.UPHELD, date(2026, 1, 5)), noon("2026-01-05")),
        ],
        granted(date(2025, 11, 10), date(2026, 2, 28)),
    )
    assert state.status is Status.GRANTED and next_deadline(state) == (
        Kind.GRANT_PERIOD,
        datetime(2026, 2, 28, 23, tzinfo=UTC),
    )


# -- rule 5: the end of the granted period, renewal, and a refusal not appealed ----------------------------


def test_the_granted_period_ends_at_the_end_of_its_last_day_and_closes_the_application() -> None:
    state = granted(date(2025, 11, 10), date(2026, 3, 31))
    # 31 March 2026 ends at 22:00 UTC (summer time began on 29 March).
    assert decide(state, mark(Kind.GRANT_PERIOD), datetime(2026, 3, 31, 21, 59, 59, tzinfo=UTC)) == []
    closed, events = run([(mark(Kind.GRANT_PERIOD), datetime(2026, 3, 31, 22, tzinfo=UTC))], state)
    assert [e.type for e in events] == ["GrantPeriodEnded", "ApplicationClosed"]
    assert (closed.status, closed.close_reason) == (Status.CLOSED, ApplicationCloseReason.GRANT_PERIOD_ENDED)


@pytest.mark.parametrize("renewal_from", ["2026-03-20", "2026-04-01"])  # overlapping, or the very next day
def test_a_renewal_made_before_the_end_keeps_the_application_open(renewal_from: str) -> None:
    state = granted(date(2025, 11, 10), date(2026, 3, 31))
    renewed, (event,) = run(
        [(grant(date.fromisoformat(renewal_from), date(2026, 6, 30), date(2026, 3, 25)), noon("2026-03-25"))], state
    )
    assert event.basis is DecisionBasis.RENEWAL  # type: ignore[union-attr]
    assert decide(renewed, mark(Kind.GRANT_PERIOD), datetime(2026, 3, 31, 22, tzinfo=UTC)) == []
    assert next_deadline(renewed) == (Kind.GRANT_PERIOD, datetime(2026, 6, 30, 22, tzinfo=UTC))


@pytest.mark.parametrize(
    ("command", "kind", "field"),
    [
        (grant(date(2026, 4, 2), date(2026, 6, 30), date(2026, 3, 25)), ApplicationRejection.INVALID, "period_from"),
        (grant(date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 25)), ApplicationRejection.INVALID, "period_to"),
        (refuse(date(2026, 3, 25)), ApplicationRejection.NOT_ALLOWED_NOW, None),
    ],
)
def test_a_renewal_must_continue_the_granted_period(
    command: object, kind: ApplicationRejection, field: str | None
) -> None:
    rejection = rejected(granted(date(2025, 11, 10), date(2026, 3, 31)), command, noon("2026-03-25"))
    assert (rejection.kind, rejection.field) == (kind, field)


def test_a_refusal_not_appealed_closes_when_the_appeal_period_ends() -> None:
    state = refused(date(2025, 12, 1))
    assert next_deadline(state) == (Kind.APPEAL_PERIOD, datetime(2025, 12, 29, 23, tzinfo=UTC))
    assert decide(state, mark(Kind.APPEAL_PERIOD), datetime(2025, 12, 29, 22, 59, tzinfo=UTC)) == []
    closed, events = run([(mark(Kind.APPEAL_PERIOD), datetime(2025, 12, 29, 23, tzinfo=UTC))], state)
    assert [e.type for e in events] == ["AppealPeriodEnded", "ApplicationClosed"]
    assert closed.close_reason is ApplicationCloseReason.REFUSAL_NOT_APPEALED
