"""What every command endpoint takes besides its body, gathered once as a FastAPI dependency.

A command names its target (a case or an application), who acts (`X-Actor`) and, optionally, an
`Idempotency-Key`; it is sent as a Workflow Update through the pool and client of the app. Routes then only
turn their body into the command.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends
from temporalio.client import Client

from activities.db import Pool
from api.application_updates import send_application_update
from api.case_updates import send_update
from api.deps import ActorHeader, ApplicationIdPath, CaseIdPath, IdempotencyKeyHeader, PoolDep, TemporalDep
from api.models.applications import ApplicationView
from api.models.cases import CaseView
from workflows.domain.commands import Command

C = TypeVar("C", bound=Command)


@dataclass(frozen=True)
class CommandRequest:
    actor: str
    idempotency_key: str | None
    client: Client
    pool: Pool

    def command_id(self, endpoint: str) -> str:
        """The update id: the Idempotency-Key scoped to the endpoint, so one key cannot answer for another
        command; a fresh id without a key."""
        return f"{endpoint}:{self.idempotency_key or uuid.uuid4()}"

    def command(self, endpoint: str, command_type: type[C], **fields: Any) -> C:
        return command_type(command_id=self.command_id(endpoint), actor=self.actor, **fields)


@dataclass(frozen=True)
class CaseCommandRequest(CommandRequest):
    case_id: uuid.UUID

    async def send_command(
        self, update: Any, command: Command, *, field_names: Mapping[str, str] | None = None
    ) -> CaseView:
        return await send_update(self.client, self.pool, self.case_id, update, command, field_names=field_names)

    async def send(self, endpoint: str, update: Any, command_type: type[Command], **fields: Any) -> CaseView:
        return await self.send_command(update, self.command(endpoint, command_type, **fields))


@dataclass(frozen=True)
class ApplicationCommandRequest(CommandRequest):
    application_id: uuid.UUID

    async def send_command(self, update: Any, command: Command) -> ApplicationView:
        return await send_application_update(self.client, self.pool, self.application_id, update, command)

    async def send(self, endpoint: str, update: Any, command_type: type[Command], **fields: Any) -> ApplicationView:
        return await self.send_command(update, self.command(endpoint, command_type, **fields))


def case_command_request(
    case_id: CaseIdPath,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> CaseCommandRequest:
    return CaseCommandRequest(actor=actor, idempotency_key=idempotency_key, client=client, pool=pool, case_id=case_id)


def application_command_request(
    application_id: ApplicationIdPath,
    actor: ActorHeader,
    client: TemporalDep,
    pool: PoolDep,
    idempotency_key: IdempotencyKeyHeader = None,
) -> ApplicationCommandRequest:
    return ApplicationCommandRequest(
        actor=actor, idempotency_key=idempotency_key, client=client, pool=pool, application_id=application_id
    )


CaseCommandDep = Annotated[CaseCommandRequest, Depends(case_command_request)]
ApplicationCommandDep = Annotated[ApplicationCommandRequest, Depends(application_command_request)]
