"""The retention read model: per case or application, its active holds and whether its personal data was erased.

Written in the append transaction of its retention stream (activities.store.eventstore.EventStore.append_retention),
read by the retention sweep, the erasure request and the hold routes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from psycopg import AsyncConnection

from activities.store.retention_events import (
    HoldKind,
    PersonalDataErased,
    RetentionEvent,
    RetentionHoldLifted,
    RetentionHoldPlaced,
)

_UPSERT = """
INSERT INTO retention_status (subject_id, subject_type, holds, erased_at, erased_basis, version, last_global_position)
VALUES (%s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (subject_id) DO UPDATE SET holds = EXCLUDED.holds, erased_at = EXCLUDED.erased_at,
    erased_basis = EXCLUDED.erased_basis, version = EXCLUDED.version,
    last_global_position = EXCLUDED.last_global_position
"""


@dataclass(frozen=True)
class RetentionStatus:
    subject_type: str
    subject_id: str
    holds: tuple[HoldKind, ...] = ()
    erased_at: datetime | None = None
    erased_basis: str | None = None
    version: int = 0


async def retention_status(conn: AsyncConnection[Any], subject_type: str, subject_id: str) -> RetentionStatus:
    cursor = await conn.execute(
        "SELECT holds, erased_at, erased_basis, version FROM retention_status"
        " WHERE subject_id = %s AND subject_type = %s",
        (subject_id, subject_type),
    )
    row = await cursor.fetchone()
    if row is None:
        return RetentionStatus(subject_type, subject_id)
    return RetentionStatus(subject_type, subject_id, tuple(HoldKind(h) for h in row[0]), row[1], row[2], row[3])


def _fold(status: RetentionStatus, event: RetentionEvent) -> RetentionStatus:
    holds, erased_at, basis = list(status.holds), status.erased_at, status.erased_basis
    if isinstance(event, RetentionHoldPlaced) and event.hold not in holds:
        holds.append(event.hold)
    elif isinstance(event, RetentionHoldLifted) and event.hold in holds:
        holds.remove(event.hold)
    elif isinstance(event, PersonalDataErased) and erased_at is None:
        erased_at, basis = event.occurred_at, event.basis.value
    return RetentionStatus(status.subject_type, status.subject_id, tuple(holds), erased_at, basis, status.version + 1)


async def project_retention(
    conn: AsyncConnection[Any],
    subject_type: str,
    subject_id: str,
    expected_version: int,
    positions: Sequence[int],
    events: Sequence[RetentionEvent],
) -> RetentionStatus:
    """Fold appended retention events into the subject's row (the caller owns the append transaction)."""
    status = await retention_status(conn, subject_type, subject_id)
    status = RetentionStatus(
        status.subject_type, subject_id, status.holds, status.erased_at, status.erased_basis, expected_version
    )
    for event in events:
        status = _fold(status, event)
    await conn.execute(
        _UPSERT,
        (
            subject_id,
            subject_type,
            [hold.value for hold in status.holds],
            status.erased_at,
            status.erased_basis,
            status.version,
            positions[-1],
        ),
    )
    return status
