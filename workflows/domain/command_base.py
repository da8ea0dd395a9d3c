"""The base every command builds on, and who acted: apart from the commands themselves, so that command
modules of other parts (workflows.messaging) can build on `Command` without importing all commands back."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Actor(BaseModel):
    """Who acted, as their verified token says: recorded with every event, so nobody writes another's name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str = Field(min_length=1, max_length=200, description="The token's subject (user or client id)")
    role: str = Field(min_length=1, max_length=40, description="The role the act was done in")
    name: str | None = Field(default=None, max_length=200, description="The person's name, if the token has it")
    municipality_code: str | None = Field(default=None, max_length=3)
    sor_id: str | None = Field(default=None, max_length=18)
    cvr: str | None = Field(default=None, max_length=8)
    org_unit: str | None = Field(default=None, max_length=200)


class Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    command_id: str = Field(min_length=1, max_length=200, description="Idempotency key of the request")
    actor: str = Field(min_length=1, max_length=200, description="Who asks: caseworker, hospital or system")
    acted_by: Actor | None = Field(default=None, description="The verified identity behind `actor` (not for system)")
    # Request preconditions, checked by the workflow shell before the decider (not business rules):
    expected_version: int | None = Field(
        default=None, ge=0, description="Apply only if the case is at this version (HTTP If-Match)"
    )
    request_fingerprint: str | None = Field(
        default=None, max_length=128, description="Hash of the request, to refuse a reused idempotency key"
    )
