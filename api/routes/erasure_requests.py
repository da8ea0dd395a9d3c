"""A citizen's erasure request (GDPR art. 17), for the municipality's administrator (docs/security.md,
"Retention and erasure"). The CPR number travels in the body, never in a URL."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from activities.access_log.entries import AccessAction, AccessOutcome
from activities.retention.erasure_requests import ErasureRefused, erase_on_request
from activities.retention.sweep import StreamFacts, retained_until
from activities.sealing.settings import CitizenKeySettings
from api.access_logging import log_access
from api.auth.access import require
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import PoolDep, SettingsDep
from api.http.openapi import problems
from api.http.problems import ProblemError
from api.models.retention import ErasureOutcome, ErasureRequest

router = APIRouter(tags=["retention"])

ERASURE_PURPOSE = "sletning (GDPR art. 17)"


def _refusal(refused: ErasureRefused, principal: Principal, settings: CitizenKeySettings) -> ProblemError:
    """The legal reason, without naming another municipality's cases (GDPR art. 17(3)(b) and (c))."""
    own = [facts for facts in refused.retaining if facts.municipality_code == principal.municipality_code]
    reasons: list[str] = []
    if any(_running(facts) for facts in own):
        reasons.append("a case or application is still in progress (art. 17(3)(c): health care)")
    if any(facts.holds for facts in own):
        reasons.append("a hold is placed (complaint, supervision, compensation or archive)")
    kept = [retained_until(settings, facts.ended_at) for facts in own if facts.ended_at and not _running(facts)]
    if kept:
        until, rule = max(kept, key=lambda pair: pair[0])
        reasons.append(f"records are kept {rule.years} years after they end ({rule.source}), here until {until}")
    if not reasons:
        reasons.append("the citizen's records elsewhere are still kept")
    return ProblemError(
        409,
        "Not erased: the retention duty overrides the request (GDPR art. 17(3)(b) and (c); "
        "journalføringsbekendtgørelsen §15 under autorisationsloven §25): " + "; ".join(reasons),
        slug="erasure-refused",
        title="Retention duty",
    )


def _running(facts: StreamFacts) -> bool:
    return facts.ended_at is None or facts.status not in ("completed", "closed")


@router.post("/erasure-requests", summary="Carry out a citizen's erasure request", responses=problems(409, 422))
async def request_erasure(
    body: ErasureRequest, request: Request, pool: PoolDep, principal: PrincipalDep, settings: SettingsDep
) -> ErasureOutcome:
    """GDPR art. 17. Refused with **409** and the legal reason while any of the citizen's cases or applications
    runs, is on hold, or is inside its retention period (by default 5 years after it ended,
    journalføringsbekendtgørelsen §15 stk. 2). Otherwise the citizen's key is destroyed: every personal field of
    every case and application of theirs reads as erased from then on, and each records `PersonalDataErased`.
    The CPR number travels in the body, never in the URL; one that does not start with a valid birth date is
    **422** naming `citizen_cpr`. For the municipality's administrator; a citizen it holds nothing on answers
    `nothing_held`."""
    require(principal, "carry out an erasure request", Role.MUNICIPAL_ADMIN)
    now = datetime.now(UTC)
    try:
        erased = await erase_on_request(
            pool, settings, body.citizen_cpr, principal.municipality_code or "", now, f"erasure:{uuid.uuid4()}"
        )
    except ErasureRefused as refused:
        await log_access(
            request,
            pool,
            principal,
            AccessAction.ERASE,
            purpose=ERASURE_PURPOSE,
            outcome=AccessOutcome.DENIED,
            citizen_cpr=body.citizen_cpr,
        )
        raise _refusal(refused, principal, settings) from None
    outcome = AccessOutcome.ALLOWED if erased is not None else AccessOutcome.NOT_FOUND
    await log_access(
        request,
        pool,
        principal,
        AccessAction.ERASE,
        purpose=ERASURE_PURPOSE,
        outcome=outcome,
        citizen_cpr=body.citizen_cpr,
    )
    if erased is None:
        return ErasureOutcome(outcome="nothing_held", erased=0)
    return ErasureOutcome(outcome="erased", erased=erased.erased, stored_in_clear=erased.in_clear)
