"""The closing check's facts from outside the case: the same citizen's other open cases and applications.

The citizen is found through `citizen_streams` (migration 0012): every stream holding a citizen's data is
linked to that citizen's key, one key per CPR number, so streams sharing the case's key belong to the same
person, and no CPR number is needed (or seen) here. A stream's citizen is the key it was linked to last (a
replacing plan may name another citizen), for the case and for the others alike. A case with no link (one
recorded before citizen keys existed) has no known citizen: nothing is found for it.

Only streams the same municipality handles are listed: the caseworker who closes may see those, and another
municipality's cases of the citizen are not theirs to learn of. A caseworker limited to their organisation
unit (AUTH_ORG_UNIT_SCOPE=team) is shown only the other cases within that scope, for the same reason;
applications have no teams and are listed as before.
"""

from __future__ import annotations

from typing import Any

from psycopg import sql

from activities.platform.db import Pool
from activities.queries.case_scope import TeamScope, scope_params
from workflows.domain.applications.model import ApplicationStatus
from workflows.domain.casework.attention import AttentionItem, AttentionKind
from workflows.domain.model import CaseStatus

# Per kind: the newest ones. More than this for one citizen would be a data error, and the list must stay short
# enough to be confirmed into one event (workflows.domain.casework.attention.MAX_ATTENTION_ITEMS).
_LIMIT_PER_KIND = 20

_OPEN_CASE_STATUSES = [status.value for status in CaseStatus if status is not CaseStatus.NEW and not status.is_terminal]
_OPEN_APPLICATION_STATUSES = [
    status.value for status in ApplicationStatus if status is not ApplicationStatus.NEW and not status.is_terminal
]

_OTHER_OPEN_STREAMS = """
WITH citizen AS (
    SELECT key_id FROM citizen_streams WHERE stream_id = %(case_id)s ORDER BY linked_at DESC, key_id LIMIT 1
),
linked AS (
    SELECT DISTINCT ON (s.stream_id) s.stream_id, s.stream_type, s.key_id
    FROM citizen_streams s
    WHERE s.stream_id IN (
        SELECT stream_id FROM citizen_streams WHERE key_id = (SELECT key_id FROM citizen) AND stream_id <> %(case_id)s
    )
    ORDER BY s.stream_id, s.linked_at DESC, s.key_id
),
same_citizen AS (
    SELECT stream_id, stream_type FROM linked WHERE key_id = (SELECT key_id FROM citizen)
)
(SELECT 'case' AS stream_type, c.case_id AS stream_id, c.status
 FROM same_citizen o JOIN cases c ON c.case_id = o.stream_id
 WHERE o.stream_type = 'case' AND c.status = ANY(%(open_cases)s)
   AND COALESCE(c.responsible_municipality_code, c.municipality_code) = %(municipality)s
   AND {case_scope}
 ORDER BY c.received_at DESC, c.case_id DESC
 LIMIT %(limit)s)
UNION ALL
(SELECT 'application', a.application_id, a.status
 FROM same_citizen o JOIN applications a ON a.application_id = o.stream_id
 WHERE o.stream_type = 'application' AND a.status = ANY(%(open_applications)s)
   AND a.municipality_code = %(municipality)s
 ORDER BY a.received_at DESC, a.application_id DESC
 LIMIT %(limit)s)
"""

_KINDS = {"case": AttentionKind.OTHER_OPEN_CASE, "application": AttentionKind.OTHER_OPEN_APPLICATION}


async def attention_elsewhere(
    pool: Pool, case_id: str, municipality_code: str | None, team_scope: TeamScope | None = None
) -> list[AttentionItem]:
    """The citizen's other open cases, then open applications, that `municipality_code` handles (newest first);
    the cases only within `team_scope` when the caseworker has one."""
    if municipality_code is None:
        return []
    query = sql.SQL(_OTHER_OPEN_STREAMS).format(
        case_scope=team_scope.condition("c") if team_scope is not None else sql.SQL("true")
    )
    params: dict[str, Any] = {
        **scope_params(team_scope),
        "case_id": case_id,
        "municipality": municipality_code,
        "open_cases": _OPEN_CASE_STATUSES,
        "open_applications": _OPEN_APPLICATION_STATUSES,
        "limit": _LIMIT_PER_KIND,
    }
    async with pool.connection() as conn:
        cursor = await conn.execute(query, params)
        rows = await cursor.fetchall()
    return [
        AttentionItem(kind=_KINDS[stream_type], ref=stream_id, detail=status) for stream_type, stream_id, status in rows
    ]
