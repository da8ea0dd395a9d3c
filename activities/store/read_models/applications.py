"""The applications read model: how application streams become rows of `applications` (migration 0004).

Folded with `workflows.domain.applications.state.fold`, inline in the append transaction and in rebuilds alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from psycopg import AsyncConnection
from psycopg.types.json import Jsonb

from activities.sealing.personal_data import CitizenKeys
from activities.sealing.personal_fields import APPLICATION_STATE
from activities.store.table_projection import ProjectableEvent, TableProjection
from workflows.domain.applications.deadlines import next_deadline
from workflows.domain.applications.events import ApplicationEvent
from workflows.domain.applications.state import ApplicationState, fold, is_overdue
from workflows.domain.inputs import FROM_STORE

APPLICATIONS_TABLE = "applications"

APPLICATION_COLUMNS: tuple[str, ...] = (
    "application_id",
    "municipality_code",
    "status",
    "legal_basis",
    "care_level",
    "application_date",
    "decision_outcome",
    "granted_from",
    "granted_to",
    "next_deadline_at",
    "next_deadline_kind",
    "overdue",
    "delivery_failed",
    "received_at",
    "updated_at",
    "version",
    "last_global_position",
    "state",
)


def application_row(state: ApplicationState, last_global_position: int) -> dict[str, Any]:
    """The `applications` row of a folded state (the one place that maps ApplicationState to columns)."""
    application = state.application
    deadline = next_deadline(state)
    return {
        "application_id": state.application_id,
        "municipality_code": application.municipality_code if application else None,
        "status": state.status.value,
        "legal_basis": application.legal_basis.value if application else None,
        "care_level": state.legal_reference.care_level.value if state.legal_reference else None,
        "application_date": application.application_date if application else None,
        "decision_outcome": state.decision_outcome.value if state.decision_outcome else None,
        "granted_from": state.granted_from,
        "granted_to": state.granted_to,
        "next_deadline_at": deadline[1] if deadline else None,
        "next_deadline_kind": deadline[0].value if deadline else None,
        "overdue": is_overdue(state),
        # A letter of the application could not be delivered (migration 0021): GET /applications?delivery_failed=true.
        "delivery_failed": state.delivery_failed,
        "received_at": state.received_at,
        "updated_at": state.updated_at,
        "version": state.version,
        "last_global_position": last_global_position,
        "state": Jsonb(state.model_dump(mode="json")),
    }


APPLICATIONS: TableProjection[ApplicationState, ApplicationEvent] = TableProjection(
    table=APPLICATIONS_TABLE,
    key="application_id",
    columns=APPLICATION_COLUMNS,
    load=partial(ApplicationState.model_validate, context=FROM_STORE),  # a row PostgreSQL stored: no NUL walk
    initial=lambda application_id: ApplicationState(application_id=application_id),
    fold=fold,
    row=application_row,
    personal=APPLICATION_STATE,
    stream_type="application",
)


async def project_applications(
    conn: AsyncConnection[Any],
    events: Sequence[ProjectableEvent[ApplicationEvent]],
    table: str = APPLICATIONS_TABLE,
    loaded: dict[str, ApplicationState] | None = None,
    keys: CitizenKeys | None = None,
) -> list[ApplicationState]:
    """Fold application events (in global order) into `table`'s rows. The caller owns the transaction;
    `loaded` are the touched applications' states if it has them already."""
    return await APPLICATIONS.project(conn, events, table, loaded, keys)
