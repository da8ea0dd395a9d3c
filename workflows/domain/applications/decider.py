"""`decide(state, command, now) -> events` for applications: every business decision, no I/O, no clock.

A command the application does not allow raises `ApplicationCommandRejected`; the workflow's update
validators call this same function, so a rejected command never reaches the history or the store.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import singledispatch

from workflows.domain.applications import decisions
from workflows.domain.applications.commands import (
    Application,
    ApplicationCommand,
    AssessTransport,
    CloseApplication,
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
from workflows.domain.applications.deadlines import pending_deadlines
from workflows.domain.applications.decisions import not_after_today, require_status
from workflows.domain.applications.events import (
    AnkestyrelsenForwardingOverdue,
    AppealPeriodEnded,
    ApplicationClosed,
    ApplicationEvent,
    ApplicationReceived,
    GpInformationOverdue,
    GpInformationReceived,
    GpInformationRequested,
    GrantPeriodEnded,
    LegalReference,
    TransportAssessed,
)
from workflows.domain.applications.legal import NotConfigured, legal_reference_for
from workflows.domain.applications.model import ApplicationCloseReason, ApplicationDeadlineKind, ApplicationStatus
from workflows.domain.applications.rejections import (
    ApplicationCommandRejected,
    ApplicationRejection,
    require,
    require_valid,
)
from workflows.domain.applications.state import ASSESSING, ApplicationState
from workflows.domain.calendar import local_date
from workflows.domain.messaging.commands import RecordMessageOutcome, RecordMessageQueued, ResendMessage
from workflows.domain.messaging.decisions import NotFailed, UnknownMessage, outcome_events, queued_events, resend_events

Status = ApplicationStatus


def application_fingerprint(application: Application) -> str:
    return hashlib.sha256(application.model_dump_json().encode()).hexdigest()


def decide(state: ApplicationState, command: ApplicationCommand, now: datetime) -> list[ApplicationEvent]:
    # What became of a message sent before it closed is still recorded (the sender's reports), and a failed
    # letter is sent again: the decision letter is owed whether or not the application has closed since.
    if state.status.is_terminal and not isinstance(command, (ReceiveApplication, RecordMessageOutcome, ResendMessage)):
        raise ApplicationCommandRejected(
            ApplicationRejection.APPLICATION_CLOSED, "the application is closed; it takes no commands"
        )
    return _decide(command, state, now)


@singledispatch
def _decide(command: ApplicationCommand, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    raise TypeError(f"no decision rule for {type(command).__name__}")


@_decide.register
def _(command: ReceiveApplication, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    fingerprint = application_fingerprint(command.application)
    if state.status is not Status.NEW:
        if state.application_fingerprint != fingerprint:
            raise ApplicationCommandRejected(
                ApplicationRejection.APPLICATION_CONFLICT,
                "this idempotency key was used for another application",
                "header.Idempotency-Key",
            )
        return []  # the same application again: nothing new happened
    application = command.application
    not_after_today(application.application_date, now, "application_date")
    try:
        # The application date selects the provision: the Ældrelov only for applications from 1 July 2025.
        provision, table_valid_from = legal_reference_for(
            application.application_date, application.legal_basis, application.covered_by_aeldreloven
        )
    except NotConfigured as exc:
        raise ApplicationCommandRejected(ApplicationRejection.INVALID, str(exc), "application_date") from None
    reference = LegalReference(
        care_level=provision.care_level,
        citation=provision.citation,
        verified=provision.verified,
        table_valid_from=table_valid_from,
    )
    return [
        ApplicationReceived(
            occurred_at=now, application=application, application_fingerprint=fingerprint, legal_reference=reference
        )
    ]


@_decide.register
def _(command: RequestGpInformation, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    require_status(state, ASSESSING, "ask the GP for information")
    require(not state.gp_reply_outstanding or state.gp_overdue, "a request to the GP still awaits its reply")
    require_valid(command.reply_by >= local_date(now), "reply_by", "reply_by lies in the past")
    return [
        GpInformationRequested(
            occurred_at=now, requested_on=local_date(now), reply_by=command.reply_by, note=command.note
        )
    ]


@_decide.register
def _(command: RecordGpReply, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    require(state.gp_reply_outstanding, "no request to the GP awaits a reply")
    assert state.gp_reply_by is not None and state.gp_requested_on is not None
    received_on = command.received_on or local_date(now)
    not_after_today(received_on, now, "received_on")
    require_valid(received_on >= state.gp_requested_on, "received_on", "received_on lies before the request")
    late = received_on > state.gp_reply_by
    return [GpInformationReceived(occurred_at=now, received_on=received_on, late=late, note=command.note)]


_decide.register(MakeDecision, decisions.make_decision)
_decide.register(RecordAppeal, decisions.record_appeal)
_decide.register(ReassessDecision, decisions.reassess_decision)
_decide.register(RecordForwarding, decisions.record_forwarding)
_decide.register(RecordAnkestyrelsenOutcome, decisions.record_ankestyrelsen_outcome)


@_decide.register
def _(command: AssessTransport, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    # Serviceloven §86: no statutory right to transport, only an individual assessment (domain-notes §5).
    require_status(state, (Status.UNDER_ASSESSMENT, Status.GRANTED), "assess transport")
    return [TransportAssessed(occurred_at=now, granted=command.granted, grounds=command.grounds)]


@_decide.register
def _(command: CloseApplication, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    require(state.is_open, "there is no open application to close")
    return [ApplicationClosed(occurred_at=now, reason=ApplicationCloseReason(command.reason.value), note=command.note)]


@_decide.register
def _(command: MarkApplicationDeadlinePassed, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    due_at = pending_deadlines(state).get(command.deadline)
    if due_at is None or now < due_at:
        return []  # met, cancelled or not yet due: a timer that fires late changes nothing
    kind = command.deadline
    if kind is ApplicationDeadlineKind.GP_REPLY:
        assert state.gp_reply_by is not None
        return [GpInformationOverdue(occurred_at=now, due_on=state.gp_reply_by)]
    if kind is ApplicationDeadlineKind.ANKESTYRELSEN_FORWARDING:
        assert state.forwarding_due_on is not None
        return [AnkestyrelsenForwardingOverdue(occurred_at=now, due_on=state.forwarding_due_on)]
    if kind is ApplicationDeadlineKind.GRANT_PERIOD:
        assert state.granted_to is not None
        return [
            GrantPeriodEnded(occurred_at=now, period_to=state.granted_to),
            ApplicationClosed(occurred_at=now, reason=ApplicationCloseReason.GRANT_PERIOD_ENDED),
        ]
    assert state.appeal_guidance is not None
    # A refusal not appealed within the appeal period is final.
    return [
        AppealPeriodEnded(occurred_at=now, due_on=state.appeal_guidance.appeal_due_on),
        ApplicationClosed(occurred_at=now, reason=ApplicationCloseReason.REFUSAL_NOT_APPEALED),
    ]


@_decide.register
def _(command: RecordMessageQueued, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    return list(queued_events(state.messages, command, now, plan_id=None))  # an application has no plans


@_decide.register
def _(command: RecordMessageOutcome, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    return list(outcome_events(state.messages, command, now))


@_decide.register
def _(command: ResendMessage, state: ApplicationState, now: datetime) -> list[ApplicationEvent]:
    try:
        return list(resend_events(state.messages, command, now))
    except UnknownMessage:
        raise ApplicationCommandRejected(
            ApplicationRejection.INVALID, "the application has no message with this id", "message_id"
        ) from None
    except NotFailed as refusal:
        raise ApplicationCommandRejected(ApplicationRejection.NOT_ALLOWED_NOW, str(refusal)) from None
