"""An in-memory stand-in for the application append activity, with the same contract as the PostgreSQL
one (versions, a wrong expected version rejected, replayed event ids ignored), and for the sender's
activities (a decision letter is queued and always taken by its transport)."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.client import Client
from temporalio.worker import Worker

from tests.support.fakes import InMemoryStreams
from workflows.contracts.messaging import (
    DELIVER_LETTER,
    QUEUE_APPLICATION_MESSAGE,
    RECORD_DELIVERY_FAILURE,
    SEND_MESSAGE,
    FailureRecord,
    LetterDelivery,
    QueueApplicationMessage,
    Queued,
    SendRequest,
    SendResult,
)
from workflows.contracts.store import APPEND_APPLICATION_EVENTS, AppendApplicationEvents, AppendResult
from workflows.domain.applications.events import ApplicationEvent
from workflows.domain.messaging.model import Channel
from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow


class InMemoryApplicationStore(InMemoryStreams[ApplicationEvent]):
    def __init__(self) -> None:
        super().__init__()
        self.letters: list[QueueApplicationMessage] = []

    def types(self, application_id: str) -> list[str]:
        return [event.type for event in self.events(application_id)]

    @activity.defn(name=APPEND_APPLICATION_EVENTS)
    async def append_application_events(self, request: AppendApplicationEvents) -> AppendResult:
        return self.append(request.application_id, request.expected_version, request.event_ids, request.events)

    @activity.defn(name=QUEUE_APPLICATION_MESSAGE)
    async def queue_application_message(self, request: QueueApplicationMessage) -> Queued:
        self.letters.append(request)
        return Queued(message_id=request.message_id, channel=Channel.DIGITAL_POST, give_up_after=timedelta(hours=24))

    @activity.defn(name=SEND_MESSAGE)
    async def send_message(self, request: SendRequest) -> SendResult:
        return SendResult(transport_ref=f"fake/{request.message_id}")

    @activity.defn(name=RECORD_DELIVERY_FAILURE)
    async def record_delivery_failure(self, record: FailureRecord) -> None:
        return None

    @activity.defn(name=DELIVER_LETTER)
    async def deliver_letter(self, request: LetterDelivery) -> SendResult:
        """A letter a light application sends itself: always taken."""
        return SendResult(transport_ref=f"fake/{request.message_id}")

    def message_worker(self, client: Client, task_queue: str) -> Worker:
        """The delivery workflows of the applications on `task_queue`, with a transport that always takes it."""
        return Worker(
            client,
            task_queue=f"{task_queue}-messages",
            workflows=[MessageDeliveryWorkflow],
            activities=[self.send_message, self.record_delivery_failure, self.deliver_letter],
        )
