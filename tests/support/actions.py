"""Temporal Cloud's billable actions, counted from real histories (issue 18: the budgets are held by tests).

Counted per history event, after Temporal Cloud's list of actions:

| kind | from |
| --- | --- |
| `workflow_start` | WorkflowExecutionStarted of a run no parent started (by a client, a schedule, continue-as-new) |
| `schedule_action` | the same event when a Schedule started the run (its `TemporalScheduledById` search attribute) |
| `child_start` | StartChildWorkflowExecutionInitiated (the child's own started event is then not counted again) |
| `activity_attempt` | ActivityTaskScheduled, once per attempt (the attempt its ActivityTaskStarted records) |
| `local_activity_task` | a workflow task that recorded local activities (MarkerRecorded): one however many |
| `timer` | TimerStarted |
| `search_attribute_upsert` | UpsertWorkflowSearchAttributes |
| `update` | WorkflowExecutionUpdateAccepted |
| `signal` | WorkflowExecutionSignaled (the receiving side: a signal counts once, from a client or a workflow) |

Not in a history, so not counted: activity heartbeats, queries, and refused starts or updates. Summing over the
histories of a parent and its children counts each child once (its start, in the parent).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError

# The marker names of a local activity's result: the Core-based SDKs (Python, TypeScript, .NET), then Go and Java.
LOCAL_ACTIVITY_MARKERS = frozenset({"core_local_activity", "LocalActivity"})
SCHEDULED_BY = "TemporalScheduledById"

_ONE_EACH = {
    EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED: "child_start",
    EventType.EVENT_TYPE_TIMER_STARTED: "timer",
    EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES: "search_attribute_upsert",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED: "update",
    EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED: "signal",
}


def billable_actions(events: Iterable[HistoryEvent]) -> Counter[str]:
    """The billable actions of one run's history, by kind (`sum(counter.values())` is the total)."""
    counted: Counter[str] = Counter()
    attempts: dict[int, int] = {}  # ActivityTaskScheduled event id -> the attempts it took
    local_activity_tasks: set[int] = set()  # WorkflowTaskCompleted event ids
    for event in events:
        kind = event.event_type
        if kind == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            started = event.workflow_execution_started_event_attributes
            if not started.HasField("parent_workflow_execution"):
                counted["workflow_start"] += 1
            if SCHEDULED_BY in started.search_attributes.indexed_fields:
                counted["schedule_action"] += 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            attempts[event.event_id] = 1
        elif kind == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
            started_activity = event.activity_task_started_event_attributes
            attempts[started_activity.scheduled_event_id] = max(1, started_activity.attempt)
        elif kind == EventType.EVENT_TYPE_MARKER_RECORDED:
            marker = event.marker_recorded_event_attributes
            if marker.marker_name in LOCAL_ACTIVITY_MARKERS:
                local_activity_tasks.add(marker.workflow_task_completed_event_id)
        elif kind in _ONE_EACH:
            counted[_ONE_EACH[kind]] += 1
    if attempts:
        counted["activity_attempt"] = sum(attempts.values())
    if local_activity_tasks:
        counted["local_activity_task"] = len(local_activity_tasks)
    return counted


def history_actions(history: WorkflowHistory) -> Counter[str]:
    return billable_actions(history.events)


async def actions_of(client: Client, query: str) -> tuple[int, Counter[str]]:
    """The runs a visibility `query` lists (every run, continued-as-new ones too) and their actions summed."""
    total: Counter[str] = Counter()
    runs = 0
    async for listed in client.list_workflows(query):
        history = await client.get_workflow_handle(listed.id, run_id=listed.run_id).fetch_history()
        total += history_actions(history)
        runs += 1
    return runs, total


async def actions_of_workflows(client: Client, workflow_ids: Iterable[str]) -> Counter[str]:
    """The actions of these workflows' latest runs summed (an id never started counts nothing)."""
    total: Counter[str] = Counter()
    for workflow_id in workflow_ids:
        try:
            history = await client.get_workflow_handle(workflow_id).fetch_history()
        except RPCError:
            continue
        total += history_actions(history)
    return total
