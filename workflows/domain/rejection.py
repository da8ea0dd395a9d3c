"""The one shape of a business rejection, shared by every decider (pure: no Temporal, no I/O)."""

from __future__ import annotations

from enum import StrEnum


class BusinessRejection(Exception):
    """A command the aggregate's state or facts do not allow; `field` names the input at fault (422)."""

    def __init__(self, kind: StrEnum, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.field = field
