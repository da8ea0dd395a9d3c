"""Temporal's billable actions, counted from a workflow's real history (Temporal Cloud's list of actions).

Counted: the workflow's start (and a continue-as-new), each child start, each Update accepted, each signal received
or sent, each activity scheduled and each retry attempt of it, the local activities of one workflow task as one,
each timer started, each search-attribute upsert. Not counted: patch markers themselves (their upsert of
TemporalChangeVersion is counted as the upsert it is), queries, workflow tasks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

LOCAL_ACTIVITY_MARKER = "core_local_activity"

_ONE_EACH = {
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED: "start",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW: "start",
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "child start",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
    EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED: "signal",
    EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED: "activity",
    EventType.EVENT_TYPE_TIMER_STARTED: "timer",
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "upsert",
}


def billable_actions(events: Iterable[HistoryEvent]) -> Counter[str]:
    """The billable actions in one history, by kind."""
    counts: Counter[str] = Counter()
    local_activity_tasks: set[int] = set()
    for event in events:
        kind = _ONE_EACH.get(event.event_type)
        if kind is not None:
            counts[kind] += 1
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            retries = event.activity_task_started_event_attributes.attempt - 1
            if retries > 0:
                counts["activity retry"] += retries
        elif event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name == LOCAL_ACTIVITY_MARKER:
                local_activity_tasks.add(marker.workflow_task_completed_event_id)
    if local_activity_tasks:
        counts["local activities"] = len(local_activity_tasks)
    return counts


async def actions_of(client: Client, workflow_ids: Iterable[str]) -> Counter[str]:
    """The billable actions of these workflows together (a workflow that was never started counts nothing)."""
    total: Counter[str] = Counter()
    for workflow_id in workflow_ids:
        try:
            history: WorkflowHistory = await client.get_workflow_handle(workflow_id).fetch_history()
        except RPCError:
            continue
        total.update(billable_actions(history.events))
    return total
