"""Who sent a message and under which ids: read leniently (by local names, in any namespace), so that even a
message that fails the schema can get the negative receipt MedCom asks for."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree

# MedCom: `pluspositivkvitt` asks for a positive receipt as well; `minuspositivkvitt` only for a negative one.
POSITIVE_RECEIPT_WANTED = "pluspositivkvitt"


@dataclass(frozen=True)
class MessageIds:
    envelope_id: str | None
    letter_id: str | None
    version_code: str | None
    sender_ean: str | None
    receiver_ean: str | None
    acknowledgement_code: str | None

    @property
    def wants_positive_receipt(self) -> bool:
        return self.acknowledgement_code == POSITIVE_RECEIPT_WANTED

    @property
    def can_be_answered(self) -> bool:
        """A receipt needs the original's envelope id and the sender's EAN to go back to."""
        return bool(self.envelope_id and self.sender_ean)


def _first(root: etree._Element, *path: str) -> str | None:
    steps = "/".join(f"*[local-name()='{step}']" for step in path)
    found = root.xpath(f"string(/*[local-name()='Emessage']/{steps}[1])")
    value = str(found).strip() if found is not None else ""
    return value[:100] or None


def read_ids(root: etree._Element) -> MessageIds:
    plan = "RehabilitationPlan"
    return MessageIds(
        envelope_id=_first(root, "Envelope", "Identifier"),
        letter_id=_first(root, plan, "Letter", "Identifier"),
        version_code=_first(root, plan, "Letter", "VersionCode"),
        sender_ean=_first(root, plan, "Sender", "EANIdentifier"),
        receiver_ean=_first(root, plan, "Receiver", "EANIdentifier"),
        acknowledgement_code=_first(root, "Envelope", "AcknowledgementCode"),
    )
