"""Typed business rejections of application commands (the workflow turns them into ApplicationErrors)."""

from __future__ import annotations

from enum import StrEnum

from workflows.domain.rejection import BusinessRejection


class ApplicationRejection(StrEnum):
    NOT_ALLOWED_NOW = "NotAllowedNow"  # the application's status forbids it: HTTP 409
    APPLICATION_CLOSED = "ApplicationClosed"  # HTTP 409
    APPLICATION_CONFLICT = "ApplicationConflict"  # same idempotency key, other content: HTTP 422
    INVALID = "InvalidCommand"  # contradicts the application's facts: HTTP 422 naming the field


class ApplicationCommandRejected(BusinessRejection):
    kind: ApplicationRejection

    def __init__(self, kind: ApplicationRejection, message: str, field: str | None = None) -> None:
        super().__init__(kind, message, field)


def require(condition: bool, message: str) -> None:
    """The application's status does not allow the command (409)."""
    if not condition:
        raise ApplicationCommandRejected(ApplicationRejection.NOT_ALLOWED_NOW, message)


def require_valid(condition: bool, field: str, message: str) -> None:
    """Unless `condition`, the command contradicts the application's facts in `field` (422)."""
    if not condition:
        raise ApplicationCommandRejected(ApplicationRejection.INVALID, message, field)
