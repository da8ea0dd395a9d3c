"""Which municipalities hold a citizen's cases and applications: whose auditor reads a use of the citizen's data
by someone outside them (an operator decoding Temporal payloads, `api.codec.access_log`).

Found through the citizen's key (`citizen_keys.lookup_hash`) and the streams sealed with it (`citizen_streams`,
migration 0012), then the read models: a case's responsible municipality (after a transfer, the receiving one),
an application's municipality. Names municipalities only; nothing here logs a CPR.
"""

from __future__ import annotations

from activities.platform.db import Pool
from activities.sealing.citizen_cipher import citizen_key_config

_STREAM_MUNICIPALITIES = """
SELECT s.stream_id, COALESCE(c.responsible_municipality_code, c.municipality_code, a.municipality_code)
FROM citizen_keys k
JOIN citizen_streams s ON s.key_id = k.key_id
LEFT JOIN cases c ON s.stream_type = 'case' AND c.case_id = s.stream_id
LEFT JOIN applications a ON s.stream_type = 'application' AND a.application_id = s.stream_id
WHERE k.lookup_hash = %(lookup_hash)s
"""


async def municipalities_of_citizen(pool: Pool, cpr: str) -> dict[str, str]:
    """The municipality responsible for each of the citizen's cases and applications, by case or application id.
    Empty for a citizen the read models do not know (a case whose first append has not happened, an erased
    citizen: the look-up hash goes with the key)."""
    lookup_hash = citizen_key_config().lookup_hash(cpr)
    async with pool.connection() as conn:
        cursor = await conn.execute(_STREAM_MUNICIPALITIES, {"lookup_hash": lookup_hash})
        return {str(stream_id): str(code) for stream_id, code in await cursor.fetchall() if code is not None}
