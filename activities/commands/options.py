"""How one Workflow Update is sent for a request: its id, how long it waits for an answer, and what a 503 says."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from activities.commands.deadline import answer_time_left, not_answered_in_time
from activities.commands.settings import CommandSettings

# Less than this left of the request's bound: the Update is not sent at all (and the answer says to send it again).
_TOO_LITTLE_TIME = timedelta(milliseconds=100)


@dataclass(frozen=True)
class UpdateOptions:
    # Unique per HTTP request: Temporal answers a repeated update id from its first outcome, a refusal
    # included, while a refused request must leave nothing behind. Repeats are recognised by the workflow
    # from the command id (the Idempotency-Key) instead.
    update_id: str
    answer_timeout: timedelta
    retry_after_seconds: int
    # The key a client sends again to learn the outcome of a command that was not answered in time.
    idempotency_key: str | None = None

    @classmethod
    def for_request(
        cls, settings: CommandSettings, command_id: str, idempotency_key: str | None = None
    ) -> UpdateOptions:
        """The options of an Update sent now; a `ProblemError` (503) when the request's bound is all but spent."""
        # What is left of the request's whole bound (api.http.answer_bound), not a fresh bound per call.
        left = answer_time_left(timedelta(seconds=settings.command_answer_timeout_seconds))
        if left < _TOO_LITTLE_TIME:
            raise not_answered_in_time(settings.retry_after_seconds, idempotency_key)
        return cls(
            update_id=f"{command_id}#{uuid.uuid4().hex[:12]}",
            answer_timeout=left,
            retry_after_seconds=settings.retry_after_seconds,
            idempotency_key=idempotency_key,
        )

    def unanswered_detail(self) -> str:
        what = "The command was not answered in time; it may still be applied. "
        if self.idempotency_key is None:
            return what + "Send the same request again to learn the outcome"
        return what + "Send it again with the same Idempotency-Key (also in this answer's headers) to learn the outcome"

    def unanswered_headers(self) -> dict[str, str]:
        headers = {"Retry-After": str(self.retry_after_seconds)}
        if self.idempotency_key is not None:
            headers["Idempotency-Key"] = self.idempotency_key
        return headers
