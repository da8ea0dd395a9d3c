"""Only a decision (afgørelse) travels as a legal notification in its MeMo message; letters that inform do not."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from activities.messaging.case_messages import letter_message
from activities.messaging.letters.memo import MEMO_NS
from activities.messaging.letters.texts import Letter
from activities.messaging.settings import TransportSettings
from tests.activities.messaging.letters.letter_fixtures import LETTERS
from workflows.domain.messaging.model import MessageKind


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
