"""A citizen's erasure request (GDPR art. 17): carried out by destroying their key, unless the retention duty
(journalføringsbekendtgørelsen §15; art. 17(3)(b) and (c)) or a hold keeps any of their cases or applications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from activities.platform.db import Pool
from activities.retention.sweep import StreamFacts, destroy_if_unneeded, record_erasures, streams_of_key
from activities.sealing.citizen_cipher import citizen_key_config
from activities.sealing.citizen_keys import find_key
from activities.sealing.settings import CitizenKeySettings
from activities.store.retention_events import ErasureBasis


class ErasureRefused(Exception):
    """An erasure request (GDPR art. 17) that the retention duty overrides (art. 17(3)(b) and (c)). Carries the
    cases and applications that keep the data; the message names no personal data."""

    def __init__(self, retaining: list[StreamFacts]) -> None:
        super().__init__(f"{len(retaining)} case(s)/application(s) still retain the citizen's data")
        self.retaining = retaining


@dataclass(frozen=True)
class Erasure:
    erased: int  # cases and applications whose personal data now reads as erased
    in_clear: int  # stored before sealing: their first plan or application still holds the data in clear


async def erase_on_request(
    pool: Pool, rules: CitizenKeySettings, cpr: str, municipality_code: str | None, now: datetime, run: str
) -> Erasure | None:
    """Carry out an erasure request made to `municipality_code`: destroy the citizen's key unless any of their
    cases or applications is live (ErasureRefused). Returns how many were erased, or None when that municipality
    holds nothing on the citizen (another municipality's records are not its to erase, nor to reveal)."""
    async with pool.connection() as conn:
        key = await find_key(conn, citizen_key_config(), cpr)
        if key is None:
            return None
        streams = await streams_of_key(conn, key.key_id)
        if municipality_code is not None and all(s.municipality_code != municipality_code for s in streams):
            return None
        verdict = await destroy_if_unneeded(
            conn, key.key_id, rules, now.astimezone(UTC).date(), ErasureBasis.ERASURE_REQUEST
        )
    if not verdict.destroyed:
        raise ErasureRefused(verdict.retaining)
    erased, in_clear = await record_erasures(pool, verdict.streams, rules, ErasureBasis.ERASURE_REQUEST, now, run)
    return Erasure(erased, in_clear)
