"""Every text field of every stored body is classified personal or not, and the store seals the personal ones.

A new event type, or a new text field in an event or state, fails here until activities/sealing/personal_fields.py
says whether it is personal: personal data must never reach the event store in clear by a new field.
"""

from __future__ import annotations

import enum
import types
from collections.abc import Iterator, Mapping
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from activities.sealing.personal_fields import (
    APPLICATION_EVENTS,
    APPLICATION_STATE,
    CASE_EVENTS,
    CASE_STATE,
    BodyFields,
)
from activities.store.retention_events import RETENTION_EVENTS, RetentionEvent
from workflows.domain.applications.events import ApplicationEvent
from workflows.domain.applications.state import ApplicationState
from workflows.domain.events import CaseEvent
from workflows.domain.state import CaseState


def text_paths(annotation: Any, prefix: str = "") -> Iterator[str]:
    """The dotted path of every `str` field reachable from `annotation` (enums and literals are not free text)."""
    origin = get_origin(annotation)
    if origin is Annotated:
        yield from text_paths(get_args(annotation)[0], prefix)
    elif origin in (Union, types.UnionType):
        for arm in get_args(annotation):
            yield from text_paths(arm, prefix)
    elif origin is Literal:
        return
    elif origin in (list, tuple, set, frozenset):
        for item in get_args(annotation):
            if item is not Ellipsis:
                yield from text_paths(item, prefix + "[]")
    elif origin is dict:
        yield from text_paths(get_args(annotation)[1], prefix + "{}")
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        for name, field in annotation.model_fields.items():
            yield from text_paths(field.annotation, f"{prefix}.{name}" if prefix else name)
    elif annotation is str:
        yield prefix


def _covers(entry: str, path: str) -> bool:
    return path == entry or path.startswith((entry + ".", entry + "[]", entry + "{}"))


def _models(union: Any) -> dict[str, type[BaseModel]]:
    arms = get_args(get_args(union)[0]) if get_origin(union) is Annotated else get_args(union)
    return {arm.model_fields["type"].default: arm for arm in arms}


BODIES: list[tuple[str, type[BaseModel], Mapping[str, BodyFields]]] = [
    *((f"case event {name}", model, CASE_EVENTS) for name, model in _models(CaseEvent).items()),
    *((f"application event {name}", model, APPLICATION_EVENTS) for name, model in _models(ApplicationEvent).items()),
    *((f"retention event {name}", model, RETENTION_EVENTS) for name, model in _models(RetentionEvent).items()),
]


@pytest.mark.parametrize(("label", "model", "table"), BODIES, ids=[label for label, _, _ in BODIES])
def test_every_text_field_of_every_event_is_classified(
    label: str, model: type[BaseModel], table: Mapping[str, BodyFields]
) -> None:
    event_type = model.model_fields["type"].default
    assert event_type in table, f"{label} is not in activities/sealing/personal_fields.py: classify its fields"
    _assert_classified(model, table[event_type])


@pytest.mark.parametrize(("model", "fields"), [(CaseState, CASE_STATE), (ApplicationState, APPLICATION_STATE)])
def test_every_text_field_of_the_read_model_states_is_classified(model: type[BaseModel], fields: BodyFields) -> None:
    _assert_classified(model, fields)


def _assert_classified(model: type[BaseModel], fields: BodyFields) -> None:
    paths = set(text_paths(model))
    unclassified = sorted(
        path for path in paths if not any(_covers(entry, path) for entry in (*fields.personal, *fields.non_personal))
    )
    assert unclassified == [], f"{model.__name__}: classify these as personal or not: {unclassified}"
    both = sorted(p for p in fields.personal if any(_covers(n, p) or _covers(p, n) for n in fields.non_personal))
    assert both == [], f"{model.__name__}: listed as personal and as not: {both}"
    stale = sorted(entry for entry in fields.personal if not any(_covers(entry, path) for path in paths))
    subtrees = {name for name in fields.personal if not any(path == name for path in paths)}
    assert [entry for entry in stale if entry not in subtrees] == []


def test_no_classification_is_left_for_an_event_that_does_not_exist() -> None:
    for union, table in ((CaseEvent, CASE_EVENTS), (ApplicationEvent, APPLICATION_EVENTS)):
        assert set(table) <= set(_models(union)), f"stale entries: {set(table) - set(_models(union))}"


def test_the_citizen_names_cpr_numbers_and_free_texts_are_personal() -> None:
    plan = CASE_EVENTS["PlanReceived"].personal
    assert {"plan.patient.cpr", "plan.patient.name", "plan.patient_contact", "plan.training_need"} <= set(plan)
    assert CASE_EVENTS["PlanReceived"].citizen == "plan.patient.cpr"
    assert "application.citizen.cpr" in APPLICATION_EVENTS["ApplicationReceived"].personal
    for name in ("CitizenContacted", "CaseClosed", "CourseCompleted"):
        assert "note" in CASE_EVENTS[name].personal
    assert "plan.home_municipality_code" in CASE_EVENTS["PlanReceived"].non_personal
