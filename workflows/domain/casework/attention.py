"""What still needs attention when a case is closed or completed: the items the caseworker confirms.

A leaf module (pydantic only), because commands and events carry these items and `closing_check`, which
finds them, needs the case state that imports the commands.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

# Commands and events carry at most this many: enough for any real citizen, and a bound on what one request
# writes into an event that is kept forever.
MAX_ATTENTION_ITEMS = 50


class AttentionKind(StrEnum):
    OTHER_OPEN_CASE = "other_open_case"
    OTHER_OPEN_APPLICATION = "other_open_application"
    UNDELIVERED_MESSAGE = "undelivered_message"
    TRANSPORT_UNDECIDED = "transport_undecided"


class AttentionItem(BaseModel):
    """One thing still open. Ids and codes only, never personal data: it is shown in a 409 and kept in events."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: AttentionKind
    ref: str | None = Field(
        default=None, max_length=200, description="The other case's or application's id, or the message's id"
    )
    detail: str | None = Field(
        default=None,
        max_length=100,
        description="A code: the other case's or application's status, the message's delivery state "
        "(`queued`, `failed`, `awaiting_receipt`) or the transport ground",
    )


ConfirmedAttention = Annotated[
    list[AttentionItem],
    Field(
        max_length=MAX_ATTENTION_ITEMS,
        description="What needed attention when the caseworker confirmed to end the case anyway (empty: nothing "
        "did, or the case ended before the check existed)",
    ),
]
