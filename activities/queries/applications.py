"""Reads of applications for the API: the list, one application, and its timeline."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from activities.platform.db import Pool
from activities.platform.keyset_pages import newest_first_page
from activities.sealing.erased_models import load_opened
from activities.sealing.personal_data import open_state
from activities.sealing.personal_fields import APPLICATION_STATE
from activities.store.eventstore import EventStore, StoredApplicationEvent
from workflows.domain.applications.state import ApplicationState

_LIST_COLUMNS = sql.SQL(
    "application_id, municipality_code, status, legal_basis, care_level, application_date, decision_outcome,"
    " granted_from, granted_to, next_deadline_at, next_deadline_kind, overdue, delivery_failed, received_at,"
    " updated_at, version"
)


async def list_applications(
    pool: Pool,
    municipality: str | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
    *,
    delivery_failed: bool | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of applications, newest first, and the cursor of the next page (None on the last page).

    Raises `keyset_pages.InvalidCursor` for a cursor this list did not produce.
    """
    conditions: list[sql.Composable] = []
    params: dict[str, Any] = {}
    if municipality is not None:
        conditions.append(sql.SQL("municipality_code = %(municipality)s"))
        params["municipality"] = municipality
    if status is not None:
        conditions.append(sql.SQL("status = %(status)s"))
        params["status"] = status
    if delivery_failed is not None:
        # Literal predicates, not a parameter, so the planner can use applications_delivery_failed_idx (0021).
        conditions.append(sql.SQL("delivery_failed") if delivery_failed else sql.SQL("NOT delivery_failed"))
    return await newest_first_page(
        pool,
        table="applications",
        id_column="application_id",
        columns=_LIST_COLUMNS,
        conditions=conditions,
        params=params,
        limit=limit,
        cursor=cursor,
    )


async def get_application(pool: Pool, application_id: str) -> dict[str, Any] | None:
    """The application's row: the list columns plus `state`, the whole folded ApplicationState as JSON."""
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(
                sql.SQL("SELECT {}, state FROM applications WHERE application_id = %s").format(_LIST_COLUMNS),
                (application_id,),
            )
            row = await cur.fetchone()
        if row is not None:
            await open_state(conn, row["state"], APPLICATION_STATE)  # in clear, or `[slettet]` once erased
        return row


def application_state(row: dict[str, Any]) -> ApplicationState:
    """The ApplicationState of a `get_application` row, erased fields and all."""
    return load_opened(ApplicationState.model_validate, row["state"], APPLICATION_STATE)


async def application_timeline(pool: Pool, application_id: str) -> list[StoredApplicationEvent]:
    return await EventStore(pool).read_application_stream(application_id)
