"""MedCom receipts: what we build for a message, and what we read from a receiver's receipt."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from activities.messaging.medcom.receipts import (
    RECEIPT_NAMESPACE,
    Original,
    ReceiptNotRead,
    RefuseCode,
    build_negative_receipt,
    build_positive_receipt,
    parse_receipt,
)
from tests.support.ggop_fixtures import ggop

ORIGINAL = Original("ENV00000000001", "5790000000017", "5790000000024", "LET00000000001", "GGOP100")
NOW = datetime(2026, 11, 20, 13, 5, tzinfo=UTC)


def _text(raw: bytes, path: str) -> str | None:
    return etree.fromstring(raw).findtext(path, namespaces={"r": RECEIPT_NAMESPACE})


def test_a_positive_receipt_answers_the_envelope_and_letter_from_the_receiver_to_the_sender() -> None:
    raw = build_positive_receipt(ORIGINAL, NOW)
    assert _text(raw, "r:Envelope/r:AcknowledgementCode") == "minuspositivkvitt"  # a receipt is never answered
    assert _text(raw, "r:Envelope/r:Sent/r:Time") == "14:05"  # Danish time
    assert _text(raw, "r:PositiveReceipt/r:Letter/r:VersionCode") == "XC0330Q"
    assert _text(raw, "r:PositiveReceipt/r:Sender/r:EANIdentifier") == ORIGINAL.receiver_ean
    assert _text(raw, "r:PositiveReceipt/r:Receiver/r:EANIdentifier") == ORIGINAL.sender_ean
    read = parse_receipt(raw)
    assert read.positive and read.original_envelope_id == "ENV00000000001"
    assert read.original_letter_ids == ("LET00000000001",) and read.refuse_code is None


@pytest.mark.parametrize("code", list(RefuseCode))
def test_a_negative_receipt_names_the_error_and_reads_back(code: RefuseCode) -> None:
    raw = build_negative_receipt(ORIGINAL, NOW, code, "Linje et\nLinje to")
    assert _text(raw, "r:NegativeReceipt/r:Letter/r:StatisticalCode") == "XCTL02"
    read = parse_receipt(raw)
    assert not read.positive
    assert (read.refuse_code, read.refuse_text) == (code.value, "Linje et\nLinje to")


def test_a_message_without_a_letter_id_is_refused_at_the_envelope() -> None:
    envelope_only = Original("ENV00000000002", "5790000000017", "5790000000024", None, None)
    read = parse_receipt(build_negative_receipt(envelope_only, NOW, RefuseCode.SYNTAX_ERROR, "Ikke XML"))
    assert read.original_letter_ids == () and read.refuse_code == "syntaksfejl"


def test_receipts_get_their_own_ids() -> None:
    first, second = build_positive_receipt(ORIGINAL, NOW), build_positive_receipt(ORIGINAL, NOW)
    assert _text(first, "r:Envelope/r:Identifier") != _text(second, "r:Envelope/r:Identifier")


@pytest.mark.parametrize(
    "raw",
    [b"", b"<Emessage/>", ggop("almen.xml"), ggop("xxe.xml"), b"<Emessage><PositiveReceipt/></Emessage>"],
    ids=["empty", "no-receipt", "a-plan", "xxe", "no-original"],
)
def test_what_is_no_receipt_is_refused(raw: bytes) -> None:
    with pytest.raises(ReceiptNotRead):
        parse_receipt(raw)
