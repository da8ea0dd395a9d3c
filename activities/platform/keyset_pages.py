"""Keyset pages over a read-model table, newest first (the lists), or soonest first (the inbox views,
`ascending_page`).

Keyset (received_at, id) rather than OFFSET: a page stays stable while new cases arrive, and the cost of
a page does not grow with its depth.

A cursor is the position of a page's last row, written out: its sort instant in microseconds since the Unix
epoch, a dot, and its id (`1796663379754000.3f2b8c1e-6a4d-4e2f-9b7a-1c5d8e9f0a12`). Every string of that shape
is a position a page can start after, so the OpenAPI document states all a cursor has to be (`CURSOR_PATTERN`)
and a client following the schema never sends one a list refuses. Clients pass it back as they got it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row

from activities.platform.db import Pool

MAX_PAGE = 500

_ROW_ID = "[0-9A-Za-z_-]{1,100}"  # a case's or an application's UUID, an access-log row's number
_POSITION = f"[0-9]{{1,18}}\\.{_ROW_ID}"
CURSOR_PATTERN = f"^{_POSITION}$"
# The inbox's cursors also name the view and filters they were given out for (`cursor_scope`).
SCOPED_CURSOR_PATTERN = f"^{_POSITION}\\.[0-9A-Za-z_:-]{{1,100}}$"
_CURSOR = re.compile(CURSOR_PATTERN)
_SCOPED_CURSOR = re.compile(SCOPED_CURSOR_PATTERN)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_END_OF_TIME = datetime.max.replace(tzinfo=UTC)  # where a position past the year 9999 stands


class InvalidCursor(ValueError):
    """The page cursor was not produced by this list."""


def _position_text(sort_value: datetime, row_id: str) -> str:
    micros = (sort_value - _EPOCH) // timedelta(microseconds=1)
    text = f"{micros}.{row_id}"
    if not _CURSOR.fullmatch(text):
        raise ValueError("a row this cursor cannot name")  # a page must never give out a cursor it would refuse
    return text


def _position(micros: str, row_id: str) -> tuple[datetime, str]:
    try:
        return _EPOCH + timedelta(microseconds=int(micros)), row_id
    except OverflowError:
        return _END_OF_TIME, row_id


def encode_cursor(sort_value: datetime, row_id: str) -> str:
    return _position_text(sort_value, row_id)


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    if not _CURSOR.fullmatch(cursor):
        raise InvalidCursor("not a cursor from this list")
    micros, row_id = cursor.split(".")
    return _position(micros, row_id)


def encode_scoped_cursor(sort_value: datetime, row_id: str, scope: str) -> str:
    """A cursor that also names the list it belongs to (`scope`: a view and its filters, say)."""
    return f"{_position_text(sort_value, row_id)}.{scope}"


def decode_scoped_cursor(cursor: str, scope: str) -> tuple[datetime, str]:
    """The position of a cursor `encode_scoped_cursor` made for the same `scope`; InvalidCursor otherwise."""
    if not _SCOPED_CURSOR.fullmatch(cursor):
        raise InvalidCursor("not a cursor from this list")
    micros, row_id, given_scope = cursor.split(".")
    if given_scope != scope:
        raise InvalidCursor("a cursor of another list or other filters")
    return _position(micros, row_id)


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
