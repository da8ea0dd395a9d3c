"""Keyset pages over a read-model table, with opaque cursors: newest first (the lists), or soonest first
(the inbox views, `ascending_page`).

Keyset (received_at, id) rather than OFFSET: a page stays stable while new cases arrive, and the cost of
a page does not grow with its depth.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from activities.platform.db import Pool

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
        return _position(received_at, row_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor("not a cursor from this list") from exc


def _position(sort_value: object, row_id: object) -> tuple[datetime, str]:
    row_id = str(row_id)
    if not row_id.isascii() or not row_id.isprintable():
        raise ValueError("not a row id")  # a crafted cursor must not reach the database (NUL, say)
    if not isinstance(sort_value, str):
        raise TypeError("not an instant")
    instant = datetime.fromisoformat(sort_value)
    if instant.tzinfo is None:
        raise ValueError("an instant without an offset")
    return instant, row_id


def encode_scoped_cursor(sort_value: datetime, row_id: str, scope: str) -> str:
    """A cursor that also names the list it belongs to (`scope`: a view and its filters, say)."""
    raw = json.dumps([sort_value.isoformat(), row_id, scope]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_scoped_cursor(cursor: str, scope: str) -> tuple[datetime, str]:
    """The position of a cursor `encode_scoped_cursor` made for the same `scope`; InvalidCursor otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        sort_value, row_id, given_scope = json.loads(raw)
        position = _position(sort_value, row_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise InvalidCursor("not a cursor from this list") from exc
    if given_scope != scope:
        raise InvalidCursor("a cursor of another list or other filters")
    return position


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


@dataclass(frozen=True)
class AscendingList:
    """The rows matching `conditions`, soonest first by (`sort_column`, `id_column`), in pages whose cursors are
    bound to `scope`. `sort_column` must be NOT NULL: a NULL would fall out of the keyset."""

    table: str
    sort_column: str
    id_column: str
    columns: sql.Composable
    conditions: list[sql.Composable]
    params: dict[str, Any]
    scope: str

    def page_query(self, limit: int, cursor: str | None) -> tuple[sql.Composed, dict[str, Any]]:
        """The statement of one page (`limit` + 1 rows, to tell whether another follows) and its parameters."""
        if not 1 <= limit <= MAX_PAGE:
            raise ValueError(f"limit must lie between 1 and {MAX_PAGE}")
        params = {**self.params, "page_limit": limit + 1}
        conditions = list(self.conditions)
        sort, row_id = sql.Identifier(self.sort_column), sql.Identifier(self.id_column)
        if cursor is not None:
            params["after_sort"], params["after_id"] = decode_scoped_cursor(cursor, self.scope)
            conditions.append(sql.SQL("({}, {}) > (%(after_sort)s, %(after_id)s)").format(sort, row_id))
        query = sql.SQL(
            "SELECT {columns} FROM {table} WHERE {conditions} ORDER BY {sort}, {id} LIMIT %(page_limit)s"
        ).format(
            columns=self.columns,
            table=sql.Identifier(self.table),
            conditions=sql.SQL(" AND ").join(conditions),
            sort=sort,
            id=row_id,
        )
        return query, params

    async def page(
        self, conn: AsyncConnection[Any], limit: int, cursor: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page and the next page's cursor, or None on the last."""
        query, params = self.page_query(limit, cursor)
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            rows = await cur.fetchall()
        if len(rows) <= limit:
            return rows, None
        page = rows[:limit]
        return page, encode_scoped_cursor(page[-1][self.sort_column], str(page[-1][self.id_column]), self.scope)
