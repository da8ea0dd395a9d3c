"""An in-memory stand-in for the application append activity, with the same contract as the PostgreSQL
one (versions, a wrong expected version rejected, replayed event ids ignored)."""

from __future__ import annotations

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.contracts import APPEND_APPLICATION_EVENTS, AppendApplicationEvents, AppendResult
from workflows.applications.events import ApplicationEvent


class InMemoryApplicationStore:
    def __init__(self) -> None:
        self.streams: dict[str, list[tuple[str, ApplicationEvent]]] = {}
        self.position = 0

    def events(self, application_id: str) -> list[ApplicationEvent]:
        return [event for _, event in self.streams.get(application_id, [])]

    def types(self, application_id: str) -> list[str]:
        return [event.type for event in self.events(application_id)]

    @activity.defn(name=APPEND_APPLICATION_EVENTS)
    async def append_application_events(self, request: AppendApplicationEvents) -> AppendResult:
        stream = self.streams.setdefault(request.application_id, [])
        known = {event_id for event_id, _ in stream}
        if request.event_ids and set(request.event_ids) <= known:
            return AppendResult(case_version=len(stream), last_global_position=self.position)
        if len(stream) != request.expected_version:
            raise ApplicationError("version conflict", type="ConcurrencyConflict", non_retryable=True)
        stream.extend(zip(request.event_ids, request.events, strict=True))
        self.position += len(request.events)
        return AppendResult(case_version=len(stream), last_global_position=self.position)
