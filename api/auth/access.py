"""What each role may do, and on whose data: the one place the API decides.

- A role that may not do an operation at all is refused with **403** (`forbidden`).
- A case or application outside the caller's scope answers **404**, exactly like one that does not exist,
  so a caller cannot learn that another municipality's citizen has a case (sundhedsloven §42 a: look up only
  what the current treatment needs).

Scopes: a caseworker sees the cases and applications whose responsible municipality is its own (a case
transferred away leaves its scope with the transfer's event, which updates the read model in the same
transaction), and with AUTH_ORG_UNIT_SCOPE=team only those cases of it that its organisation unit's team has,
that no team has yet, or that it holds (`team_scope`; applications have no teams); a hospital sees the cases
of the plans it sent; a municipal administrator keeps its own municipality's registers; ops sees operational
metadata only (lists without personal data, health).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from activities.queries.case_scope import TeamScope
from api.auth.principal import Principal, Role
from api.auth.settings import AuthSettings
from api.http.problems import ProblemError


def forbidden(principal: Principal, what: str) -> ProblemError:
    held = ", ".join(sorted(role.value for role in principal.roles)) or "no role this service knows"
    return ProblemError(403, f"{held} may not {what}", slug="forbidden", title="Forbidden")


def require(principal: Principal, what: str, *roles: Role) -> None:
    """403 unless the caller holds one of `roles`."""
    if not principal.has(*roles):
        raise forbidden(principal, what)


def require_own_municipality(principal: Principal, municipality_code: str, what: str) -> None:
    """403 unless the caller's token binds it to `municipality_code`."""
    if principal.municipality_code != municipality_code:
        raise ProblemError(
            403, f"the token is not for municipality {municipality_code}: may not {what}", slug="forbidden"
        )


def _plan_sender(state: Mapping[str, Any]) -> str | None:
    plan = state.get("plan") or {}
    sender = plan.get("sending_hospital_sor_id")
    return str(sender) if sender is not None else None


def team_scope(principal: Principal, settings: AuthSettings) -> TeamScope | None:
    """The organisation unit a caseworker's cases are limited to, or None: the whole municipality.

    Only with AUTH_ORG_UNIT_SCOPE=team, and only for a token that names a unit: a broker that set no orgenhed
    constraint granted the municipality (KOMBIT's constraints narrow a role; their absence does not)."""
    if settings.auth_org_unit_scope != "team" or not principal.has(Role.CASEWORKER) or principal.org_unit is None:
        return None
    return TeamScope(team=principal.org_unit, subject=principal.subject)


def sees_case(principal: Principal, row: Mapping[str, Any], *roles: Role, scope: TeamScope | None) -> bool:
    """Whether the caller, in one of `roles`, may see the case of this read-model row; `scope` is the caller's
    `team_scope`, which narrows what a caseworker sees within its municipality."""
    if Role.CASEWORKER in roles and principal.has(Role.CASEWORKER):
        responsible = row.get("responsible_municipality_code") or row.get("municipality_code")
        if principal.municipality_code is not None and responsible == principal.municipality_code:
            if scope is None or scope.admits(row):
                return True
    if Role.HOSPITAL in roles and principal.has(Role.HOSPITAL):
        return principal.sor_id is not None and _plan_sender(row.get("state") or {}) == principal.sor_id
    return False


def sees_application(principal: Principal, row: Mapping[str, Any]) -> bool:
    return (
        principal.has(Role.CASEWORKER)
        and principal.municipality_code is not None
        and row.get("municipality_code") == principal.municipality_code
    )


def list_scope(principal: Principal, requested: str | None, what: str) -> str | None:
    """The municipality a list is limited to: a caseworker's own (asking for another is 403); none for ops."""
    if principal.has(Role.OPS):
        return requested
    require(principal, what, Role.CASEWORKER)
    if principal.municipality_code is None:
        raise forbidden(principal, f"{what} without a municipality in its token")
    if requested is not None and requested != principal.municipality_code:
        require_own_municipality(principal, requested, what)
    return principal.municipality_code
