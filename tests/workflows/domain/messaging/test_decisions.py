"""Table-driven tests of the message commands as a case and an application decide them: the same shared
decisions (workflows/domain/messaging/decisions.py), each stream's own plan_id and rejections."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import pytest

from tests.support.application_factories import close as close_application
from tests.support.application_factories import noon, receive
from tests.support.application_factories import run as run_application
from tests.support.domain_helpers import run_commands
from tests.support.factories import at, receive_plan
from workflows.domain.applications.rejections import ApplicationCommandRejected, ApplicationRejection
from workflows.domain.commands import CloseCase
from workflows.domain.decider import CommandRejected, Rejection
from workflows.domain.messaging.commands import (
    MessageOutcome,
    Outcome,
    RecordMessageOutcome,
    RecordMessageQueued,
    ResendMessage,
)
from workflows.domain.messaging.events import DeliveryFailure, MessageQueued, MessageResendRequested
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient
from workflows.domain.model import CloseReason
from workflows.domain.rejection import BusinessRejection

Command = RecordMessageQueued | RecordMessageOutcome | ResendMessage


@dataclass(frozen=True)
class Stream:
    """A fresh stream of one kind, run through message commands; `name` is the word its rejections use."""

    name: str
    run: Callable[[list[Command]], list[object]]
    rejected: type[BusinessRejection]
    invalid: StrEnum
    not_allowed_now: StrEnum
    end: Callable[[], object]  # a caseworker's command that ends the stream


def _run_case(commands: list[Command]) -> list[object]:
    now = at("2026-11-17")
    state, _ = run_commands([receive_plan()], now)
    return list(run_commands(list(commands), now, state)[1])


def _run_application(commands: list[Command]) -> list[object]:
    now = noon("2025-11-04")
    state, _ = run_application([(receive(), now)])
    return list(run_application([(command, now) for command in commands], state)[1])


def _close_case() -> CloseCase:
    return CloseCase(command_id=uuid.uuid4().hex, actor="caseworker:cw-1", reason=CloseReason.PLAN_SENT_IN_ERROR)


CASE = Stream("case", _run_case, CommandRejected, Rejection.INVALID, Rejection.NOT_ALLOWED_NOW, _close_case)
APPLICATION = Stream(
    "application",
    _run_application,
    ApplicationCommandRejected,
    ApplicationRejection.INVALID,
    ApplicationRejection.NOT_ALLOWED_NOW,
    close_application,
)


def queued(message_id: str, plan_id: str | None = None) -> RecordMessageQueued:
    return RecordMessageQueued(
        command_id=uuid.uuid4().hex,
        actor="system",
        recipient=MessageRecipient.GP,
        kind=MessageKind.PLAN_FORWARD,
        channel=Channel.MEDCOM,
        message_id=message_id,
        plan_id=plan_id,
        ack_expected=True,
    )


def failed(message_id: str) -> RecordMessageOutcome:
    outcome = MessageOutcome(message_id=message_id, outcome=Outcome.FAILED, failure=DeliveryFailure.TRANSPORT_FAILED)
    return RecordMessageOutcome(command_id=uuid.uuid4().hex, actor="system", outcome=outcome)


def resend(message_id: str) -> ResendMessage:
    return ResendMessage(command_id=uuid.uuid4().hex, actor="caseworker:cw-1", message_id=message_id)


def _event_fields(event: object) -> dict[str, object]:
    assert isinstance(event, MessageQueued | MessageResendRequested)
    return event.model_dump(exclude={"occurred_at"})


@pytest.mark.parametrize(
    ("stream", "plan_id", "recorded_plan_id"),
    [
        (CASE, None, None),
        (CASE, "plan-1", "plan-1"),  # a plan copy names its plan
        (APPLICATION, None, None),
        (APPLICATION, "plan-1", None),  # an application has no plans
    ],
    ids=["case", "case-plan-copy", "application", "application-plan-id-dropped"],
)
def test_a_queued_message_is_recorded_once(stream: Stream, plan_id: str | None, recorded_plan_id: str | None) -> None:
    events = stream.run([queued("m-1", plan_id), queued("m-1", plan_id)])
    assert [_event_fields(event) for event in events] == [
        {
            "type": "MessageQueued",
            "message_id": "m-1",
            "kind": MessageKind.PLAN_FORWARD,
            "channel": Channel.MEDCOM,
            "recipient": MessageRecipient.GP,
            "plan_id": recorded_plan_id,
            "ack_expected": True,
            "owner_sends": False,  # queued by the workflow's activity, sent by a delivery workflow
        }
    ]


@pytest.mark.parametrize("stream", [CASE, APPLICATION], ids=lambda stream: stream.name)
def test_only_a_failed_message_is_resent(stream: Stream) -> None:
    events = stream.run([queued("m-1"), failed("m-1"), resend("m-1")])
    assert _event_fields(events[-1]) == {"type": "MessageResendRequested", "message_id": "m-1", "resend": 1}


@pytest.mark.parametrize("stream", [CASE, APPLICATION], ids=lambda stream: stream.name)
def test_a_message_that_failed_after_the_end_is_still_resent(stream: Stream) -> None:
    # The letter or copy is owed whether or not the stream has ended since it was sent.
    events = stream.run([queued("m-1"), stream.end(), failed("m-1"), resend("m-1")])  # type: ignore[list-item]
    assert [type(event).__name__ for event in events][-2:] == ["MessageDeliveryFailed", "MessageResendRequested"]


@pytest.mark.parametrize("stream", [CASE, APPLICATION], ids=lambda stream: stream.name)
@pytest.mark.parametrize(
    ("commands", "kind", "message", "field"),
    [
        ([resend("m-9")], "invalid", "the {stream} has no message with this id", "message_id"),
        (
            [queued("m-1"), resend("m-1")],
            "not_allowed_now",
            "message m-1 is queued; only a failed message is resent",
            None,
        ),
    ],
)
def test_a_resend_the_stream_cannot_make_is_rejected(
    stream: Stream, commands: list[Command], kind: str, message: str, field: str | None
) -> None:
    with pytest.raises(stream.rejected) as rejected:
        stream.run(commands)
    assert rejected.value.kind is getattr(stream, kind)
    assert rejected.value.message == message.format(stream=stream.name)
    assert rejected.value.field == field
