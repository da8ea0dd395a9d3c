"""The MeMo message that carries a letter through Digital Post.

MeMo ("Meddelelsesmodel", https://digitaliser.dk/digital-post/vejledninger/memo) is the public message format of
Digital Post: a `Message` (namespace https://DigitalPost.dk/MeMo-1) with a `MessageHeader` (type DIGITALPOST, a
message UUID, a label, the `Sender` by CVR and the `Recipient` by CPR) and a `MessageBody` whose `MainDocument`
holds the letter as a base64 `File`. Element names and the version follow the public MeMo model as a public
Python client of Serviceplatformen writes it; the official XSD was not at hand, so the version is kept here in
one place [UNCERTAIN: MeMo 1.2 vs 1.1 for a given Digital Post agreement].
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import datetime
from xml.etree import ElementTree

MEMO_NS = "https://DigitalPost.dk/MeMo-1"
MEMO_VERSION = "1.2"
_M = f"{{{MEMO_NS}}}"
ElementTree.register_namespace("memo", MEMO_NS)


@dataclass(frozen=True)
class MemoLetter:
    message_uuid: str
    label: str
    sender_cvr: str
    sender_label: str
    recipient_cpr: str
    created: datetime
    filename: str
    pdf: bytes
    legal_notification: bool  # true for an afgørelse only (letters.texts.DECISIONS)


def _add(parent: ElementTree.Element, name: str, text: str | None = None) -> ElementTree.Element:
    element = ElementTree.SubElement(parent, f"{_M}{name}")
    if text is not None:
        element.text = text
    return element


def memo_message(letter: MemoLetter) -> bytes:
    """The MeMo XML of one letter (legalNotification: true only for an afgørelse)."""
    message = ElementTree.Element(f"{_M}Message", {"memoVersion": MEMO_VERSION})
    header = _add(message, "MessageHeader")
    _add(header, "messageType", "DIGITALPOST")
    _add(header, "messageUUID", letter.message_uuid)
    _add(header, "label", letter.label)
    _add(header, "mandatory", "false")
    _add(header, "legalNotification", "true" if letter.legal_notification else "false")
    sender = _add(header, "Sender")
    _add(sender, "senderID", letter.sender_cvr)
    _add(sender, "idType", "CVR")
    _add(sender, "label", letter.sender_label)
    recipient = _add(header, "Recipient")
    _add(recipient, "recipientID", letter.recipient_cpr)
    _add(recipient, "idType", "CPR")
    body = _add(message, "MessageBody")
    _add(body, "createdDateTime", letter.created.isoformat(timespec="seconds"))
    document = _add(body, "MainDocument")
    _add(document, "label", letter.label)
    file = _add(document, "File")
    _add(file, "encodingFormat", "application/pdf")
    _add(file, "filename", letter.filename)
    _add(file, "language", "da")
    _add(file, "content", base64.b64encode(letter.pdf).decode("ascii"))
    return bytes(ElementTree.tostring(message, encoding="utf-8", xml_declaration=True))


def letter_pdf(memo: bytes) -> bytes:
    """The PDF a MeMo message of ours carries (the content the outbox keeps, sealed, is trusted: we wrote it)."""
    root = ElementTree.fromstring(memo)  # our own sealed content, never outside input
    content = root.find(f"{_M}MessageBody/{_M}MainDocument/{_M}File/{_M}content")
    if content is None or not content.text:
        raise ValueError("the MeMo message carries no document")
    return base64.b64decode(content.text)


def letter_label(memo: bytes) -> str:
    root = ElementTree.fromstring(memo)  # as above
    return root.findtext(f"{_M}MessageHeader/{_M}label") or ""
