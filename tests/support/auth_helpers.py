"""Tokens for the tests: one local issuer for the run, and an httpx auth that gives each request the token a
real caller in the right role and organisation would hold.

Tests that are about something else than access (the rulebook, idempotency, the store) keep calling the API as
before: `ScopedAuth` looks at each request and signs a token for the role that may make it, bound to the
organisation of the case, application, plan or register it addresses (looked up in the read model). An
`X-Actor: role:subject` header still names the subject, so the timeline shows the actor the test chose.
Tests about access send their own `Authorization` header, which `ScopedAuth` leaves alone.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import AsyncGenerator
from functools import cache
from pathlib import Path
from typing import Any

import httpx

from activities.platform.db import Pool
from activities.queries import applications as application_queries
from activities.queries import cases as case_queries
from api.auth.local_issuer import LocalIssuer
from api.auth.principal import Role

ISSUER_URL = "https://issuer.test.genoptraening.local"
AUDIENCE = "genoptraening-api"
DEFAULT_MUNICIPALITY = "101"
DEFAULT_SOR = "227871000016001"

_CASE = re.compile(r"^/cases/([0-9a-fA-F-]{36})(/|$)")
_APPLICATION = re.compile(r"^/applications/([0-9a-fA-F-]{36})(/|$)")
_REGISTER = re.compile(r"^/municipalities/(\d{3})(/|$)")


@cache
def test_issuer() -> LocalIssuer:
    """The run's issuer; its key lives in a temporary directory."""
    return LocalIssuer.create_or_load(Path(tempfile.mkdtemp(prefix="genop-auth-")), ISSUER_URL, AUDIENCE)


def auth_settings() -> dict[str, Any]:
    """Settings fields that make an app trust the run's issuer."""
    return test_issuer().settings_overrides()


def token(role: Role, **scope: Any) -> str:
    return test_issuer().issue(role, **scope)


def bearer(role: Role, **scope: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(role, **scope)}"}


class ScopedAuth(httpx.Auth):
    """Signs each request for the role and organisation that may make it (see the module's docstring)."""

    def __init__(self, pool: Pool | None) -> None:
        self._pool = pool

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if "authorization" not in request.headers:
            scope = await self._scope_for(request)
            if scope is not None:
                role, claims = scope
                actor = request.headers.get("x-actor", "")
                if ":" in actor:
                    claims["subject"] = actor.split(":", 1)[1]
                request.headers["Authorization"] = f"Bearer {token(role, **claims)}"
        yield request

    async def _scope_for(self, request: httpx.Request) -> tuple[Role, dict[str, Any]] | None:
        path, method = request.url.path, request.method
        if path.startswith(("/health", "/livez", "/readyz", "/docs", "/redoc", "/openapi", "/static-offline-docs")):
            return None
        if path.startswith("/codec"):
            return Role.OPS_DECRYPT, {}
        if path.startswith("/access-log"):
            return Role.AUDITOR, {"national": True}
        if path == "/plans":
            sor = _body(request).get("sending_hospital_sor_id", DEFAULT_SOR)
            return Role.HOSPITAL, {"sor": sor, "subject": sor}  # a hospital client named by its SOR id
        if path in ("/cases", "/applications"):
            if method == "POST":
                return Role.CASEWORKER, {"municipality": _body(request).get("municipality_code", DEFAULT_MUNICIPALITY)}
            municipality = request.url.params.get("municipality")
            return (Role.CASEWORKER, {"municipality": municipality}) if municipality else (Role.OPS, {})
        if found := _CASE.match(path):
            row = await case_queries.get_case(self._pool, found.group(1)) if self._pool else None
            code = (row or {}).get("responsible_municipality_code") or DEFAULT_MUNICIPALITY
            return Role.CASEWORKER, {"municipality": code}
        if found := _APPLICATION.match(path):
            row = await application_queries.get_application(self._pool, found.group(1)) if self._pool else None
            return Role.CASEWORKER, {"municipality": (row or {}).get("municipality_code") or DEFAULT_MUNICIPALITY}
        if found := _REGISTER.match(path):
            role = Role.CASEWORKER if method == "GET" else Role.MUNICIPAL_ADMIN
            return role, {"municipality": found.group(1)}
        return Role.OPS, {}


def _body(request: httpx.Request) -> dict[str, Any]:
    try:
        parsed = json.loads(request.content or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
