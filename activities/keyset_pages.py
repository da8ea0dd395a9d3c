"""Newest-first keyset pages over a read-model table, with opaque cursors.

Keyset (received_at, id) rather than OFFSET: a page stays stable while new cases arrive, and the cost of
a page does not grow with its depth.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.rows import dict_row

from activities.db import Pool

MAX_PAGE = 500


class InvalidCursor(ValueError):
    """The page cursor was not produced by this list."""


def encode_cursor(received_at: datetime, row_id: str) -> str:
    raw = json.dumps([received_at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        received_at, row_id = json.loads(raw)
        row_id = str(row_id)
        if not row_id.isascii() or not row_id.isprintable():
            raise ValueError("not a row id")  # a crafted cursor must not reach the database (NUL, say)
        return datetime.fromisoformat(received_at), row_id
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor("not a cursor from this list") from exc


async def newest_first_page(
    pool: Pool,
    *,
    table: str,
    id_column: str,
    columns: sql.Composable,
    conditions: list[sql.Composable],
    params: dict[str, Any],
    limit: int,
    cursor: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of rows matching `conditions` (newest first) and the next page's cursor, or None."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must lie between 1 and {MAX_PAGE}")
    conditions = [sql.SQL("received_at IS NOT NULL"), *conditions]
    params = {**params, "limit": limit + 1}
    if cursor is not None:
        params["after_received_at"], params["after_id"] = decode_cursor(cursor)
        conditions.append(
            sql.SQL("(received_at, {}) < (%(after_received_at)s, %(after_id)s)").format(sql.Identifier(id_column))
        )
    query = sql.SQL(
        "SELECT {columns} FROM {table} WHERE {conditions} ORDER BY received_at DESC, {id} DESC LIMIT %(limit)s"
    ).format(
        columns=columns,
        table=sql.Identifier(table),
        conditions=sql.SQL(" AND ").join(conditions),
        id=sql.Identifier(id_column),
    )
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        rows = await cur.fetchall()
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(page[-1]["received_at"], str(page[-1][id_column]))
