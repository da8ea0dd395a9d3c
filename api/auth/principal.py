"""The verified caller: one person or system client, as its token says (never as a header it writes itself).

Which claims carry what is configuration (`activities.runtime.settings.Settings.auth_claim_*`), so the same service
reads a municipality's OIDC broker in front of KOMBIT's Context Handler as well as the local issuer.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    # A system client bound to its SOR id: submits, replaces and revokes its own plans, reads their status.
    HOSPITAL = "hospital"
    # Bound to one municipality (optionally an organisation unit): its cases and applications only.
    CASEWORKER = "caseworker"
    # The municipality's own registers (contact deadline, providers).
    MUNICIPAL_ADMIN = "municipal_admin"
    # Operational metadata: statuses, deadlines, counts, health; never CPR, names or health text.
    OPS = "ops"
    # Decoding Temporal payloads in the UI (sundhedsloven §42 a stk. 4, "teknisk bistand").
    OPS_DECRYPT = "ops_decrypt"
    # Reads the access log of its municipality, or of all with the national auditor claim.
    AUDITOR = "auditor"
    # Reads the reports (the start guarantee) of its municipality, or of all with the national reader claim.
    REPORT_READER = "report_reader"


@dataclass(frozen=True)
class Principal:
    """A caller whose token was verified: who, in which role(s), for which organisation."""

    subject: str
    roles: frozenset[Role]
    name: str | None = None
    municipality_code: str | None = None  # caseworker, municipal_admin, auditor
    sor_id: str | None = None  # hospital
    org_unit: str | None = None  # caseworker's organisation unit (optional constraint)
    cvr: str | None = None  # the organisation's CVR number, as the broker gives it
    national: bool = False  # auditor for every municipality
    national_reader: bool = False  # reads the reports of every municipality (AUTH_CLAIM_NATIONAL_READER)
    token_id: str | None = None  # `jti`, for correlating with the issuer's own log

    def has(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def primary_role(self) -> str:
        """The role recorded with what the caller does (the first in `Role`'s order that it holds), or `none`
        for a verified token with no role this service knows (it may do nothing, but its attempt is logged)."""
        return next((role.value for role in Role if role in self.roles), "none")

    @property
    def actor(self) -> str:
        """How the event store names the actor: `role:subject`."""
        return f"{self.primary_role}:{self.subject}"
