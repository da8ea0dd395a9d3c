"""Each letter names the municipality in full with its address and contact details, the case's reference, and
writes every date one way ("7. december 2026")."""

from __future__ import annotations

import io
import re
from datetime import date
from typing import Any

import pypdf
import pytest

from activities.messaging.case_messages import letter_sender
from activities.messaging.letters.pdf import render_pdf
from activities.messaging.settings import TransportSettings
from tests.activities.messaging.letters.letter_fixtures import CASE_ID, CONTACT, LETTERS, WRITTEN_ON
from workflows.domain.applications.deadlines import appeal_guidance
from workflows.domain.calendar import MONTHS, danish_date

LONG_DATE = re.compile(rf"\b\d{{1,2}}\. (?:{'|'.join(MONTHS)}) \d{{4}}\b")
OTHER_DATES = re.compile(r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b")


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages).split())


@pytest.mark.parametrize("name", list(LETTERS))
def test_a_letter_names_its_sender_in_full_and_the_case(name: str) -> None:
    text = _text(render_pdf(LETTERS[name]))
    for expected in (CONTACT.name, CONTACT.unit, CONTACT.address, CONTACT.phone, CONTACT.email):
        assert expected is not None and expected in text, (expected, text)
    assert f"Sagsnr. {CASE_ID}" in text


@pytest.mark.parametrize("name", list(LETTERS))
def test_a_letter_writes_every_date_one_way(name: str) -> None:
    text = _text(render_pdf(LETTERS[name]))
    assert danish_date(WRITTEN_ON) in text
    assert len(LONG_DATE.findall(text)) >= 2, text  # the letter's date and the one(s) it speaks of
    assert not OTHER_DATES.findall(text), OTHER_DATES.findall(text)


def test_the_klagevejledning_dates_its_deadline_the_same_way() -> None:
    guidance = appeal_guidance(date(2026, 12, 30))
    assert f"senest den {danish_date(guidance.appeal_due_on)}," in guidance.text
    assert guidance.appeal_due_on.year == 2027 and not OTHER_DATES.findall(guidance.text)


class _Register:
    """A connection whose municipality register knows one name."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    async def execute(self, query: str, params: tuple[Any, ...]) -> _Register:
        self.found = self.names.get(params[0])
        return self

    async def fetchone(self) -> tuple[str] | None:
        return (self.found,) if self.found else None


async def test_the_sender_comes_from_the_contacts_setting_else_the_register() -> None:
    settings = TransportSettings(letter_sender_contacts={"147": CONTACT})
    register: Any = _Register({"101": "København"})
    listed = await letter_sender(register, "147", settings)
    assert listed.name == CONTACT.name and CONTACT.address in listed.address
    unlisted = await letter_sender(register, "101", settings)
    assert (unlisted.name, unlisted.address, unlisted.contact) == ("København", (), ())
    unknown = await letter_sender(register, "999", settings)
    assert unknown.name == settings.digital_post_sender_label
