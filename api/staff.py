"""Caseworkers and teams as the API hands them to the decider: resolved against the municipality's staff
register (activities/queries/staff_register.py), and the acting caseworker recorded there from their token.

The decider checks that a reference belongs to the case's municipality; here the register says whether the
named person or team exists and is active. Refusals are 422 naming the body field that named them.
"""

from __future__ import annotations

from collections.abc import Callable
from time import monotonic
from typing import Any

from activities.platform.db import Pool
from activities.queries import staff_register
from api.auth.principal import Principal, Role
from api.command_requests import CaseCommandRequest
from api.http.problems import FieldError, ProblemError
from workflows.domain.casework.model import CaseworkerRef, TeamRef


def _refused(field: str, message: str, slug: str) -> ProblemError:
    return ProblemError(
        422, message, slug=slug, title="Not in the staff register", errors=[FieldError(field=field, message=message)]
    )


def municipality_of(case: CaseCommandRequest) -> str:
    """The case's responsible municipality: the caller's own, or the case would not be in its scope."""
    code = case.principal.municipality_code
    assert code is not None  # sees_case admits a caseworker only with a municipality
    return code


async def seen_caseworker(pool: Pool, principal: Principal) -> dict[str, Any] | None:
    """Record a caseworker's activity in their municipality's register ("known from their tokens"); their
    register row, or None for a caller who is no caseworker of a municipality."""
    if not principal.has(Role.CASEWORKER) or principal.municipality_code is None:
        return None
    return await staff_register.record_seen(
        pool, principal.municipality_code, principal.subject, principal.name, principal.org_unit
    )


# A caseworker's commands record them in the register at most once a minute per API process: `last_seen_at` is
# kept to the minute, and a command does not pay a write transaction of its own each time. A token naming another
# team or name is recorded at once (it is another key).
SEEN_RECORD_SECONDS = 60.0
_recently_recorded: dict[tuple[str, str, str, str | None, str | None], float] = {}


async def note_caseworker_seen(pool: Pool, principal: Principal, *, now: Callable[[], float] = monotonic) -> None:
    """`seen_caseworker` for a command, which does not read the row: skipped when this process recorded the same
    token's caseworker within SEEN_RECORD_SECONDS."""
    if not principal.has(Role.CASEWORKER) or principal.municipality_code is None:
        return
    # The pool's name too: each pool is one database (a test run opens several), each with a register of its own.
    key = (pool.name, principal.municipality_code, principal.subject, principal.name, principal.org_unit)
    recorded = _recently_recorded.get(key)
    if recorded is not None and now() - recorded < SEEN_RECORD_SECONDS:
        return
    await seen_caseworker(pool, principal)
    if len(_recently_recorded) >= 10_000:  # bounded: a process meets a few hundred caseworkers a day
        _recently_recorded.clear()
    _recently_recorded[key] = now()


async def caller_as_caseworker(pool: Pool, principal: Principal) -> CaseworkerRef:
    """The acting caseworker in their register team: the token's organisation unit, unless the administrator
    placed them in another team (the administrator's word wins). 403 for one the register marks inactive, or
    whose team it marks inactive: they are given no cases, so they take none either."""
    row = await seen_caseworker(pool, principal)
    if row is None or principal.municipality_code is None:
        raise ProblemError(403, "the token names no caseworker the register can hold", slug="forbidden")
    if not row["active"] or not row["team_active"]:
        whose = "this caseworker" if not row["active"] else f"this caseworker's team {row['team_id']}"
        message = f"the register of municipality {principal.municipality_code} marks {whose} inactive"
        raise ProblemError(403, message, slug="forbidden", title="Forbidden")
    return CaseworkerRef(subject=row["subject"], municipality_code=principal.municipality_code, team=row["team_id"])


async def registered_caseworker(pool: Pool, municipality: str, subject: str, field: str) -> CaseworkerRef:
    """The caseworker `subject` of the municipality's register, active and in an active team (or none)."""
    row = await staff_register.get_caseworker(pool, municipality, subject)
    if row is None:
        raise _refused(
            field, f"no caseworker {subject} in the register of municipality {municipality}", "unknown-staff"
        )
    if not row["active"] or not row["team_active"]:
        whose = "caseworker" if not row["active"] else f"caseworker's team {row['team_id']}"
        raise _refused(
            field, f"the {whose} is inactive in the register of municipality {municipality}", "inactive-staff"
        )
    return CaseworkerRef(subject=row["subject"], municipality_code=municipality, team=row["team_id"])


async def registered_team(pool: Pool, municipality: str, team_id: str, field: str) -> TeamRef:
    """The team `team_id` of the municipality's register, active."""
    row = await staff_register.get_team(pool, municipality, team_id)
    if row is None:
        raise _refused(field, f"no team {team_id} in the register of municipality {municipality}", "unknown-staff")
    if not row["active"]:
        raise _refused(
            field, f"team {team_id} is inactive in the register of municipality {municipality}", "inactive-staff"
        )
    return TeamRef(team=row["team_id"], municipality_code=municipality)
