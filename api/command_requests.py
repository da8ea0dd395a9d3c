"""What every command endpoint takes besides its body, gathered once as a FastAPI dependency.

A command names its target (a case or an application), who acts (its verified token), optionally an
`Idempotency-Key` and an `If-Match` with the version the caller decided on; it is sent as a Workflow Update
through the pool and client of the app, and the answer carries the new version as its `ETag`. Routes then
only turn their body into the command.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request, Response
from temporalio.client import Client

from activities.access_log.entries import AccessAction
from activities.commands.applications import send_application_update
from activities.commands.cases import send_update
from activities.commands.options import UpdateOptions
from activities.commands.refusals import etag
from activities.platform.db import Pool
from activities.platform.identity import acted_by
from activities.queries import cases as case_queries
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Principal, Role
from api.deps import (
    ApplicationIdPath,
    CaseIdPath,
    IdempotencyKeyHeader,
    IfMatchHeader,
    PoolDep,
    SettingsDep,
    TemporalDep,
    expected_version_of,
)
from api.models.applications import ApplicationView
from api.models.cases import CaseView
from api.scoped_rows import visible_application, visible_case
from api.settings import ApiSettings
from workflows.domain.commands import Command

C = TypeVar("C", bound=Command)

# What identifies a request apart from its content: excluded from the fingerprint. `confirmed_attention` is the
# server's closing check, not what the caller asked: a retry finds the case ended and nothing left to confirm.
_REQUEST_FIELDS = {"command_id", "actor", "acted_by", "expected_version", "request_fingerprint", "confirmed_attention"}


def request_fingerprint(command: Command) -> str:
    """A hash of what the command asks, so a key reused for another request is recognised (IETF
    draft-ietf-httpapi-idempotency-key-header: same key, other payload is an error)."""
    content = command.model_dump_json(exclude=_REQUEST_FIELDS)
    return hashlib.sha256(f"{type(command).__name__}:{content}".encode()).hexdigest()


@dataclass(frozen=True)
class CommandRequest:
    request: Request
    principal: Principal
    idempotency_key: str
    expected_version: int | None
    client: Client
    pool: Pool
    settings: ApiSettings
    response: Response

    def command_id(self, endpoint: str) -> str:
        """The command id: the Idempotency-Key scoped to the endpoint, so one key cannot answer for another
        command (a fresh key when the client sent none)."""
        return f"{endpoint}:{self.idempotency_key}"

    def command(self, endpoint: str, command_type: type[C], **fields: Any) -> C:
        command = command_type(
            command_id=self.command_id(endpoint),
            actor=self.principal.actor,
            acted_by=acted_by(self.principal),
            expected_version=self.expected_version,
            **fields,
        )
        return command.model_copy(update={"request_fingerprint": request_fingerprint(command)})

    def options(self, command: Command) -> UpdateOptions:
        return UpdateOptions.for_request(self.settings, command.command_id, self.idempotency_key)

    def answered(self, version: int) -> None:
        self.response.headers["ETag"] = etag(version)


@dataclass(frozen=True)
class CaseCommandRequest(CommandRequest):
    case_id: uuid.UUID

    async def send_command(
        self, update: Any, command: Command, *, field_names: Mapping[str, str] | None = None
    ) -> CaseView:
        state = await send_update(
            self.client, self.pool, self.case_id, update, command, self.options(command), field_names=field_names
        )
        self.answered(state.version)
        return CaseView.of(state)

    async def send(self, endpoint: str, update: Any, command_type: type[Command], **fields: Any) -> CaseView:
        return await self.send_command(update, self.command(endpoint, command_type, **fields))


@dataclass(frozen=True)
class ApplicationCommandRequest(CommandRequest):
    application_id: uuid.UUID

    async def send_command(self, update: Any, command: Command) -> ApplicationView:
        state = await send_application_update(
            self.client, self.pool, self.application_id, update, command, self.options(command)
        )
        self.answered(state.version)
        return ApplicationView.of(state)

    async def send(self, endpoint: str, update: Any, command_type: type[Command], **fields: Any) -> ApplicationView:
        return await self.send_command(update, self.command(endpoint, command_type, **fields))


def command_context(
    request: Request,
    principal: PrincipalDep,
    client: TemporalDep,
    pool: PoolDep,
    settings: SettingsDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
    if_match: IfMatchHeader = None,
) -> CommandRequest:
    """What every command takes whatever its target: who acts, its key and precondition, and the app's means."""
    return CommandRequest(
        request=request,
        principal=principal,
        idempotency_key=idempotency_key or str(uuid.uuid4()),
        expected_version=expected_version_of(if_match),
        client=client,
        pool=pool,
        settings=settings,
        response=response,
    )


CommandContextDep = Annotated[CommandRequest, Depends(command_context)]


def _shared(context: CommandRequest) -> dict[str, Any]:
    return {field.name: getattr(context, field.name) for field in fields(CommandRequest)}


async def _case_in_scope(case_id: uuid.UUID, context: CommandRequest, *roles: Role) -> CaseCommandRequest:
    await visible_case(
        context.request,
        context.pool,
        context.principal,
        str(case_id),
        AccessAction.CHANGE,
        *roles,
        row_of=case_queries.get_case_scope,  # the answer is the Update's result: the whole state is not read here
    )
    return CaseCommandRequest(**_shared(context), case_id=case_id)


async def case_command_request(case_id: CaseIdPath, context: CommandContextDep) -> CaseCommandRequest:
    """A caseworker's command on a case of its municipality."""
    return await _case_in_scope(case_id, context, Role.CASEWORKER)


async def plan_command_request(case_id: CaseIdPath, context: CommandContextDep) -> CaseCommandRequest:
    """A command on the plan itself: the municipality's caseworker, or the hospital that sent it."""
    return await _case_in_scope(case_id, context, Role.CASEWORKER, Role.HOSPITAL)


async def application_command_request(
    application_id: ApplicationIdPath, context: CommandContextDep
) -> ApplicationCommandRequest:
    principal, target = context.principal, str(application_id)
    await visible_application(context.request, context.pool, principal, target, AccessAction.CHANGE)
    return ApplicationCommandRequest(**_shared(context), application_id=application_id)


CaseCommandDep = Annotated[CaseCommandRequest, Depends(case_command_request)]
PlanCommandDep = Annotated[CaseCommandRequest, Depends(plan_command_request)]
ApplicationCommandDep = Annotated[ApplicationCommandRequest, Depends(application_command_request)]
