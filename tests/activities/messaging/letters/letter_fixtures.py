"""Letters of every kind, written for one municipality, for the letter tests."""

from __future__ import annotations

from datetime import date

from activities.messaging.case_messages import case_reference, sender_of
from activities.messaging.letters.texts import Letter, decision, first_contact, free_choice
from activities.messaging.settings import SenderContact
from workflows.domain.applications.deadlines import appeal_guidance

CONTACT = SenderContact(
    name="Frederiksberg Kommune",
    unit="Genoptræning og Rehabilitering",
    address="Smallegade 1, 2000 Frederiksberg",
    phone="38 21 21 21",
    email="genoptraening@frederiksberg.dk",
)
SENDER = sender_of(CONTACT)
WRITTEN_ON = date(2026, 12, 7)
CASE_ID = "5f0c2a36-2c1e-4f5e-9d8a-2b7f4c1d9e01"


def _decision(granted: bool) -> Letter:
    return decision(
        "Karen Jensen",
        SENDER,
        case_reference(CASE_ID),
        WRITTEN_ON,
        granted=granted,
        citation="Serviceloven § 86, stk. 1",
        period=(date(2027, 1, 4), date(2027, 3, 26)) if granted else None,
        reason=None if granted else "Behovet kan dækkes af egen træning.",
        appeal_text=appeal_guidance(WRITTEN_ON).text,
    )


LETTERS: dict[str, Letter] = {
    "first contact": first_contact("Karen Jensen", SENDER, case_reference(CASE_ID), WRITTEN_ON, date(2026, 12, 1)),
    "free choice": free_choice("Karen Jensen", SENDER, case_reference(CASE_ID), WRITTEN_ON, date(2026, 12, 8)),
    "decision granted": _decision(granted=True),
    "decision refused": _decision(granted=False),
}
