"""One access-log row for every use of a citizen's data through the API (Datatilsynet's "logning": read,
search with its criterion, create, change, export; sundhedsloven §42 a).

Routes call `log_access` after the scope check, with the read-model row they looked at: the citizen is
named by the CPR in that row. A row that cannot be written fails the request (no unlogged access): the
database error becomes the usual 503.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from opentelemetry import trace

from activities.access_log.entries import AccessAction, AccessLogEntry, AccessOutcome, Purpose, looks_like_cpr
from activities.access_log.records import record
from activities.platform.db import Pool
from activities.platform.tracing import current_trace_id
from api.auth.principal import Principal

CORRELATION_HEADER = "X-Correlation-Id"
# A caller's own reference: a UUID, a ticket number, `system:id`. Short, and only characters that cannot break a
# log line or a report; anything else (or a CPR number) is ignored and the trace id serves instead.
CALLER_CORRELATION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,99}")
CALLER_CORRELATION_ATTRIBUTE = "genoptraening.caller_correlation_id"


def correlation_id(request: Request) -> str | None:
    """The access-log row's correlation id: the caller's `X-Correlation-Id` when it is a well-formed reference,
    otherwise the request's trace id (docs/observability.md), which the answer's `X-Correlation-Id`, the log lines
    (`trace_id`) and the trace carry. A caller's reference is put on the request's span as well, so the trace
    backend finds the trace from it."""
    given = request.headers.get(CORRELATION_HEADER, "").strip()
    if CALLER_CORRELATION.fullmatch(given) and not looks_like_cpr(given):
        trace.get_current_span().set_attribute(CALLER_CORRELATION_ATTRIBUTE, given)
        return given
    return current_trace_id()


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
    responsible_municipality_code: str | None = None,
) -> None:
    """Append the row of one use; `responsible_municipality_code` names the municipality of the case or
    application used where the caller is not of it (a hospital), so that its auditor finds the row."""
    entry = AccessLogEntry.by(
        principal,
        action=action,
        purpose=purpose,
        outcome=outcome,
        citizen_cpr=citizen_cpr,
        case_id=case_id,
        application_id=application_id,
        responsible_municipality_code=responsible_municipality_code,
        search_criterion={key: value for key, value in (criterion or {}).items() if value is not None} or None,
        source_address=request.client.host if request.client else None,
        correlation_id=correlation_id(request),
    )
    await record(pool, entry)
