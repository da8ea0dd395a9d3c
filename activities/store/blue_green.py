"""The blue/green swap a read-model rebuild ends with: a rebuilt table takes the live one's place, with the live
one's indexes and grants, in the caller's transaction (after the events lock, so nothing commits between the
catch-up and the swap). `activities.store.rebuild` rebuilds `cases`, `applications` and the start-guarantee facts
with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg import AsyncConnection, sql

_PRIVILEGES = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"})


@dataclass(frozen=True)
class RebuildResult:
    cases: int  # rows in the rebuilt table (cases, or applications for that read model)
    position: int


@dataclass(frozen=True)
class RebuiltTable:
    """A read model's table and the column its rows are keyed by."""

    table: str
    key: str

    @property
    def rebuild_table(self) -> str:
        return f"{self.table}_rebuild"


async def swap_in(conn: AsyncConnection[Any], model: RebuiltTable) -> None:
    """Replace the model's table by its rebuild table, keeping its indexes and grants. Runs inside the
    caller's transaction, after the events lock."""
    live, rebuilt = model.table, model.rebuild_table
    await conn.execute(sql.SQL("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE").format(sql.Identifier(live)))
    # Indexes and grants are read from the live table rather than restated here, so ones that later
    # migrations add survive a rebuild too.
    cursor = await conn.execute(
        "SELECT pg_get_indexdef(indexrelid) FROM pg_index WHERE indrelid = %s::regclass AND NOT indisprimary",
        (live,),
    )
    index_definitions = [row[0] for row in await cursor.fetchall()]
    cursor = await conn.execute(
        "SELECT privilege_type, grantee FROM information_schema.role_table_grants"
        " WHERE table_schema = current_schema() AND table_name = %s AND grantee <> current_user",
        (live,),
    )
    grants = [(row[0], row[1]) for row in await cursor.fetchall() if row[0] in _PRIVILEGES]
    await conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(live)))
    await conn.execute(sql.SQL("ALTER TABLE {} RENAME TO {}").format(sql.Identifier(rebuilt), sql.Identifier(live)))
    await conn.execute(
        sql.SQL("ALTER TABLE {} RENAME CONSTRAINT {} TO {}").format(
            sql.Identifier(live),
            sql.Identifier(f"{rebuilt}_pkey"),
            sql.Identifier(f"{live}_pkey"),
        )
    )
    for definition in index_definitions:
        # Catalog text from pg_get_indexdef, not outside input.
        await conn.execute(definition.encode())
    for privilege, grantee in grants:
        target = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
        await conn.execute(sql.SQL("GRANT {} ON {} TO {}").format(sql.SQL(privilege), sql.Identifier(live), target))
