"""An in-memory stand-in for the PostgreSQL activities, with the same contract (cosmicpython's fakes).

It keeps versions, rejects a wrong expected version and ignores replayed event ids, so workflow tests
exercise the same rules as the real store without a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import (
    APPEND_CASE_EVENTS,
    DELIVER_PLAN,
    AppendCaseEvents,
    AppendResult,
    DeliveryReceipt,
    PlanDelivery,
)
from workflows.domain.events import CaseEvent

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

    @activity.defn(name=APPEND_CASE_EVENTS)
    async def append_case_events(self, request: AppendCaseEvents) -> AppendResult:
        return self.append(request.case_id, request.expected_version, request.event_ids, request.events)

    @activity.defn(name=DELIVER_PLAN)
    async def deliver_plan(self, request: PlanDelivery) -> DeliveryReceipt:
        key = (request.case_id, request.recipient.value, request.plan_id)
        message_id = self.outbox.setdefault(key, str(uuid.uuid4()))
        return DeliveryReceipt(message_id=message_id)

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [self.append_case_events, self.deliver_plan]
