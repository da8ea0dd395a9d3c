"""Reads of the letters a case or an application sent the citizen, from the outbox (for the API)."""

from __future__ import annotations

from typing import Any

from psycopg.rows import dict_row
from psycopg.sql import SQL, Identifier

from activities.messaging.letters.memo import letter_pdf
from activities.messaging.outbox import load_message
from activities.platform.db import Pool

_LIST = """
SELECT message_id::text AS letter_id, kind, details, created_at AS queued_at, sent_at, failed_at, resends
FROM outbox WHERE {} = %s AND channel = 'digital_post' AND content IS NOT NULL ORDER BY created_at, message_id
"""


class LetterUnavailable(Exception):
    """The letter exists but its content can no longer be opened (the citizen's key was erased)."""


async def list_letters(pool: Pool, owner_column: str, owner_id: str) -> list[dict[str, Any]]:
    """The owner's letters, oldest first, with their non-personal details (title, file name)."""
    assert owner_column in ("case_id", "application_id")
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cursor:
        await cursor.execute(SQL(_LIST).format(Identifier(owner_column)), (owner_id,))
        return await cursor.fetchall()


async def letter_as_sent(pool: Pool, owner_column: str, owner_id: str, letter_id: str) -> bytes | None:
    """The PDF the citizen got, or None if the owner has no such letter; LetterUnavailable if erased."""
    assert owner_column in ("case_id", "application_id")
    async with pool.connection() as conn:
        cursor = await conn.execute(
            SQL("SELECT 1 FROM outbox WHERE message_id = %s AND {} = %s AND channel = 'digital_post'").format(
                Identifier(owner_column)
            ),
            (letter_id, owner_id),
        )
        if await cursor.fetchone() is None:
            return None
        message = await load_message(conn, letter_id)
    if message is None:
        raise LetterUnavailable(letter_id)
    return letter_pdf(message.content)
