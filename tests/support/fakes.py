"""An in-memory stand-in for the PostgreSQL activities, with the same contract (cosmicpython's fakes).

It keeps versions, rejects a wrong expected version and ignores replayed event ids, so workflow tests
exercise the same rules as the real store without a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any, Generic, TypeVar

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.worker import Worker

from workflows.contracts.messaging import (
    DELIVER_LETTER,
    PREPARE_RESEND,
    QUEUE_CASE_MESSAGE,
    RECORD_DELIVERY_FAILURE,
    SEND_MESSAGE,
    FailureRecord,
    LetterDelivery,
    QueueCaseMessage,
    Queued,
    ResendRequest,
    SendRequest,
    SendResult,
)
from workflows.contracts.store import (
    APPEND_CASE_EVENTS,
    DELIVER_PLAN,
    AppendCaseEvents,
    AppendResult,
    DeliveryReceipt,
    PlanDelivery,
)
from workflows.domain.events import CaseEvent
from workflows.domain.messaging.events import DeliveryFailure
from workflows.domain.messaging.model import Channel, MessageKind
from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow

E = TypeVar("E")


class InMemoryStreams(Generic[E]):
    """Streams of events with the PostgreSQL store's append rules."""

    def __init__(self) -> None:
        self.streams: dict[str, list[tuple[str, E]]] = {}
        self.position = 0

    def events(self, stream_id: str) -> list[E]:
        return [event for _, event in self.streams.get(stream_id, [])]

    def append(self, stream_id: str, expected_version: int, event_ids: list[str], events: Sequence[E]) -> AppendResult:
        stream = self.streams.setdefault(stream_id, [])
        known = {event_id for event_id, _ in stream}
        if event_ids and set(event_ids) <= known:
            return AppendResult(case_version=len(stream), last_global_position=self.position)  # a retry
        if len(stream) != expected_version:
            raise ApplicationError("version conflict", type="ConcurrencyConflict", non_retryable=True)
        stream.extend(zip(event_ids, events, strict=True))
        self.position += len(events)
        return AppendResult(case_version=len(stream), last_global_position=self.position)


class InMemoryCaseStore(InMemoryStreams[CaseEvent]):
    def __init__(self) -> None:
        super().__init__()
        self.outbox: dict[tuple[str, str, str], str] = {}
        self.sent: list[SendRequest] = []
        self.refuse_sends = False  # the transport refuses every message for good (a delivery fails at once)
        self.failed: list[FailureRecord] = []

    @activity.defn(name=APPEND_CASE_EVENTS)
    async def append_case_events(self, request: AppendCaseEvents) -> AppendResult:
        return self.append(request.case_id, request.expected_version, request.event_ids, request.events)

    @activity.defn(name=DELIVER_PLAN)
    async def deliver_plan(self, request: PlanDelivery) -> DeliveryReceipt:
        key = (request.case_id, request.recipient.value, request.plan_id)
        message_id = self.outbox.setdefault(key, str(uuid.uuid4()))
        return DeliveryReceipt(message_id=message_id)

    @activity.defn(name=QUEUE_CASE_MESSAGE)
    async def queue_case_message(self, request: QueueCaseMessage) -> Queued:
        """Letters are queued; plan copies are withheld, as a deployment that forwards no plans does."""
        give_up = timedelta(hours=24)
        if request.kind is MessageKind.PLAN_FORWARD:
            return Queued(
                message_id=None, channel=Channel.MEDCOM, give_up_after=give_up, withheld_reason="not_forwarded"
            )
        self.outbox.setdefault((request.case_id, request.kind.value, request.message_id), request.message_id)
        return Queued(message_id=request.message_id, channel=Channel.DIGITAL_POST, give_up_after=give_up)

    @activity.defn(name=PREPARE_RESEND)
    async def prepare_resend(self, request: ResendRequest) -> Queued:
        return Queued(message_id=request.message_id, channel=Channel.DIGITAL_POST, give_up_after=timedelta(hours=24))

    @activity.defn(name=SEND_MESSAGE)
    async def send_message(self, request: SendRequest) -> SendResult:
        if self.refuse_sends:
            raise ApplicationError("refused", type="TransportRefused", non_retryable=True)
        self.sent.append(request)
        return SendResult(transport_ref=f"fake/{request.message_id}")

    @activity.defn(name=RECORD_DELIVERY_FAILURE)
    async def record_delivery_failure(self, record: FailureRecord) -> None:
        self.failed.append(record)

    @activity.defn(name=DELIVER_LETTER)
    async def deliver_letter(self, request: LetterDelivery) -> SendResult:
        """A letter a light case sends itself: queued once, sent once per resend (a refusing transport fails it)."""
        application = request.application.application_id if request.application else ""
        owner = request.case.case_id if request.case else application
        self.outbox.setdefault((owner, "letter", request.message_id), request.message_id)
        if self.refuse_sends:
            self.failed.append(FailureRecord(message_id=request.message_id, reason=DeliveryFailure.TRANSPORT_FAILED))
            raise ApplicationError("refused", type="TransportRefused", non_retryable=True)
        self.sent.append(SendRequest(message_id=request.message_id, resend=request.resend))
        return SendResult(transport_ref=f"fake/{request.message_id}")

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [self.append_case_events, self.deliver_plan, self.queue_case_message, self.prepare_resend]

    def message_worker(self, client: Client, task_queue: str) -> Worker:
        """The delivery workflows of the cases on `task_queue`, with a transport that always takes the message."""
        return Worker(
            client,
            task_queue=f"{task_queue}-messages",
            workflows=[MessageDeliveryWorkflow],
            activities=[self.send_message, self.record_delivery_failure, self.deliver_letter],
        )
