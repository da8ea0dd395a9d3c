"""Holds on a case or an application: placed and lifted with a reason, each an event of its retention stream.

Any active hold (complaint, supervision, compensation, archive) keeps the citizen's key however long ago the
case ended (journalføringsbekendtgørelsen §15: longer while a complaint, supervision or compensation case is
pending; arkivloven §5: not destroyed without Rigsarkivet's decision). A hold can be placed on a running case
too: its clock has not started, and the hold is there when it ends.
"""

from __future__ import annotations

from datetime import datetime

from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from activities.store.read_models.retention_status import RetentionStatus, retention_status
from activities.store.retention_events import HoldKind, RetentionHoldLifted, RetentionHoldPlaced
from workflows.contracts.store import EventMetadata


class HoldRefused(Exception):
    """The hold cannot change: it is already placed, not placed, or the data is erased. No personal data."""

    def __init__(self, message: str, status: RetentionStatus) -> None:
        super().__init__(message)
        self.status = status


async def current_status(pool: Pool, subject_type: str, subject_id: str) -> RetentionStatus:
    async with pool.connection() as conn:
        return await retention_status(conn, subject_type, subject_id)


async def change_hold(
    pool: Pool,
    subject_type: str,
    subject_id: str,
    hold: HoldKind,
    reason: str,
    *,
    place: bool,
    metadata: EventMetadata,
    now: datetime,
) -> RetentionStatus:
    """Place (or lift) `hold`; the new status. HoldRefused when there is nothing to change; a concurrent change
    raises `ConcurrencyConflict` from the store (the caller answers 409 and the client reads again)."""
    status = await current_status(pool, subject_type, subject_id)
    if status.erased_at is not None:
        raise HoldRefused("its personal data is already erased: a hold keeps nothing now", status)
    if place and hold in status.holds:
        raise HoldRefused(f"a {hold.value} hold is already placed", status)
    if not place and hold not in status.holds:
        raise HoldRefused(f"no {hold.value} hold is placed", status)
    event = (
        RetentionHoldPlaced(occurred_at=now, hold=hold, reason=reason)
        if place
        else RetentionHoldLifted(occurred_at=now, hold=hold, reason=reason)
    )
    await EventStore(pool).append_retention(subject_type, subject_id, status.version, [event], metadata)
    return await current_status(pool, subject_type, subject_id)
