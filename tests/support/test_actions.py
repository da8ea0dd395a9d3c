"""The billable-action count reads each kind from its history event: a schedule's start is two actions, a retried
activity one per attempt, local activities one per workflow task, a child's start once."""

from __future__ import annotations

from temporalio.api.common.v1 import Payload, WorkflowExecution
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent

from tests.support.actions import SCHEDULED_BY, billable_actions

_KINDS = EventType.ValueType


def _event(event_id: int, kind: _KINDS, **attributes: object) -> HistoryEvent:
    return HistoryEvent(event_id=event_id, event_type=kind, **attributes)  # type: ignore[arg-type]


def _started(event_id: int, *, scheduled: bool = False, child: bool = False) -> HistoryEvent:
    event = _event(event_id, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED)
    started = event.workflow_execution_started_event_attributes
    if scheduled:
        started.search_attributes.indexed_fields[SCHEDULED_BY].CopyFrom(Payload(data=b'"outbox-sweep"'))
    if child:
        started.parent_workflow_execution.CopyFrom(WorkflowExecution(workflow_id="parent"))
    return event


def _marker(event_id: int, task: int, name: str = "core_local_activity") -> HistoryEvent:
    event = _event(event_id, EventType.EVENT_TYPE_MARKER_RECORDED)
    event.marker_recorded_event_attributes.marker_name = name
    event.marker_recorded_event_attributes.workflow_task_completed_event_id = task
    return event


def _activity_started(event_id: int, scheduled_event_id: int, attempt: int) -> HistoryEvent:
    event = _event(event_id, EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED)
    event.activity_task_started_event_attributes.scheduled_event_id = scheduled_event_id
    event.activity_task_started_event_attributes.attempt = attempt
    return event


def test_every_kind_is_counted_as_temporal_cloud_bills_it() -> None:
    history = [
        _started(1, scheduled=True),
        _event(2, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        _marker(3, task=2),
        _marker(4, task=2),  # the same workflow task: one action for both
        _marker(5, task=2, name="core_patch"),  # a patch's marker is not an activity
        _event(6, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        _event(7, EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED),
        _activity_started(8, scheduled_event_id=6, attempt=3),  # two retries
        _event(9, EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED),
        _marker(10, task=9),
        _event(11, EventType.EVENT_TYPE_TIMER_STARTED),
        _event(12, EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES),
        _event(13, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED),
        _event(14, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED),
        _event(15, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED),
        _event(16, EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED),
        _event(17, EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED),
    ]
    assert billable_actions(history) == {
        "workflow_start": 1,
        "schedule_action": 1,
        "local_activity_task": 2,
        "activity_attempt": 4,  # three attempts of one, and one still waiting for its first
        "timer": 1,
        "search_attribute_upsert": 1,
        "update": 1,
        "signal": 1,
        "child_start": 1,
    }


def test_a_childs_own_start_is_not_counted_again() -> None:
    assert billable_actions([_started(1, child=True)]) == {}
