"""The closing check: what still needs attention before a case is closed or completed.

The API asks this before it sends CloseCase or CompleteCourse and answers 409 with the items unless the
caseworker confirmed them; the decider only copies the confirmed items into the event. So the check is not
part of `decide`: a history recorded before it existed replays unchanged (no workflow patch needed).

Pure: the case's own state, and the facts about the citizen's other cases and applications that the caller
looked up (`activities.queries.closing`).
"""

from __future__ import annotations

from workflows.domain.case_state import CaseState
from workflows.domain.casework.attention import MAX_ATTENTION_ITEMS, AttentionItem, AttentionKind
from workflows.domain.messaging.state import DeliveryStatus, MessageDelivery
from workflows.domain.transport import TransportGround

AWAITING_RECEIPT = "awaiting_receipt"


def _undelivered(delivery: MessageDelivery) -> str | None:
    """The delivery state to confirm, or None for a message that arrived.

    `sent` without an expected receipt counts as delivered: the transport (Digital Post, the print spool) took
    it and nothing more will be heard. `sent` with a MedCom receipt expected is not: a negative receipt or none
    at all still fails it, and a closed case can no longer resend it (a closed case takes no commands)."""
    if delivery.status in (DeliveryStatus.QUEUED, DeliveryStatus.FAILED):
        return delivery.status.value
    if delivery.status is DeliveryStatus.SENT and delivery.ack_expected:
        return AWAITING_RECEIPT
    return None


def _own_items(state: CaseState) -> list[AttentionItem]:
    items = [
        AttentionItem(kind=AttentionKind.UNDELIVERED_MESSAGE, ref=message_id, detail=detail)
        for message_id, delivery in state.messages.items()
        if (detail := _undelivered(delivery)) is not None
    ]
    # BEK 816/2018 (domain-notes §5): a transport that needs an individual assessment is a decision still owed.
    # The citizen asked for transport and no assessment has answered it yet.
    transport = state.transport
    if state.transport_requested_on is not None:
        requested = f"requested:{state.transport_requested_on.isoformat()}"
        items.append(AttentionItem(kind=AttentionKind.TRANSPORT_UNDECIDED, detail=requested))
    elif transport is not None and TransportGround.INDIVIDUAL_ASSESSMENT_REQUIRED in transport.grounds:
        ground = TransportGround.INDIVIDUAL_ASSESSMENT_REQUIRED.value
        items.append(AttentionItem(kind=AttentionKind.TRANSPORT_UNDECIDED, detail=ground))
    return items


def closing_attention(state: CaseState, elsewhere: list[AttentionItem]) -> list[AttentionItem]:
    """What needs attention before `state`'s case ends: its own undelivered messages and undecided transport,
    then `elsewhere` (the citizen's other open cases and applications), at most MAX_ATTENTION_ITEMS.

    Nothing for a case that is not open: ending it again is refused by the decider anyway, and a retried
    request must get the answer recorded for it, not a new check."""
    if not state.is_open:
        return []
    others = [item for item in elsewhere if item.ref != state.case_id]
    return (_own_items(state) + others)[:MAX_ATTENTION_ITEMS]
