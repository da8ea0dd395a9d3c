"""Whether a stream already applied a command, read from its events' metadata: how a repeated request (the same
Idempotency-Key) is answered once the stream's workflow has finished and Temporal no longer remembers it."""

from __future__ import annotations

from dataclasses import dataclass

from activities.platform.db import Pool

# The stream's own rows by its (case_id, case_version) key, then the few events of that stream filtered: no index
# on the metadata is needed for a stream of tens of events.
_APPLIED = """
SELECT metadata ->> 'request_fingerprint'
  FROM events
 WHERE case_id = %(stream_id)s AND metadata ->> 'command_id' = %(command_id)s
 ORDER BY case_version
 LIMIT 1
"""


@dataclass(frozen=True)
class AppliedCommand:
    request_fingerprint: str | None  # None for events stored before fingerprints were kept


async def applied_command(pool: Pool, stream_id: str, command_id: str) -> AppliedCommand | None:
    """The command `command_id` as the stream applied it, or None if no event of the stream came from it."""
    async with pool.connection() as conn:
        cursor = await conn.execute(_APPLIED, {"stream_id": stream_id, "command_id": command_id})
        row = await cursor.fetchone()
    return None if row is None else AppliedCommand(request_fingerprint=row[0])
