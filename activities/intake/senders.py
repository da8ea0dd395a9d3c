"""Who delivered a GGOP message, as its door established it, and whether the message's sender is that one.

Over HTTP the hospital client's token names its SOR id; in the VANS inbound directory the VANS envelope names
the sender's EAN location number. A GGOP names its sender by EAN (and department number), and a SOR id only
where the sender gives one; `MEDCOM_SENDER_SOR_BY_EAN` ties EANs to the SOR id of their hospital.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.messaging.medcom.ggop_envelope import MessageIds
from activities.messaging.medcom.inbound_messages import InboundChannel
from activities.messaging.medcom.receipts import RefuseCode
from activities.messaging.medcom.settings import MedComSettings
from activities.platform.identity import Identity, SystemIdentity


@dataclass(frozen=True)
class GgopSender:
    """The door's own knowledge of the sender: a verified hospital token (http) or a VANS envelope (vans)."""

    channel: InboundChannel
    identity: Identity  # who the plan is recorded under: the hospital's token, or the mailbox's sender
    vans_sender_ean: str | None = None

    @classmethod
    def hospital_token(cls, principal: Identity) -> GgopSender:
        return cls(channel="http", identity=principal)

    @classmethod
    def vans(cls, sender_ean: str) -> GgopSender:
        """A message from the VANS inbound directory: the mailbox vouches for the sender's EAN."""
        # A hospital's system client, as a token with the hospital role would name it.
        actor = SystemIdentity(subject=f"vans:{sender_ean}", primary_role="hospital")
        return cls(channel="vans", identity=actor, vans_sender_ean=sender_ean)


class SenderRefused(Exception):
    """The message's sender is not the one the door vouches for. Names EANs and SOR ids only."""

    def __init__(self, message: str, *, refuse_code: RefuseCode | None) -> None:
        super().__init__(message)
        self.refuse_code = refuse_code  # None: no receipt (the claimed sender may not have sent it)


def sending_hospital(sender: GgopSender, ids: MessageIds, message_sor: str | None, settings: MedComSettings) -> str:
    """The SOR id of the hospital the message is taken for, or `SenderRefused`."""
    ean = ids.sender_ean or ""
    registered = settings.medcom_sender_sor_by_ean.get(ean)
    if sender.channel == "http":
        token_sor = sender.identity.sor_id
        if token_sor and token_sor in (message_sor, registered):
            return token_sor
        raise SenderRefused(
            f"the message's sender (EAN {ean}) is not registered for the token's hospital (SOR {token_sor})",
            refuse_code=None,
        )
    if sender.vans_sender_ean != ean:
        raise SenderRefused("the message's sender EAN differs from its VANS envelope's", refuse_code=None)
    if registered and message_sor and registered != message_sor:
        raise SenderRefused(f"the message names another SOR id than EAN {ean} is registered for", refuse_code=None)
    sor = registered or message_sor
    if sor is None:
        # MedCom's code for a location number the receiver does not know.
        raise SenderRefused(f"no hospital is registered for EAN {ean}", refuse_code=RefuseCode.UNKNOWN_LOCATION_NUMBER)
    return sor
