"""Holds on cases and applications, and citizens' erasure requests (docs/security.md, "Retention and erasure").

Who may: a caseworker of the responsible municipality or that municipality's administrator (municipal_admin)
places and lifts holds; an erasure request is the municipality's administrator's (the data controller answers
it, GDPR art. 12 and 17). A case or application outside the caller's municipality answers 404, and so does a
case outside a caseworker's organisation unit (AUTH_ORG_UNIT_SCOPE=team; the administrator keeps the whole
municipality's records).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import APIRouter, Request

from activities.access_log.entries import AccessAction, AccessOutcome
from activities.commands.applications import not_found as application_not_found
from activities.commands.refusals import case_not_found
from activities.platform.db import Pool
from activities.platform.identity import acted_by
from activities.queries import applications as application_queries
from activities.queries import cases as case_queries
from activities.retention.holds import HoldRefused, change_hold, current_status
from activities.sealing.personal_data import PersonalDataError
from activities.store.eventstore import ConcurrencyConflict
from activities.store.retention_events import HoldKind
from api.access_logging import citizen_of_application, citizen_of_case, log_access
from api.auth.access import require, team_scope
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import ApplicationIdPath, CaseIdPath, PoolDep, get_app_settings
from api.http.openapi import problems
from api.http.problems import ProblemError
from api.models.retention import HoldLiftRequest, HoldRequest, RetentionView
from workflows.contracts.store import EventMetadata

router = APIRouter(tags=["retention"])

ERASURE_PURPOSE = "sletning (GDPR art. 17)"
HOLD_ROLES = (Role.CASEWORKER, Role.MUNICIPAL_ADMIN)


async def _subject(
    request: Request,
    pool: Pool,
    principal: Principal,
    subject_type: str,
    subject_id: str,
    action: AccessAction = AccessAction.CHANGE,
) -> None:
    """404 unless the case or application exists and its responsible municipality is the caller's; logged."""
    require(principal, "place or lift a hold" if action is AccessAction.CHANGE else "read holds", *HOLD_ROLES)
    if subject_type == "case":
        row = await case_queries.get_case(pool, subject_id)
        missing = case_not_found(subject_id)
        municipality = row and (row.get("responsible_municipality_code") or row.get("municipality_code"))
        citizen = citizen_of_case(row)
    else:
        row = await application_queries.get_application(pool, subject_id)
        missing = application_not_found(subject_id)
        municipality = row and row.get("municipality_code")
        citizen = citizen_of_application(row)
    if row is None:
        raise missing
    visible = principal.municipality_code is not None and municipality == principal.municipality_code
    if visible and subject_type == "case" and not principal.has(Role.MUNICIPAL_ADMIN):
        scope = team_scope(principal, get_app_settings(request))
        visible = scope is None or scope.admits(row)
    await log_access(
        request,
        pool,
        principal,
        action,
        outcome=AccessOutcome.ALLOWED if visible else AccessOutcome.DENIED,
        citizen_cpr=citizen if visible else None,
        case_id=subject_id if subject_type == "case" else None,
        application_id=subject_id if subject_type == "application" else None,
    )
    if not visible:
        raise missing


def _metadata(principal: Principal, what: str) -> EventMetadata:
    return EventMetadata(
        actor=f"{principal.primary_role}:{principal.subject}",
        acted_by=acted_by(principal),
        command_id=str(uuid.uuid4()),
        command_type=what,
        workflow_id="api",
        run_id="api",
    )


async def _change(
    request: Request,
    pool: Pool,
    principal: Principal,
    subject: tuple[str, str],
    hold: HoldKind,
    reason: str,
    place: bool,
) -> RetentionView:
    subject_type, subject_id = subject
    await _subject(request, pool, principal, subject_type, subject_id)
    what = "PlaceRetentionHold" if place else "LiftRetentionHold"
    try:
        status = await change_hold(
            pool,
            subject_type,
            subject_id,
            hold,
            reason,
            place=place,
            metadata=_metadata(principal, what),
            now=datetime.now(UTC),
        )
    except HoldRefused as refused:
        raise ProblemError(
            409, f"The hold is unchanged: {refused}", slug="hold-unchanged", title="Hold unchanged"
        ) from None
    except PersonalDataError:  # no citizen to seal the reason for: never stored in clear
        raise ProblemError(
            409, "The hold's reason cannot be sealed: the record names no citizen", slug="hold-unchanged"
        ) from None
    except ConcurrencyConflict:
        raise ProblemError(
            409, "The holds changed meanwhile: read them again and decide", slug="concurrent-change"
        ) from None
    return RetentionView.of(status)


@router.get("/cases/{case_id}/retention", summary="A case's holds and erasure", responses=problems(404, 422))
async def get_case_retention(
    case_id: CaseIdPath, request: Request, pool: PoolDep, principal: PrincipalDep
) -> RetentionView:
    """The active holds, and when (and why) the case's personal data was erased, if it was."""
    await _subject(request, pool, principal, "case", str(case_id), AccessAction.READ)
    return RetentionView.of(await current_status(pool, "case", str(case_id)))


@router.get(
    "/applications/{application_id}/retention",
    summary="An application's holds and erasure",
    responses=problems(404, 422),
)
async def get_application_retention(
    application_id: ApplicationIdPath, request: Request, pool: PoolDep, principal: PrincipalDep
) -> RetentionView:
    """As for a case."""
    await _subject(request, pool, principal, "application", str(application_id), AccessAction.READ)
    return RetentionView.of(await current_status(pool, "application", str(application_id)))


@router.post("/cases/{case_id}/holds", summary="Put a case on hold", responses=problems(404, 409, 422))
async def place_case_hold(
    case_id: CaseIdPath, body: HoldRequest, request: Request, pool: PoolDep, principal: PrincipalDep
) -> RetentionView:
    """A complaint, supervision (tilsyn), compensation (erstatning) or archive hold: the case's personal data is
    kept past its retention period until the hold is lifted (journalføringsbekendtgørelsen §15; arkivloven §5).
    May be placed while the case runs. **409** when a hold of that kind is already placed."""
    return await _change(request, pool, principal, ("case", str(case_id)), body.hold, body.reason, True)


@router.post(
    "/cases/{case_id}/holds/{hold}/lifting", summary="Lift a hold on a case", responses=problems(404, 409, 422)
)
async def lift_case_hold(
    case_id: CaseIdPath, hold: HoldKind, body: HoldLiftRequest, request: Request, pool: PoolDep, principal: PrincipalDep
) -> RetentionView:
    """Ends the hold; the retention period (counted from the day the case ended) applies again. **409** when no
    hold of that kind is placed."""
    return await _change(request, pool, principal, ("case", str(case_id)), hold, body.reason, False)


@router.post(
    "/applications/{application_id}/holds", summary="Put an application on hold", responses=problems(404, 409, 422)
)
async def place_application_hold(
    application_id: ApplicationIdPath, body: HoldRequest, request: Request, pool: PoolDep, principal: PrincipalDep
) -> RetentionView:
    """As for a case: the application's personal data is kept until the hold is lifted."""
    return await _change(request, pool, principal, ("application", str(application_id)), body.hold, body.reason, True)


@router.post(
    "/applications/{application_id}/holds/{hold}/lifting",
    summary="Lift a hold on an application",
    responses=problems(404, 409, 422),
)
async def lift_application_hold(
    application_id: ApplicationIdPath,
    hold: HoldKind,
    body: HoldLiftRequest,
    request: Request,
    pool: PoolDep,
    principal: PrincipalDep,
) -> RetentionView:
    """Ends the hold on the application."""
    return await _change(request, pool, principal, ("application", str(application_id)), hold, body.reason, False)
