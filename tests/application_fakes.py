"""An in-memory stand-in for the application append activity, with the same contract as the PostgreSQL
one (versions, a wrong expected version rejected, replayed event ids ignored)."""

from __future__ import annotations

from temporalio import activity

from activities.contracts import APPEND_APPLICATION_EVENTS, AppendApplicationEvents, AppendResult
from tests.fakes import InMemoryStreams
from workflows.applications.events import ApplicationEvent


class InMemoryApplicationStore(InMemoryStreams[ApplicationEvent]):
    def types(self, application_id: str) -> list[str]:
        return [event.type for event in self.events(application_id)]

    @activity.defn(name=APPEND_APPLICATION_EVENTS)
    async def append_application_events(self, request: AppendApplicationEvents) -> AppendResult:
        return self.append(request.application_id, request.expected_version, request.event_ids, request.events)
