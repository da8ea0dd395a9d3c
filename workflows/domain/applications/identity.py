"""Stable identities of applications. No personal data in either."""

from __future__ import annotations

import uuid

_APPLICATION_NAMESPACE = uuid.UUID("0f6c2a0e-8d61-4c1b-9a7e-2b5d3c4e6f81")


def application_id_for_key(actor: str, idempotency_key: str) -> str:
    """The same intake request (actor and Idempotency-Key) always gives the same application."""
    return str(uuid.uuid5(_APPLICATION_NAMESPACE, f"{actor}/{idempotency_key}"))


def workflow_id_for_application(application_id: str) -> str:
    return f"application-{application_id}"
