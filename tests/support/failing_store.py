"""An event store that fails the way PostgreSQL does for data it cannot take, below the API's validation.

PostgreSQL quotes the offending value into its error message; the failure raised here does the same with a
CPR number, so tests can show that the message never reaches a failure, a log line or Temporal's history.
"""

from __future__ import annotations

from psycopg import errors

from activities.store.eventstore import EventStore
from workflows.contracts.store import AppendApplicationEvents, AppendCaseEvents, AppendResult

POISON = "poison-marker"
QUOTED_CPR = "2509479989"


class PoisonedEventStore(EventStore):
    """Refuses any append whose events mention `POISON`, as a data error quoting a CPR number."""

    async def append(self, request: AppendCaseEvents) -> AppendResult:
        self._refuse_poison(request.model_dump_json())
        return await super().append(request)

    async def append_application(self, request: AppendApplicationEvents) -> AppendResult:
        self._refuse_poison(request.model_dump_json())
        return await super().append_application(request)

    @staticmethod
    def _refuse_poison(content: str) -> None:
        if POISON in content:
            raise errors.UntranslatableCharacter(f'unsupported Unicode escape sequence in {{"cpr": "{QUOTED_CPR}"}}')
