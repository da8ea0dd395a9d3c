"""An in-memory stand-in for the PostgreSQL activities, with the same contract (cosmicpython's fakes).

It keeps versions, rejects a wrong expected version and ignores replayed event ids, so workflow tests
exercise the same rules as the real store without a database.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

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


class InMemoryCaseStore:
    def __init__(self) -> None:
        self.streams: dict[str, list[tuple[str, CaseEvent]]] = {}
        self.outbox: dict[tuple[str, str, str], str] = {}
        self.position = 0
        self.append_calls = 0

    def events(self, case_id: str) -> list[CaseEvent]:
        return [event for _, event in self.streams.get(case_id, [])]

    @activity.defn(name=APPEND_CASE_EVENTS)
    async def append_case_events(self, request: AppendCaseEvents) -> AppendResult:
        self.append_calls += 1
        stream = self.streams.setdefault(request.case_id, [])
        known = {event_id for event_id, _ in stream}
        if request.event_ids and set(request.event_ids) <= known:
            return AppendResult(case_version=len(stream), last_global_position=self.position)
        if len(stream) != request.expected_version:
            raise ApplicationError("version conflict", type="ConcurrencyConflict", non_retryable=True)
        stream.extend(zip(request.event_ids, request.events, strict=True))
        self.position += len(request.events)
        return AppendResult(case_version=len(stream), last_global_position=self.position)

    @activity.defn(name=DELIVER_PLAN)
    async def deliver_plan(self, request: PlanDelivery) -> DeliveryReceipt:
        key = (request.case_id, request.recipient.value, request.plan_id)
        message_id = self.outbox.setdefault(key, str(uuid.uuid4()))
        return DeliveryReceipt(message_id=message_id)

    def activities(self) -> Sequence[Callable[..., Any]]:
        return [self.append_case_events, self.deliver_plan]
