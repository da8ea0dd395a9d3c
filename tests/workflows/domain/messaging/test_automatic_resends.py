"""Table-driven: how a case and an application record the sender's automatic MedCom resends (a MessageSent of
its own, once each, never after the message was answered or failed; a caseworker's resend counts from 0)."""

from __future__ import annotations

import uuid

import pytest

from tests.workflows.domain.messaging.test_decisions import APPLICATION, CASE, Command, Stream, failed, queued, resend
from workflows.domain.messaging.commands import MessageOutcome, Outcome, RecordMessageOutcome
from workflows.domain.messaging.events import MessageSent


def report(outcome: Outcome, automatic_resend: int = 0, resend: int = 0) -> RecordMessageOutcome:
    envelope = f"envelope-{resend}-{automatic_resend}"
    reported = MessageOutcome(
        message_id="m-1",
        outcome=outcome,
        resend=resend,
        automatic_resend=automatic_resend,
        transport_ref=f"outbound/m-1-auto-{automatic_resend}.xml",
        envelope_id=envelope if outcome is Outcome.SENT else None,
    )
    return RecordMessageOutcome(command_id=uuid.uuid4().hex, actor="system:sender", outcome=reported)


SENT, ACKNOWLEDGED = Outcome.SENT, Outcome.ACKNOWLEDGED


@pytest.mark.parametrize("stream", [CASE, APPLICATION], ids=lambda stream: stream.name)
@pytest.mark.parametrize(
    ("commands", "expected"),
    [
        (
            [report(SENT), report(SENT, 1), report(SENT, 2)],
            [(0, "envelope-0-0"), (1, "envelope-0-1"), (2, "envelope-0-2")],
        ),
        ([report(SENT), report(SENT, 1), report(SENT, 1)], [(0, "envelope-0-0"), (1, "envelope-0-1")]),  # a repeat
        ([report(SENT), report(SENT, 1), report(SENT, 0)], [(0, "envelope-0-0"), (1, "envelope-0-1")]),  # a late first
        ([report(SENT), report(ACKNOWLEDGED), report(SENT, 1)], [(0, "envelope-0-0")]),  # answered: no resend recorded
        ([report(SENT), failed("m-1"), report(SENT, 1)], [(0, "envelope-0-0")]),  # failed: no resend recorded
        (
            [report(SENT), report(SENT, 1), failed("m-1"), resend("m-1"), report(SENT, 0, 1), report(SENT, 1, 1)],
            [(0, "envelope-0-0"), (1, "envelope-0-1"), (0, "envelope-1-0"), (1, "envelope-1-1")],
        ),  # a caseworker's resend starts its own count
    ],
    ids=["twice", "repeated-report", "late-first-report", "after-receipt", "after-failure", "caseworker-resend"],
)
def test_each_automatic_resend_is_recorded_once(
    stream: Stream, commands: list[Command], expected: list[tuple[int, str]]
) -> None:
    events = stream.run([queued("m-1"), *commands])
    sends = [event for event in events if isinstance(event, MessageSent)]
    assert [(sent.automatic_resend, sent.envelope_id) for sent in sends] == expected
