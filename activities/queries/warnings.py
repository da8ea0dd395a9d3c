"""A caseworker's unseen deadline warnings, read from the `cases` read model (migration 0019's partial indexes).

Only the warnings still unseen are at hand: the case's state keeps those (`unseen_warnings`) and, per deadline,
the last due date warned of, not when a seen one was issued or to whom. Reads no personal field: the warnings
and the few deadline fields picked out of `state` are in clear (activities/sealing/personal_fields.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psycopg.rows import dict_row

from activities.platform.db import Pool
from workflows.domain.case_state import CaseState
from workflows.domain.casework.model import UnseenWarning
from workflows.domain.deadlines import deadline_due_on, pending_deadlines

# What `pending_deadlines` reads to tell whether a legal deadline still runs.
_DEADLINE_FIELDS = [
    "status",
    "contact_due_on",
    "contact_overdue",
    "start_guarantee_due_on",
    "first_appointment_on",
    "start_guarantee_breached",
    "start_guarantee_lapsed",
]

# Literal predicates (is_open, unseen_warnings > 0, assignee IS NULL) so the planner matches the partial indexes.
_UNSEEN = """
SELECT c.case_id, warning, (
    SELECT jsonb_object_agg(key, value) FROM jsonb_each(c.state) WHERE key = ANY(%(fields)s)
) AS deadlines
FROM cases c CROSS JOIN LATERAL jsonb_array_elements(c.state -> 'unseen_warnings') AS warning
WHERE c.responsible_municipality_code = %(municipality)s
  AND ((c.is_open AND c.unseen_warnings > 0 AND c.assignee = %(subject)s)
    OR (c.is_open AND c.unseen_warnings > 0 AND c.assignee IS NULL AND c.team = %(team)s))
ORDER BY warning ->> 'due_on', c.case_id, warning ->> 'warning_id'
LIMIT %(limit)s
"""


@dataclass(frozen=True)
class CaseWarning:
    case_id: str
    warning: UnseenWarning
    deadline_running: bool


async def unseen_warnings(
    pool: Pool, municipality_code: str, subject: str, team: str | None, limit: int
) -> tuple[list[CaseWarning], bool]:
    """The unseen warnings of the municipality's open cases that `subject` holds or that nobody holds in `team`,
    soonest deadline first; at most `limit`, and whether more were left out."""
    params = {
        "fields": _DEADLINE_FIELDS,
        "municipality": municipality_code,
        "subject": subject,
        "team": team,
        "limit": limit + 1,
    }
    async with pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
        await cur.execute(_UNSEEN, params)
        rows = await cur.fetchall()
    return [_case_warning(row) for row in rows[:limit]], len(rows) > limit


def _case_warning(row: dict[str, Any]) -> CaseWarning:
    warning = UnseenWarning.model_validate(row["warning"])
    deadlines = CaseState.model_validate({**(row["deadlines"] or {}), "case_id": row["case_id"]})
    running = pending_deadlines(deadlines, with_reminders=False)
    still_running = warning.deadline in running and deadline_due_on(deadlines, warning.deadline) == warning.due_on
    return CaseWarning(case_id=row["case_id"], warning=warning, deadline_running=still_running)
