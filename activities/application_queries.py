"""Reads of applications for the API: the list, one application, and its timeline."""

from __future__ import annotations

from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from activities.case_queries import MAX_PAGE, decode_cursor, encode_cursor
from activities.db import Pool
from activities.eventstore import EventStore, StoredApplicationEvent

_LIST_COLUMNS = sql.SQL(
    "application_id, municipality_code, status, legal_basis, care_level, application_date, decision_outcome,"
    " granted_from, granted_to, next_deadline_at, next_deadline_kind, overdue, received_at, updated_at, version"
)


async def list_applications(
    pool: Pool,
    municipality: str | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of applications, newest first, and the cursor of the next page (None on the last page).

    Raises `case_queries.InvalidCursor` for a cursor this list did not produce.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must lie between 1 and {MAX_PAGE}")
    conditions = [sql.SQL("received_at IS NOT NULL")]
    params: dict[str, Any] = {"limit": limit + 1}
    if municipality is not None:
        conditions.append(sql.SQL("municipality_code = %(municipality)s"))
        params["municipality"] = municipality
    if status is not None:
        conditions.append(sql.SQL("status = %(status)s"))
        params["status"] = status
    if cursor is not None:
        params["after_received_at"], params["after_id"] = decode_cursor(cursor)
        conditions.append(sql.SQL("(received_at, application_id) < (%(after_received_at)s, %(after_id)s)"))
    query = sql.SQL(
        "SELECT {columns} FROM applications WHERE {conditions}"
        " ORDER BY received_at DESC, application_id DESC LIMIT %(limit)s"
    ).format(columns=_LIST_COLUMNS, conditions=sql.SQL(" AND ").join(conditions))
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        rows = await cur.fetchall()
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(page[-1]["received_at"], page[-1]["application_id"])


async def get_application(pool: Pool, application_id: str) -> dict[str, Any] | None:
    """The application's row: the list columns plus `state`, the whole folded ApplicationState as JSON."""
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(
            sql.SQL("SELECT {}, state FROM applications WHERE application_id = %s").format(_LIST_COLUMNS),
            (application_id,),
        )
        return await cur.fetchone()


async def application_timeline(pool: Pool, application_id: str) -> list[StoredApplicationEvent]:
    return await EventStore(pool).read_application_stream(application_id)
