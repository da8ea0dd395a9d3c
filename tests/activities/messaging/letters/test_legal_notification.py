"""Only a decision (afgørelse) travels as a legal notification in its MeMo message; letters that inform do not."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from xml.etree import ElementTree

import pytest

from activities.messaging.case_messages import letter_message
from activities.messaging.letters.memo import MEMO_NS
from activities.messaging.letters.texts import Letter, decision, first_contact, free_choice
from activities.messaging.settings import TransportSettings
from workflows.domain.messaging.model import MessageKind

SENDER = "Frederiksberg Kommune"
TODAY = date(2026, 12, 7)


def _decision(granted: bool) -> Letter:
    return decision(
        "Karen Jensen",
        SENDER,
        TODAY,
        granted=granted,
        citation="Serviceloven § 86, stk. 1",
        period=(date(2027, 1, 4), date(2027, 3, 26)) if granted else None,
        reason=None if granted else "Behovet kan dækkes af egen træning.",
        appeal_text="Du kan klage inden 4 uger.",
    )


LETTERS = {
    "first contact": first_contact("Karen Jensen", SENDER, TODAY, date(2026, 12, 1)),
    "free choice": free_choice("Karen Jensen", SENDER, TODAY, date(2026, 12, 8)),
    "decision granted": _decision(granted=True),
    "decision refused": _decision(granted=False),
}


def _legal_notification(letter: Letter) -> str | None:
    settings = TransportSettings(digital_post_sender_id="29189846")
    message = letter_message(letter, str(uuid.uuid4()), "2509479989", settings, datetime.now(UTC), case_id="c-1")
    root = ElementTree.fromstring(message.content)
    return root.findtext(f"{{{MEMO_NS}}}MessageHeader/{{{MEMO_NS}}}legalNotification")


@pytest.mark.parametrize("name", list(LETTERS))
def test_legal_notification_is_true_exactly_for_decisions(name: str) -> None:
    letter = LETTERS[name]
    expected = "true" if letter.kind is MessageKind.LETTER_DECISION else "false"
    assert _legal_notification(letter) == expected, name


def test_both_values_occur() -> None:
    assert {_legal_notification(letter) for letter in LETTERS.values()} == {"true", "false"}
