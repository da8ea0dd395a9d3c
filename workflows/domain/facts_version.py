"""Which version an `If-Match` holds against: the stream's own facts, not the delivery of its messages.

Every event moves a case's (or application's) `version`, and its letters and copies go out in the background
(queued, sent, acknowledged, failed, resent), often within a second of a caseworker's command. A caseworker who
read the case and acts on it with `If-Match` must not be refused because a letter went out meanwhile: the
precondition holds while nothing but message delivery happened since the version named (RFC 9110 §13.1.1 leaves
what "current" means to the resource; docs/api.md says it here). `facts_version` is the version of the last event
that was not message delivery.
"""

from __future__ import annotations

from typing import Any

FACTS_VERSION_FIELD = "facts_version"
FACTS_VERSION_DESCRIPTION = (
    "The version of the last event that was not the delivery of a message: an If-Match naming any version from "
    "this one to `version` holds"
)


def facts_version_of_stored(data: Any) -> Any:
    """A state stored before `facts_version` existed (a read-model row, a continue-as-new input): its version, so
    the precondition is as strict as it was until the next fact."""
    if isinstance(data, dict) and FACTS_VERSION_FIELD not in data and "version" in data:
        return {**data, FACTS_VERSION_FIELD: data["version"]}
    return data


def facts_version_after(facts_version: int, new_version: int, *, delivery_only: bool) -> int:
    return facts_version if delivery_only else new_version


def precondition_holds(expected_version: int, facts_version: int, version: int) -> bool:
    """Whether an If-Match naming `expected_version` holds: nothing but message delivery happened since."""
    return facts_version <= expected_version <= version
