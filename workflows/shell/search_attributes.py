"""The custom search attributes of a case workflow (pure: no I/O, safe to import from workflow code).

They must be registered on the namespace before a workflow sets them, or its workflow task fails forever:
see `activities.runtime.search_attribute_registration` and deploy/README.md. Never put personal data (CPR numbers,
names) in them: they are stored in plaintext and bypass the payload codec.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from temporalio.common import SearchAttributeKey, SearchAttributePair, SearchAttributeUpdate

CASE_STATUS: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("CaseStatus")
MUNICIPALITY_CODE: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("MunicipalityCode")
CARE_LEVEL: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("CareLevel")
ALMEN_SUB_LEVEL: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("AlmenSubLevel")
NEXT_DEADLINE: SearchAttributeKey[datetime] = SearchAttributeKey.for_datetime("NextDeadline")
CASE_OVERDUE: SearchAttributeKey[bool] = SearchAttributeKey.for_bool("CaseOverdue")
# A message could not be delivered within the give-up period (set by cases and applications with messages only).
DELIVERY_FAILED: SearchAttributeKey[bool] = SearchAttributeKey.for_bool("DeliveryFailed")
# A light case's coarse stage (workflows.cases.summary.CaseStage): it moves a few times per case, where CaseStatus,
# AlmenSubLevel and NextDeadline moved with nearly every command, each move a billable upsert.
CASE_STAGE: SearchAttributeKey[str] = SearchAttributeKey.for_keyword("CaseStage")

ALL_SEARCH_ATTRIBUTES: tuple[SearchAttributeKey[Any], ...] = (
    CASE_STATUS,
    MUNICIPALITY_CODE,
    CARE_LEVEL,
    ALMEN_SUB_LEVEL,
    NEXT_DEADLINE,
    CASE_OVERDUE,
    DELIVERY_FAILED,
    CASE_STAGE,
)


def search_attribute_updates(values: dict[str, object]) -> list[SearchAttributeUpdate]:  # type: ignore[type-arg]
    by_name = {key.name: key for key in ALL_SEARCH_ATTRIBUTES}
    updates: list[SearchAttributeUpdate] = []  # type: ignore[type-arg]
    for name, value in values.items():
        key = by_name[name]
        updates.append(key.value_unset() if value is None else key.value_set(value))
    return updates


def search_attribute_pairs(values: dict[str, object]) -> list[SearchAttributePair]:  # type: ignore[type-arg]
    """`values` (by name, None left out) as the pairs a workflow is started with."""
    by_name = {key.name: key for key in ALL_SEARCH_ATTRIBUTES}
    return [SearchAttributePair(by_name[name], value) for name, value in values.items() if value is not None]


def published_at_start() -> dict[str, object]:
    """The service's search attributes the workflow has now (set by its door at start, or carried over by
    continue-as-new), by name: what a light run need not upsert again (workflow code only)."""
    from temporalio import workflow

    attributes = workflow.info().typed_search_attributes
    published: dict[str, object] = {}
    for key in ALL_SEARCH_ATTRIBUTES:
        value = attributes.get(key)
        if value is not None:
            published[key.name] = value
    return published
