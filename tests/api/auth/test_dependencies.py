"""PrincipalDep on a minimal app: 401 problem+json with an RFC 6750 challenge, 200 for a good token."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.auth.dependencies import PrincipalDep
from api.auth.local_issuer import LocalIssuer
from api.auth.principal import Role
from api.http.problems import PROBLEM_JSON, install_problem_handlers
from tests.api.auth.test_support import forge, local_settings, make_issuer


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return make_issuer(tmp_path)


def open_client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


@pytest.fixture
async def client(issuer: LocalIssuer) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = local_settings(issuer)

    @app.get("/whoami")
    def whoami(principal: PrincipalDep) -> dict[str, object]:
        return {"actor": principal.actor, "municipality": principal.municipality_code}

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    async with open_client(app) as http:
        yield http


async def assert_unauthenticated(client: httpx.AsyncClient, headers: dict[str, str], reason: str) -> None:
    response = await client.get("/whoami", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == PROBLEM_JSON
    body = response.json()
    assert body["type"] == "urn:genoptraening:problem:unauthenticated"
    assert body["detail"].endswith(f"({reason})")
    challenge = response.headers["www-authenticate"]
    if reason == "missing":
        assert challenge == 'Bearer realm="genoptraening"'
    else:
        assert challenge.startswith('Bearer realm="genoptraening", error="invalid_token", error_description="')
    token = headers.get("Authorization", "").partition(" ")[2]
    if token:
        assert token not in response.text and token not in challenge


async def test_a_good_token(client: httpx.AsyncClient, issuer: LocalIssuer) -> None:
    token = issuer.issue(Role.CASEWORKER, subject="cw-1", municipality="101")
    for scheme in ("Bearer", "bearer", "BEARER"):
        response = await client.get("/whoami", headers={"Authorization": f"{scheme} {token}"})
        assert response.status_code == 200
        assert response.json() == {"actor": "caseworker:cw-1", "municipality": "101"}


async def test_missing_or_another_scheme(client: httpx.AsyncClient) -> None:
    await assert_unauthenticated(client, {}, "missing")
    await assert_unauthenticated(client, {"Authorization": "Basic dXNlcjpwYXNz"}, "missing")
    await assert_unauthenticated(client, {"Authorization": "Bearer"}, "malformed")
    assert (await client.get("/health")).status_code == 200


async def test_expired_and_forged(client: httpx.AsyncClient, issuer: LocalIssuer, tmp_path: Path) -> None:
    expired = issuer.issue(Role.OPS, extra_claims={"exp": int(time.time()) - 120})
    await assert_unauthenticated(client, {"Authorization": f"Bearer {expired}"}, "expired")
    stranger = LocalIssuer.create_or_load(tmp_path / "stranger", issuer.issuer, issuer.audience)
    await assert_unauthenticated(client, {"Authorization": f"Bearer {stranger.issue(Role.OPS)}"}, "bad_signature")
    none = forge({"alg": "none"}, {"sub": "x", "roles": ["ops_decrypt"]})
    await assert_unauthenticated(client, {"Authorization": f"Bearer {none}"}, "wrong_algorithm")
    other_audience = issuer.issue(Role.OPS, extra_claims={"aud": "someone-else"})
    await assert_unauthenticated(client, {"Authorization": f"Bearer {other_audience}"}, "wrong_audience")


async def test_the_openapi_document_declares_the_bearer_scheme(client: httpx.AsyncClient) -> None:
    document = (await client.get("/openapi.json")).json()
    assert document["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A JWT from the configured issuer (locally: .data/dev-tokens.json)",
    }
    assert document["paths"]["/whoami"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in document["paths"]["/health"]["get"]


async def test_unreachable_jwks_is_a_503(issuer: LocalIssuer) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    # Nothing listens on port 9 of the loopback: the fetch fails at once, and no key was ever fetched.
    app.state.settings = local_settings(
        issuer, auth_public_key_file=None, auth_jwks_url="http://127.0.0.1:9/jwks", auth_jwks_timeout_seconds=1
    )

    @app.get("/whoami")
    def whoami(principal: PrincipalDep) -> str:
        return principal.subject

    async with open_client(app) as http:
        response = await http.get("/whoami", headers={"Authorization": f"Bearer {issuer.issue(Role.OPS)}"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"] == "urn:genoptraening:problem:authentication-unavailable"


async def test_the_verifier_is_made_once_and_kept_on_the_app(issuer: LocalIssuer) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.settings = local_settings(issuer)

    @app.get("/whoami")
    def whoami(principal: PrincipalDep) -> str:
        return principal.subject

    assert getattr(app.state, "token_verifier", None) is None
    async with open_client(app) as http:
        headers = {"Authorization": f"Bearer {issuer.issue(Role.OPS)}"}
        assert (await http.get("/whoami", headers=headers)).status_code == 200
        first = app.state.token_verifier
        assert (await http.get("/whoami", headers=headers)).status_code == 200
    assert app.state.token_verifier is first and first.settings is app.state.settings
