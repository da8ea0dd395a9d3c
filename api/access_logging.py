"""One access-log row for every use of a citizen's data through the API (Datatilsynet's "logning": read,
search with its criterion, create, change, export; sundhedsloven §42 a).

Routes call `log_access` after the scope check, with the read-model row they looked at: the citizen is
named by the CPR in that row. A row that cannot be written fails the request (no unlogged access): the
database error becomes the usual 503.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import Request

from activities.access_log import record
from activities.access_log_entries import AccessAction, AccessLogEntry, AccessOutcome, Purpose
from activities.db import Pool
from api.auth.principal import Principal

CORRELATION_HEADER = "X-Correlation-Id"


def correlation_id(request: Request) -> str:
    """The caller's correlation id (`X-Correlation-Id`, kept short), or one made for this request."""
    given = request.headers.get(CORRELATION_HEADER, "").strip()
    return given[:100] if given.isprintable() and given else str(uuid.uuid4())


def _cpr(value: Any) -> str | None:
    # An erased case's CPR reads `[slettet]`: the row then names the case only (its citizen is gone).
    return value if isinstance(value, str) and len(value) == 10 and value.isascii() and value.isdigit() else None


def citizen_of_case(row: Mapping[str, Any] | None) -> str | None:
    plan = ((row or {}).get("state") or {}).get("plan") or {}
    return _cpr((plan.get("patient") or {}).get("cpr"))


def citizen_of_application(row: Mapping[str, Any] | None) -> str | None:
    application = ((row or {}).get("state") or {}).get("application") or {}
    return _cpr((application.get("citizen") or {}).get("cpr"))


async def log_access(
    request: Request,
    pool: Pool,
    principal: Principal,
    action: AccessAction,
    *,
    purpose: str = Purpose.CASEWORK,
    outcome: AccessOutcome = AccessOutcome.ALLOWED,
    citizen_cpr: str | None = None,
    case_id: str | None = None,
    application_id: str | None = None,
    criterion: dict[str, Any] | None = None,
) -> None:
    entry = AccessLogEntry.by(
        principal,
        action=action,
        purpose=purpose,
        outcome=outcome,
        citizen_cpr=citizen_cpr,
        case_id=case_id,
        application_id=application_id,
        search_criterion={key: value for key, value in (criterion or {}).items() if value is not None} or None,
        source_address=request.client.host if request.client else None,
        correlation_id=correlation_id(request),
    )
    await record(pool, entry)
