"""The cases read model: how stored events become rows of `cases`.

The inline projection (in the append transaction) and the blue/green rebuild both go through
`project_cases`, and both fold with `workflows.domain.state.fold`, so they cannot drift apart. Only case
streams come here; application streams go to `activities.store.read_models.applications`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from activities.sealing.personal_data import CitizenKeys
from activities.sealing.personal_fields import CASE_STATE
from activities.store.table_projection import ProjectableEvent, TableProjection
from activities.store.table_projection import ProjectionGap as ProjectionGap  # where callers have always found it
from workflows.domain.deadlines import is_overdue, next_deadline
from workflows.domain.events import CaseEvent, PlanReceived, PlanReplaced
from workflows.domain.inputs import FROM_STORE
from workflows.domain.state import CaseState, fold

CASES_TABLE = "cases"
# Where a case with no running deadline sorts in the inbox views: last (the default of migration 0017).
INBOX_NO_DEADLINE = datetime.max.replace(tzinfo=UTC)

CASE_COLUMNS: tuple[str, ...] = (
    "case_id",
    "municipality_code",
    "status",
    "level",
    "sub_level",
    "discharge_date",
    "next_deadline_at",
    "next_deadline_kind",
    "overdue",
    "start_guarantee_due_on",
    "contact_due_on",
    "received_at",
    "updated_at",
    "version",
    "last_global_position",
    "state",
    "responsible_municipality_code",
    "team",
    "contact_reminder_sent",
    "contact_overdue",
    "guarantee_status_reason",
    "delivery_failed",
    "assignee",
    "is_open",
    "inbox_due_at",
    "free_choice_open",
    "unseen_warnings",
)


def case_row(state: CaseState, last_global_position: int) -> dict[str, Any]:
    """The `cases` row of a folded state (the one place that maps CaseState to columns)."""
    plan = state.plan
    deadline = next_deadline(state)
    return {
        "case_id": state.case_id,
        "municipality_code": plan.home_municipality_code if plan else None,
        "status": state.status.value,
        "level": plan.level.value if plan else None,
        "sub_level": state.sub_level.value if state.sub_level else None,
        "discharge_date": plan.discharge_date if plan else None,
        "next_deadline_at": deadline[1] if deadline else None,
        "next_deadline_kind": deadline[0].value if deadline else None,
        "overdue": is_overdue(state),
        "start_guarantee_due_on": state.start_guarantee_due_on,
        "contact_due_on": state.contact_due_on,
        "received_at": state.received_at,
        "updated_at": state.updated_at,
        "version": state.version,
        "last_global_position": last_global_position,
        "state": Jsonb(state.model_dump(mode="json")),
        # For reminders and escalation in the case list (migration 0005).
        "responsible_municipality_code": state.responsible_municipality_code,
        "team": state.team,
        "contact_reminder_sent": state.contact_reminder_sent,
        "contact_overdue": state.contact_overdue,
        "guarantee_status_reason": state.guarantee_status_reason.value if state.guarantee_status_reason else None,
        # A message of the case could not be delivered (migration 0011): GET /cases?delivery_failed=true.
        "delivery_failed": state.delivery_failed,
        # A caseworker's inbox views (migration 0017, docs/casework.md).
        "assignee": state.assignee,
        "is_open": state.is_open,
        "inbox_due_at": deadline[1] if deadline else INBOX_NO_DEADLINE,
        "free_choice_open": state.free_choice_open,
        "unseen_warnings": len(state.unseen_warnings),
    }


CASES: TableProjection[CaseState, CaseEvent] = TableProjection(
    table=CASES_TABLE,
    key="case_id",
    columns=CASE_COLUMNS,
    load=partial(CaseState.model_validate, context=FROM_STORE),  # a row PostgreSQL stored: no NUL walk
    initial=lambda case_id: CaseState(case_id=case_id),
    fold=fold,
    row=case_row,
    personal=CASE_STATE,
    stream_type="case",
)


async def load_states(
    conn: AsyncConnection[Any], case_ids: Sequence[str], table: str = CASES_TABLE
) -> dict[str, CaseState]:
    return await CASES.load_states(conn, case_ids, table)


async def project_cases(
    conn: AsyncConnection[Any],
    events: Sequence[ProjectableEvent[CaseEvent]],
    table: str = CASES_TABLE,
    loaded: dict[str, CaseState] | None = None,
    keys: CitizenKeys | None = None,
) -> list[CaseState]:
    """Fold case events (in global order) into `table`'s rows; returns the new states of the touched cases.

    Events the row already contains are skipped, so replaying an overlapping batch is harmless.
    The caller owns the transaction; `loaded` are the touched cases' rows if it read them already.
    """
    states = await CASES.project(conn, events, table, loaded, keys)
    await index_plans(conn, events)
    return states


_INDEX_PLAN = """
INSERT INTO plan_index (sending_hospital_sor_id, plan_id, case_id, plan_fingerprint) VALUES (%s, %s, %s, %s)
ON CONFLICT (sending_hospital_sor_id, plan_id) DO NOTHING
"""


async def index_plans(conn: AsyncConnection[Any], events: Sequence[ProjectableEvent[CaseEvent]]) -> None:
    """Record which case each received or replacing plan belongs to (`plan_index`, migration 0005).

    A plan keeps the case it first went to, so a replay or a rebuild changes nothing. The caller owns the
    transaction (the append's, so a plan is indexed exactly when its event is stored).
    """
    rows: list[tuple[str, str, str, str]] = []
    for stored in events:
        event = stored.event
        if isinstance(event, PlanReceived | PlanReplaced):
            plan = event.plan
            rows.append((plan.sending_hospital_sor_id, plan.plan_id, stored.case_id, event.plan_fingerprint))
    if rows:
        async with conn.cursor() as cursor:
            await cursor.executemany(_INDEX_PLAN, rows)
