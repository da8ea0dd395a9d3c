"""Table-driven tests of the closing check: what still needs attention before a case ends, and that the decider
records what the caseworker confirmed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tests.support.domain_helpers import state_at
from tests.support.factories import at, make_command
from workflows.domain.casework.attention import MAX_ATTENTION_ITEMS, AttentionItem, AttentionKind
from workflows.domain.closing_check import closing_attention
from workflows.domain.commands import CloseCase, CompleteCourse
from workflows.domain.decider import decide
from workflows.domain.events import CaseClosed, CourseCompleted
from workflows.domain.messaging.model import Channel, MessageKind, MessageRecipient
from workflows.domain.messaging.state import DeliveryStatus, MessageDelivery
from workflows.domain.model import CaseStatus, CloseReason
from workflows.domain.state import CaseState
from workflows.domain.transport import TransportDecision, TransportGround

K = AttentionKind
OTHER_CASE = AttentionItem(kind=K.OTHER_OPEN_CASE, ref="case-2", detail="received")
OTHER_APPLICATION = AttentionItem(kind=K.OTHER_OPEN_APPLICATION, ref="app-1", detail="under_assessment")


def message(status: DeliveryStatus, *, ack_expected: bool = False) -> MessageDelivery:
    channel = Channel.MEDCOM if ack_expected else Channel.DIGITAL_POST
    kind = MessageKind.PLAN_FORWARD if ack_expected else MessageKind.LETTER_FIRST_CONTACT
    recipient = MessageRecipient.GP if ack_expected else MessageRecipient.PATIENT
    return MessageDelivery(kind=kind, channel=channel, recipient=recipient, status=status, ack_expected=ack_expected)


def transport(*grounds: TransportGround) -> TransportDecision:
    individual = TransportGround.INDIVIDUAL_ASSESSMENT_REQUIRED in grounds
    return TransportDecision(
        entitled=not individual,
        requires_individual_assessment=individual,
        grounds=grounds,
        allowance_per_round_trip_dkk=None if individual else Decimal("150.00"),
        threshold_dkk=None if individual else Decimal("104.00"),
        rules_valid_from=date(2023, 1, 1),
    )


def case(status: CaseStatus = CaseStatus.TRAINING_STARTED, **fields: object) -> CaseState:
    return CaseState(case_id="case-1", status=status, **fields)


def undelivered(ref: str, detail: str) -> AttentionItem:
    return AttentionItem(kind=K.UNDELIVERED_MESSAGE, ref=ref, detail=detail)


TRANSPORT_UNDECIDED = AttentionItem(kind=K.TRANSPORT_UNDECIDED, detail="individual_assessment_required")


@pytest.mark.parametrize(
    ("state", "elsewhere", "expected"),
    [
        pytest.param(case(), [], [], id="nothing-pending"),
        pytest.param(case(), [OTHER_CASE, OTHER_APPLICATION], [OTHER_CASE, OTHER_APPLICATION], id="other-open-streams"),
        pytest.param(
            case(),
            [OTHER_CASE, AttentionItem(kind=K.OTHER_OPEN_CASE, ref="case-1")],
            [OTHER_CASE],
            id="itself-is-no-other",
        ),
        pytest.param(
            case(messages={"m1": message(DeliveryStatus.QUEUED)}), [], [undelivered("m1", "queued")], id="queued"
        ),
        pytest.param(
            case(messages={"m1": message(DeliveryStatus.FAILED)}), [], [undelivered("m1", "failed")], id="failed"
        ),
        pytest.param(case(messages={"m1": message(DeliveryStatus.SENT)}), [], [], id="sent-no-receipt-expected"),
        pytest.param(
            case(messages={"m1": message(DeliveryStatus.SENT, ack_expected=True)}),
            [],
            [undelivered("m1", "awaiting_receipt")],
            id="sent-awaiting-receipt",
        ),
        pytest.param(
            case(messages={"m1": message(DeliveryStatus.ACKNOWLEDGED, ack_expected=True)}), [], [], id="acknowledged"
        ),
        pytest.param(
            case(transport=transport(TransportGround.INDIVIDUAL_ASSESSMENT_REQUIRED)),
            [],
            [TRANSPORT_UNDECIDED],
            id="transport-needs-an-individual-decision",
        ),
        pytest.param(case(transport=transport(TransportGround.PENSIONER)), [], [], id="transport-decided"),
        pytest.param(
            case(transport_requested_on=date(2026, 11, 16)),
            [],
            [AttentionItem(kind=AttentionKind.TRANSPORT_UNDECIDED, detail="requested:2026-11-16")],
            id="transport-requested-not-yet-assessed",
        ),
        pytest.param(
            case(
                messages={"m1": message(DeliveryStatus.SENT), "m2": message(DeliveryStatus.FAILED)},
                transport=transport(TransportGround.INDIVIDUAL_ASSESSMENT_REQUIRED),
            ),
            [OTHER_CASE],
            [undelivered("m2", "failed"), TRANSPORT_UNDECIDED, OTHER_CASE],
            id="own-items-first-then-elsewhere",
        ),
        pytest.param(
            case(CaseStatus.CLOSED, messages={"m1": message(DeliveryStatus.QUEUED)}), [OTHER_CASE], [], id="closed-case"
        ),
        pytest.param(case(CaseStatus.COMPLETED), [OTHER_CASE], [], id="completed-case"),
        pytest.param(case(CaseStatus.NEW), [OTHER_CASE], [], id="no-case-yet"),
    ],
)
def test_closing_attention(state: CaseState, elsewhere: list[AttentionItem], expected: list[AttentionItem]) -> None:
    assert closing_attention(state, elsewhere) == expected


def test_the_list_is_bounded_and_keeps_the_cases_own_items_first() -> None:
    many = [AttentionItem(kind=K.OTHER_OPEN_CASE, ref=f"case-{n}") for n in range(2, 80)]
    found = closing_attention(case(messages={"m1": message(DeliveryStatus.QUEUED)}), many)
    assert len(found) == MAX_ATTENTION_ITEMS
    assert found[0] == undelivered("m1", "queued") and found[1:] == many[: MAX_ATTENTION_ITEMS - 1]


def test_a_command_refuses_more_items_than_an_event_may_keep() -> None:
    items = [OTHER_CASE] * (MAX_ATTENTION_ITEMS + 1)
    with pytest.raises(ValidationError, match="confirmed_attention"):
        make_command(CloseCase, reason=CloseReason.DECEASED, confirmed_attention=items)


@pytest.mark.parametrize(
    ("confirmed", "recorded"),
    [
        pytest.param([], [], id="nothing-confirmed"),
        pytest.param([OTHER_CASE, undelivered("m1", "queued")], [OTHER_CASE, undelivered("m1", "queued")], id="copied"),
    ],
)
def test_the_decider_records_what_was_confirmed(confirmed: list[AttentionItem], recorded: list[AttentionItem]) -> None:
    started = state_at("provider_chosen").model_copy(update={"status": CaseStatus.TRAINING_STARTED})
    now = at("2026-11-20")
    closing = make_command(CloseCase, reason=CloseReason.DECEASED, confirmed_attention=confirmed)
    completing = make_command(CompleteCourse, confirmed_attention=confirmed)
    (closed,) = decide(started, closing, now)
    (completed,) = decide(started, completing, now)
    assert isinstance(closed, CaseClosed) and closed.confirmed_attention == recorded
    assert isinstance(completed, CourseCompleted) and completed.confirmed_attention == recorded


def test_an_event_recorded_before_the_check_reads_with_nothing_confirmed() -> None:
    stored = {"type": "CaseClosed", "occurred_at": "2026-01-05T10:00:00Z", "reason": "deceased", "note": None}
    assert CaseClosed.model_validate(stored).confirmed_attention == []
    old_completion = {"type": "CourseCompleted", "occurred_at": "2026-01-05T10:00:00Z", "note": None}
    assert CourseCompleted.model_validate(old_completion).confirmed_attention == []
