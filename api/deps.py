"""Dependencies of the routes: the pool, the Temporal client, the settings and the command headers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from temporalio.client import Client

from activities.platform.db import Pool
from api.settings import ApiSettings


def get_pool(request: Request) -> Pool:
    pool: Pool = request.app.state.pool
    return pool


def get_temporal(request: Request) -> Client:
    client: Client = request.app.state.temporal_client
    return client


def get_app_settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


PoolDep = Annotated[Pool, Depends(get_pool)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
SettingsDep = Annotated[ApiSettings, Depends(get_app_settings)]

# Header values are stored with every event: printable ASCII only, so no control character gets in.
_VISIBLE_ASCII = r"^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$"

CaseIdPath = Annotated[uuid.UUID, Path(description="The case's id (a UUID)")]
ApplicationIdPath = Annotated[uuid.UUID, Path(description="The application's id (a UUID)")]
IdempotencyKeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=150,
        pattern=_VISIBLE_ASCII,
        description="Send the same key again to repeat a request safely: the command is applied once and "
        "the repeat answers with its result. Scoped to the command (endpoint) and the case.",
        examples=["9f0c2a36-1b53-4c4f-8d1e-3e6f9b0b6a55"],
    ),
]
IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=40,
        # One ETag as this API gives it, or *; the quotes may be left out (a version is all an ETag holds here).
        pattern=r'^(\*|[0-9]{1,9}|"[0-9]{1,9}")$',
        description='The `ETag` of the version you decided on (`"7"`): the command is applied only if the case '
        "(or application) is still at that version, else **412** with `current_version`. `*` or no header: "
        "applied to the current state.",
        examples=['"7"'],
    ),
]


def expected_version_of(if_match: str | None) -> int | None:
    """The version an If-Match names (its form is checked by the header's pattern); None for no header or `*`."""
    if if_match is None or if_match == "*":
        return None
    return int(if_match.strip('"'))
