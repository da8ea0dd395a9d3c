"""The access log: who used which citizen's data, when, why and with what outcome (table `access_log`).

Every read, search (with its criteria), create, change, export, decode and erasure of a citizen's data
appends one row with the fields of NSP's MinLog2 entry (MinLog2 "does not replace logging in the source
system"). The service's database role may only INSERT and SELECT there (migrations 0009 and 0010); the
retention purge runs as the owner (`activities.access_log.retention`).

Personal data: rows name the citizen by a keyed hash of the CPR and hold the CPR sealed with the citizen's key
(rows from before migration 0014 hold it in clear). Nothing here logs an entry, a criterion or a CPR.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from psycopg import AsyncConnection, sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from activities.access_log.entries import (
    SYSTEM_NAME,
    AccessAction,
    AccessLogEntry,
    AccessLogRow,
    AccessOutcome,
    ExtractRow,
    Purpose,
)
from activities.platform.db import Pool
from activities.platform.keyset_pages import MAX_PAGE, InvalidCursor, decode_cursor, encode_cursor
from activities.sealing.citizen_cipher import citizen_key_config, open_for_citizen, seal_for_citizen
from workflows.domain.cpr import check_cpr

# A search's cursor (`activities.keyset_pages`): the last entry's instant and its row number, every one a position.
ACCESS_LOG_CURSOR_PATTERN = "^[0-9]{1,18}\\.[0-9]{1,18}$"

__all__ = [
    "ACCESS_LOG_CURSOR_PATTERN",
    "SYSTEM_NAME",
    "AccessAction",
    "AccessLogEntry",
    "AccessLogRow",
    "AccessOutcome",
    "ExtractRow",
    "InvalidCursor",
    "Purpose",
    "citizen_extract",
    "record",
    "search",
]

_ENTRY_COLUMNS = tuple(AccessLogEntry.model_fields)
_INSERT = sql.SQL("INSERT INTO access_log ({columns}) VALUES ({values})").format(
    columns=sql.SQL(", ").join(map(sql.Identifier, _ENTRY_COLUMNS)),
    values=sql.SQL(", ").join(map(sql.Placeholder, _ENTRY_COLUMNS)),
)
_ROW_COLUMNS = sql.SQL(", ").join(map(sql.Identifier, ("id", "occurred_at", *_ENTRY_COLUMNS)))
_EMPLOYEE_COLUMNS = ("user_id", "user_name", "user_role")


_INSERT_CITIZEN = sql.SQL("INSERT INTO access_log ({columns}) VALUES ({values})").format(
    columns=sql.SQL(", ").join(map(sql.Identifier, (*_ENTRY_COLUMNS, "citizen_hash", "citizen_sealed"))),
    values=sql.SQL(", ").join(map(sql.Placeholder, (*_ENTRY_COLUMNS, "citizen_hash", "citizen_sealed"))),
)


async def record(pool: Pool, entry: AccessLogEntry, *, unless_within: timedelta | None = None) -> bool:
    """Append one entry; False when `unless_within` found it written already. A failure raises (psycopg.Error):
    the caller decides whether to refuse the request.

    The citizen is stored as the keyed hash of the CPR (what searches compare) and the CPR sealed with the
    citizen's key: once the key is destroyed, no row names the CPR in clear.

    `unless_within`: no new row when the same user has a row of the same action and outcome about the same citizen
    and municipality from within that period (the Temporal UI decodes one page in many requests). Concurrent calls
    with one key queue on a transaction-scoped advisory lock, so they write one row between them."""
    params: dict[str, Any] = entry.model_dump(mode="json")
    if entry.search_criterion is not None:
        params["search_criterion"] = Jsonb(params["search_criterion"])
    hashed = None if entry.citizen_cpr is None else citizen_key_config().lookup_hash(entry.citizen_cpr)
    async with pool.connection() as conn:
        if unless_within is not None and await _written_within(conn, entry, hashed, unless_within):
            return False
        if entry.citizen_cpr is None:
            await conn.execute(_INSERT, params)
            return True
        # Sealed with the citizen's key, made if they have none yet (an auditor's search for someone the service
        # holds nothing about): an erasure request destroys that key too. The erasure's own row keeps the hash
        # only, so it does not make a new key that would hold the CPR again.
        sealed = (
            None
            if entry.action is AccessAction.ERASE
            else await seal_for_citizen(conn, entry.citizen_cpr, entry.citizen_cpr.encode("ascii"))
        )
        params |= {"citizen_cpr": None, "citizen_hash": hashed, "citizen_sealed": sealed}
        await conn.execute(_INSERT_CITIZEN, params)
    return True


_WRITTEN_WITHIN = sql.SQL(
    "SELECT 1 FROM access_log WHERE user_id = %(user_id)s AND action = %(action)s AND outcome = %(outcome)s"
    " AND citizen_hash IS NOT DISTINCT FROM %(citizen_hash)s"
    " AND responsible_municipality_code IS NOT DISTINCT FROM %(responsible_municipality_code)s"
    " AND occurred_at > now() - %(within)s LIMIT 1"
)


async def _written_within(
    conn: AsyncConnection[Any], entry: AccessLogEntry, hashed: bytes | None, within: timedelta
) -> bool:
    """Whether `entry`'s row exists from within `within`, holding the key's lock until the transaction ends."""
    citizen = hashed.hex() if hashed else ""
    lock = "|".join(
        ("access_log", entry.user_id, entry.action, entry.outcome, citizen, entry.responsible_municipality_code or "")
    )
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (lock,))
    found = await conn.execute(
        _WRITTEN_WITHIN,
        {
            "user_id": entry.user_id,
            "action": entry.action.value,
            "outcome": entry.outcome.value,
            "citizen_hash": hashed,
            "responsible_municipality_code": entry.responsible_municipality_code,
            "within": within,
        },
    )
    return await found.fetchone() is not None


_CITIZEN_MATCH = sql.SQL("(citizen_hash = %(citizen_hash)s OR citizen_cpr = %(citizen_cpr)s)")
# A municipal auditor's scope: its own users' rows, and the rows about its cases and applications by anyone else.
_MUNICIPALITY_MATCH = sql.SQL(
    "(municipality_code = %(municipality_code)s OR responsible_municipality_code = %(municipality_code)s)"
)


def _citizen_params(citizen_cpr: str) -> dict[str, Any]:
    # Rows before migration 0014 hold the CPR in clear; later ones its keyed hash.
    normalised = check_cpr(citizen_cpr).normalised
    return {"citizen_cpr": normalised, "citizen_hash": citizen_key_config().lookup_hash(normalised)}


async def _open_citizen(conn: AsyncConnection[Any], row: dict[str, Any]) -> dict[str, Any]:
    sealed = row.pop("citizen_sealed", None)
    if row.get("citizen_cpr") is None and sealed is not None:
        opened = await open_for_citizen(conn, bytes(sealed))
        row["citizen_cpr"] = opened.decode("ascii") if opened is not None else None  # None: erased
    return row


def _period(occurred_from: datetime | None, occurred_to: datetime | None) -> list[sql.Composable]:
    conditions: list[sql.Composable] = []
    if occurred_from is not None:
        conditions.append(sql.SQL("occurred_at >= %(occurred_from)s"))
    if occurred_to is not None:
        conditions.append(sql.SQL("occurred_at < %(occurred_to)s"))
    return conditions


async def search(
    pool: Pool,
    *,
    citizen_cpr: str | None = None,
    user_id: str | None = None,
    case_id: str | None = None,
    application_id: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
    municipality_code: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[AccessLogRow], str | None]:
    """A page of entries matching every given criterion, newest first, and the next page's cursor (or None).

    `occurred_from` is inclusive, `occurred_to` exclusive. `municipality_code` is a municipal auditor's
    scope (entries of that municipality's users, and entries about its cases and applications); None searches
    every municipality (a national auditor).
    Raises `InvalidCursor` for a cursor this search did not produce, `InvalidCpr` for a malformed CPR.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise ValueError(f"limit must lie between 1 and {MAX_PAGE}")
    params: dict[str, Any] = {
        **(_citizen_params(citizen_cpr) if citizen_cpr is not None else {"citizen_cpr": None}),
        "user_id": user_id,
        "case_id": case_id,
        "application_id": application_id,
        "municipality_code": municipality_code,
        "occurred_from": occurred_from,
        "occurred_to": occurred_to,
        "limit": limit + 1,
    }
    conditions: list[sql.Composable] = [
        sql.SQL("{column} = {value}").format(column=sql.Identifier(name), value=sql.Placeholder(name))
        for name in ("user_id", "case_id", "application_id")
        if params[name] is not None
    ]
    if municipality_code is not None:
        conditions.append(_MUNICIPALITY_MATCH)
    if citizen_cpr is not None:
        conditions.append(_CITIZEN_MATCH)
    conditions += _period(occurred_from, occurred_to)
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        if not (after_id.isascii() and after_id.isdigit()):
            raise InvalidCursor("not a cursor from this list")
        params["after_at"], params["after_id"] = after_at, int(after_id)
        conditions.append(sql.SQL("(occurred_at, id) < (%(after_at)s, %(after_id)s)"))
    query = sql.SQL(
        "SELECT {columns}, citizen_sealed FROM access_log WHERE {conditions}"
        " ORDER BY occurred_at DESC, id DESC LIMIT %(limit)s"
    ).format(columns=_ROW_COLUMNS, conditions=sql.SQL(" AND ").join(conditions or [sql.SQL("true")]))
    async with pool.connection() as conn:
        async with conn.cursor(row_factory=dict_row) as cur:
            await cur.execute(query, params)
            found = await cur.fetchall()
        rows = [AccessLogRow.model_validate(await _open_citizen(conn, row)) for row in found]
    if citizen_cpr is not None:
        # Every row matched the searched CPR (by hash, or in clear before migration 0014): name it, also where the
        # citizen's key is destroyed and the sealed copy no longer opens.
        rows = [row.model_copy(update={"citizen_cpr": params["citizen_cpr"]}) for row in rows]
    if len(rows) <= limit:
        return rows, None
    page = rows[:limit]
    return page, encode_cursor(page[-1].occurred_at, str(page[-1].id))


async def citizen_extract(
    pool: Pool,
    citizen_cpr: str,
    *,
    include_employee: bool,
    municipality_code: str | None = None,
    occurred_from: datetime | None = None,
    occurred_to: datetime | None = None,
) -> list[ExtractRow]:
    """Every entry about the citizen (searches by their CPR included), oldest first, for an art. 15 request.

    The employee's identity (user id, name, role) is filled only with `include_employee`: CJEU C-579/21
    gives it where the citizen needs it to exercise their rights, not by default. `municipality_code`
    limits the extract to entries of that municipality, by its users or about its cases (a municipal auditor
    answering for it).
    """
    params: dict[str, Any] = {
        **_citizen_params(citizen_cpr),
        "municipality_code": municipality_code,
        "occurred_from": occurred_from,
        "occurred_to": occurred_to,
    }
    conditions: list[sql.Composable] = [_CITIZEN_MATCH]
    if municipality_code is not None:
        conditions.append(_MUNICIPALITY_MATCH)
    conditions += _period(occurred_from, occurred_to)
    shown = [name for name in ExtractRow.model_fields if include_employee or name not in _EMPLOYEE_COLUMNS]
    query = sql.SQL("SELECT {columns} FROM access_log WHERE {conditions} ORDER BY occurred_at, id").format(
        columns=sql.SQL(", ").join(map(sql.Identifier, shown)), conditions=sql.SQL(" AND ").join(conditions)
    )
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(query, params)
        return [ExtractRow.model_validate(row) for row in await cur.fetchall()]
