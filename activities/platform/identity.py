"""Who acts: a verified caller as every part below the API reads it (structurally: the API's `Principal` is one,
and so is a door's own system identity, such as the VANS mailbox a GGOP message came through)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from workflows.domain.command_base import Actor


class Identity(Protocol):
    """The caller as `api.auth.principal.Principal` describes it (read structurally: no import of the API)."""

    @property
    def subject(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def primary_role(self) -> str: ...
    @property
    def municipality_code(self) -> str | None: ...
    @property
    def sor_id(self) -> str | None: ...
    @property
    def org_unit(self) -> str | None: ...
    @property
    def cvr(self) -> str | None: ...


@dataclass(frozen=True)
class SystemIdentity:
    """An identity a door vouches for itself (a VANS mailbox's sender EAN), not a token."""

    subject: str
    primary_role: str
    name: str | None = None
    municipality_code: str | None = None
    sor_id: str | None = None
    org_unit: str | None = None
    cvr: str | None = None


def actor_of(identity: Identity) -> str:
    """How the event store names the actor: `role:subject`."""
    return f"{identity.primary_role}:{identity.subject}"


def acted_by(identity: Identity) -> Actor:
    """The identity recorded with the events a caller's command causes."""
    return Actor(
        subject=identity.subject,
        role=identity.primary_role,
        name=identity.name,
        municipality_code=identity.municipality_code,
        sor_id=identity.sor_id,
        cvr=identity.cvr,
        org_unit=identity.org_unit,
    )
