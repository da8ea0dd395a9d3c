"""MedCom's OIOXML receipts (kvitteringer), built and read in this one module.

MedCom's receipt schema (XCTL02 negative, XCTL03 positive) is not public [UNCERTAIN]: the shape here follows
public converters of MedCom's CONTRL receipts to XML (namespace `…/2005/08/07/`, `PositiveReceipt` /
`NegativeReceipt` with the original envelope and letter, refuse codes `ikke_specificeret`,
`ukendt_lokationsnummer`, `problem_med_modtagerID`, `problem_med_version`, `syntaksfejl`). Should MedCom's
schema say otherwise, this module is the only place to change. docs/medcom.md has the rules:

- every message is answered; a receipt is never answered (MedCom, reliable messaging);
- a negative receipt when the message fails parsing, the schema or the mapping, naming the error;
- a positive receipt when the envelope asks for one (`pluspositivkvitt`);
- a duplicate (same envelope id and letter id) gets the identical receipt: stored, not rebuilt.
"""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from lxml import etree

from activities.messaging.medcom.safe_xml import XmlRefused, parse_untrusted

RECEIPT_NAMESPACE = "http://rep.oio.dk/sundcom.dk/medcom.dk/xml/schemas/2005/08/07/"
_N = "{" + RECEIPT_NAMESPACE + "}"
_DANISH_TIME = ZoneInfo("Europe/Copenhagen")
_ID_ALPHABET = string.ascii_uppercase + string.digits
MAX_RECEIPT_BYTES = 256 * 1024
_MAX_REFUSE_TEXT = 1000


class RefuseCode(StrEnum):
    NOT_SPECIFIED = "ikke_specificeret"
    UNKNOWN_LOCATION_NUMBER = "ukendt_lokationsnummer"
    RECEIVER_ID_PROBLEM = "problem_med_modtagerID"
    VERSION_PROBLEM = "problem_med_version"
    SYNTAX_ERROR = "syntaksfejl"


@dataclass(frozen=True)
class Original:
    """The message a receipt answers."""

    envelope_id: str
    sender_ean: str
    receiver_ean: str
    letter_id: str | None
    version_code: str | None


@dataclass(frozen=True)
class IncomingReceipt:
    """A receipt a receiver sent back for one of our messages."""

    positive: bool
    receipt_envelope_id: str | None
    sender_ean: str | None
    receiver_ean: str | None
    original_envelope_id: str
    original_letter_ids: tuple[str, ...]
    refuse_code: str | None
    refuse_text: str | None


class ReceiptNotRead(Exception):
    """The bytes are no receipt this module can read; the message never quotes them."""


def new_identifier() -> str:
    """A 14-character MedCom identifier (as envelope and letter ids are made)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(14))


def _sub(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _N + name)
    if text is not None:
        child.text = text
    return child


def _ean(parent: etree._Element, name: str, ean: str) -> None:
    _sub(_sub(parent, name), "EANIdentifier", ean)


def _breakable(parent: etree._Element, name: str, text: str) -> None:
    """Text with MedCom's `Break` for each line break."""
    element = _sub(parent, name)
    lines = text[:_MAX_REFUSE_TEXT].split("\n")
    element.text = lines[0]
    for line in lines[1:]:
        _sub(element, "Break").tail = line


def _build(original: Original, now: datetime, refusal: tuple[RefuseCode, str] | None) -> bytes:
    sent = now.astimezone(_DANISH_TIME)
    root = etree.Element(_N + "Emessage", nsmap={None: RECEIPT_NAMESPACE})
    envelope = _sub(root, "Envelope")
    when = _sub(envelope, "Sent")
    _sub(when, "Date", sent.date().isoformat())
    _sub(when, "Time", sent.strftime("%H:%M"))
    _sub(envelope, "Identifier", new_identifier())
    _sub(envelope, "AcknowledgementCode", "minuspositivkvitt")  # a receipt is never answered
    receipt = _sub(root, "NegativeReceipt" if refusal else "PositiveReceipt")
    letter = _sub(receipt, "Letter")
    _sub(letter, "Identifier", new_identifier())
    _sub(letter, "VersionCode", "XC0230Q" if refusal else "XC0330Q")
    _sub(letter, "StatisticalCode", "XCTL02" if refusal else "XCTL03")
    # The receipt goes from the original's receiver back to its sender.
    _ean(receipt, "Sender", original.receiver_ean)
    _ean(receipt, "Receiver", original.sender_ean)
    answered = _sub(receipt, "OriginalEmessage")
    _sub(answered, "OriginalEnvelopeIdentifier", original.envelope_id)
    _ean(answered, "OriginalSender", original.sender_ean)
    _ean(answered, "OriginalReceiver", original.receiver_ean)
    if original.letter_id is None:
        if refusal is not None:  # no letter to refuse: the whole envelope is refused
            _sub(answered, "RefuseCode", refusal[0].value)
            _breakable(answered, "RefuseText", refusal[1])
    else:
        answered_letter = _sub(answered, "OriginalLetter")
        _sub(answered_letter, "OriginalLetterIdentifier", original.letter_id)
        _sub(answered_letter, "OriginalVersionCode", original.version_code or "")
        if refusal is not None:
            _sub(answered_letter, "RefuseCode", refusal[0].value)
            _breakable(answered_letter, "RefuseText", refusal[1])
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def build_positive_receipt(original: Original, now: datetime) -> bytes:
    return _build(original, now, None)


def build_negative_receipt(original: Original, now: datetime, code: RefuseCode, text: str) -> bytes:
    """`text` names the error for the sender's staff; it must not hold personal data."""
    return _build(original, now, (code, text))


def _child_text(element: etree._Element | None, *path: str) -> str | None:
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name), None)
    if element is None:
        return None
    text = "".join(element.itertext()) if len(element) else (element.text or "")
    return text.strip() or None


def _plain(element: etree._Element | None) -> str | None:
    if element is None:
        return None
    pieces = [element.text or ""]
    for child in element:
        pieces.append("\n" if etree.QName(child).localname == "Break" else "".join(child.itertext()))
        pieces.append(child.tail or "")
    return "".join(pieces).strip() or None


def _children(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [c for c in element if isinstance(c.tag, str) and etree.QName(c).localname == name]


def parse_receipt(raw: bytes) -> IncomingReceipt:
    """A MedCom receipt (positive or negative) read from untrusted bytes, or `ReceiptNotRead`. Read by local
    names, so a receipt in another version's namespace is still understood."""
    try:
        root = parse_untrusted(raw, max_bytes=MAX_RECEIPT_BYTES)
    except XmlRefused as refused:
        raise ReceiptNotRead(str(refused)) from None
    kinds = _children(root, "PositiveReceipt") + _children(root, "NegativeReceipt")
    if etree.QName(root).localname != "Emessage" or len(kinds) != 1:
        raise ReceiptNotRead("the message is not a MedCom receipt (Emessage with one Positive/NegativeReceipt)")
    receipt = kinds[0]
    answered = next(iter(_children(receipt, "OriginalEmessage")), None)
    original_envelope = _child_text(answered, "OriginalEnvelopeIdentifier")
    if original_envelope is None:
        raise ReceiptNotRead("the receipt names no OriginalEnvelopeIdentifier")
    letters = _children(answered, "OriginalLetter")
    refused_at = next((e for e in [answered, *letters] if _child_text(e, "RefuseCode")), None)
    return IncomingReceipt(
        positive=etree.QName(receipt).localname == "PositiveReceipt",
        receipt_envelope_id=_child_text(root, "Envelope", "Identifier"),
        sender_ean=_child_text(receipt, "Sender", "EANIdentifier"),
        receiver_ean=_child_text(receipt, "Receiver", "EANIdentifier"),
        original_envelope_id=original_envelope,
        original_letter_ids=tuple(i for e in letters if (i := _child_text(e, "OriginalLetterIdentifier"))),
        refuse_code=_child_text(refused_at, "RefuseCode"),
        refuse_text=_plain(next(iter(_children(refused_at, "RefuseText")), None)),
    )
