"""The codec endpoint for the Temporal UI: protocol, an ops_decrypt token for both routes, an access-log row for
every decode, CORS for the UI's origin only (with credentials), and its errors. Which rows a page's many decodes
write, and with which municipality: tests/api/codec/test_access_log.py."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

import httpx
import psycopg
import pytest
from temporalio.api.common.v1 import Payload

from activities.access_log import records as access_log
from activities.access_log.records import AccessLogRow
from activities.platform.db import Pool
from activities.runtime.temporal_connection import payload_codec_for
from activities.sealing.payload_codec import KEY_ID_KEY, EncryptionCodec
from api.auth.local_issuer import LocalIssuer
from api.auth.principal import Role
from api.main import create_app
from api.settings import ApiSettings
from tests.api.auth.test_support import forge
from tests.support.api_helpers import PROBLEM_JSON
from tests.support.auth_helpers import AUDIENCE, ISSUER_URL, auth_settings, bearer, token
from tests.support.encryption_helpers import CURRENT_KEY, OLD_KEY, encrypting_settings
from tests.support.factories import SYNTHETIC_CPR, make_plan

UI = "http://127.0.0.1:8233"
SETTINGS = encrypting_settings(CURRENT_KEY, OLD_KEY, **auth_settings())
PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
}


@asynccontextmanager
async def codec_api(
    settings: ApiSettings, pool: Pool | None = None, client: tuple[str, int] = ("127.0.0.1", 123)
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings=settings, pool=pool)  # no Temporal client: the codec needs none
    transport = httpx.ASGITransport(app=app, client=client)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


def to_json(payloads: list[Payload]) -> dict[str, Any]:
    """Payloads as the UI sends them: protobuf JSON, bytes in base64."""
    return {
        "payloads": [
            {
                "metadata": {key: base64.b64encode(value).decode() for key, value in payload.metadata.items()},
                "data": base64.b64encode(payload.data).decode(),
            }
            for payload in payloads
        ]
    }


def from_json(body: dict[str, Any]) -> list[Payload]:
    return [
        Payload(
            metadata={key: base64.b64decode(value) for key, value in item.get("metadata", {}).items()},
            data=base64.b64decode(item.get("data", "")),
        )
        for item in body["payloads"]
    ]


def plan_payload() -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=make_plan().model_dump_json().encode())


def codec() -> EncryptionCodec:
    made = payload_codec_for(SETTINGS)
    assert made is not None
    return made


def operator() -> tuple[str, dict[str, str]]:
    """A subject of its own (to find its log rows) and its ops_decrypt token."""
    subject = f"ops-{uuid.uuid4()}"
    return subject, bearer(Role.OPS_DECRYPT, subject=subject, name="Ole Operatør")


async def rows_of(pool: Pool, user_id: str) -> list[AccessLogRow]:
    rows, _ = await access_log.search(pool, user_id=user_id)
    return rows


class BrokenPool:
    """A pool whose database is gone: every connection fails."""

    def connection(self) -> Any:
        raise psycopg.OperationalError("connection refused")


# --- decode and encode with an ops_decrypt token ---


async def test_decode_answers_what_the_codec_encoded_and_logs_it(pool: Pool) -> None:
    plain = plan_payload()
    encrypted = await codec().encode([plain])
    subject, headers = operator()
    correlation = f"corr-{uuid.uuid4()}"
    async with codec_api(SETTINGS, pool) as http:
        response = await http.post(
            "/codec/decode",
            json=to_json([*encrypted, plain]),
            headers={**headers, "X-Namespace": "default", "Origin": UI, "X-Correlation-Id": correlation},
        )
    assert response.status_code == 200, response.text
    assert from_json(response.json()) == [plain, plain]  # the unencrypted one passes unchanged
    assert SYNTHETIC_CPR in base64.b64decode(response.json()["payloads"][0]["data"]).decode()
    assert response.headers["access-control-allow-origin"] == UI
    assert response.headers["access-control-allow-credentials"] == "true"

    [row] = await rows_of(pool, subject)
    assert (row.action, row.purpose, row.outcome) == ("decode", "teknisk bistand", "allowed")
    assert (row.user_role, row.user_name) == ("ops_decrypt", "Ole Operatør")
    assert row.source_address == "127.0.0.1"
    assert row.correlation_id == correlation
    assert row.search_criterion == {"payloads": 2, "encrypted_payloads": 1, "citizens": 1}
    assert row.citizen_cpr == SYNTHETIC_CPR  # the decode is in that citizen's extract


async def test_encode_encrypts_with_the_current_key_and_is_not_logged(pool: Pool) -> None:
    plain = plan_payload()
    subject, headers = operator()
    async with codec_api(SETTINGS, pool) as http:
        response = await http.post("/codec/encode", json=to_json([plain]), headers=headers)
    assert response.status_code == 200, response.text
    [encrypted] = from_json(response.json())
    assert encrypted.metadata[KEY_ID_KEY] == b"test-current"
    assert SYNTHETIC_CPR.encode() not in encrypted.data
    assert await codec().decode([encrypted]) == [plain]
    assert await rows_of(pool, subject) == []  # encoding shows nobody anything


# --- who may call ---


def _expired() -> str:
    return token(Role.OPS_DECRYPT, extra_claims={"exp": int(time.time()) - 120})


def _forged(tmp_path: Path) -> str:
    stranger = LocalIssuer.create_or_load(tmp_path / "stranger", ISSUER_URL, AUDIENCE)
    return stranger.issue(Role.OPS_DECRYPT)  # right claims, wrong key


@pytest.mark.parametrize("route", ["/codec/decode", "/codec/encode"])
@pytest.mark.parametrize("kind", ["none", "expired", "forged", "alg-none", "basic"])
async def test_without_a_valid_token_it_is_401(pool: Pool, tmp_path: Path, route: str, kind: str) -> None:
    encrypted = await codec().encode([plan_payload()])
    headers = {
        "none": {},
        "expired": {"Authorization": f"Bearer {_expired()}"},
        "forged": {"Authorization": f"Bearer {_forged(tmp_path)}"},
        "alg-none": {"Authorization": f"Bearer {forge({'alg': 'none'}, {'sub': 'x', 'roles': ['ops_decrypt']})}"},
        "basic": {"Authorization": "Basic dXNlcjpwYXNz"},
    }[kind]
    async with codec_api(SETTINGS, pool) as http:
        response = await http.post(route, json=to_json(encrypted), headers={**headers, "Origin": UI})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["www-authenticate"].startswith('Bearer realm="genoptraening"')
    assert SYNTHETIC_CPR not in response.text
    # The UI can read the 401 (and ask the user to sign in again): CORS headers are on errors too.
    assert response.headers["access-control-allow-origin"] == UI


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.OPS, Role.AUDITOR])
async def test_another_role_is_403_and_a_refused_decode_is_logged(pool: Pool, role: Role) -> None:
    encrypted = await codec().encode([plan_payload()])
    subject = f"{role.value}-{uuid.uuid4()}"
    headers = bearer(role, subject=subject, municipality="101")
    async with codec_api(SETTINGS, pool) as http:
        decode = await http.post("/codec/decode", json=to_json(encrypted), headers=headers)
        encode = await http.post("/codec/encode", json=to_json([plan_payload()]), headers=headers)
    for response in (decode, encode):
        assert response.status_code == 403, response.text
        assert response.json()["type"] == "urn:genoptraening:problem:forbidden"
        assert SYNTHETIC_CPR not in response.text
    [row] = await rows_of(pool, subject)
    assert (row.action, row.purpose, row.outcome, row.user_role) == ("decode", "teknisk bistand", "denied", role)
    assert row.citizen_cpr is None


# --- no unlogged decode ---


async def test_without_an_access_log_nothing_is_decoded() -> None:
    encrypted = await codec().encode([plan_payload()])
    async with codec_api(SETTINGS, pool=None) as http:  # an app without a database
        response = await http.post("/codec/decode", json=to_json(encrypted), headers=operator()[1])
    assert response.status_code == 503
    assert response.json()["type"] == "urn:genoptraening:problem:access-log-unavailable"
    assert "retry-after" in response.headers
    assert SYNTHETIC_CPR not in response.text


async def test_a_log_row_that_cannot_be_written_refuses_the_decode() -> None:
    encrypted = await codec().encode([plan_payload()])
    async with codec_api(SETTINGS, pool=cast(Pool, BrokenPool())) as http:
        response = await http.post("/codec/decode", json=to_json(encrypted), headers=operator()[1])
        encode = await http.post("/codec/encode", json=to_json([plan_payload()]), headers=operator()[1])
    assert response.status_code == 503
    assert response.json()["type"] == "urn:genoptraening:problem:access-log-unavailable"
    assert SYNTHETIC_CPR not in response.text and "connection refused" not in response.text
    assert encode.status_code == 200  # encoding needs no log


# --- CORS ---


async def test_the_browser_preflight_is_answered_for_the_ui_origin_only() -> None:
    async with codec_api(SETTINGS) as http:
        allowed = await http.options("/codec/decode", headers={"Origin": UI, **PREFLIGHT})  # no token
        other = await http.options("/codec/decode", headers={"Origin": "https://evil.example", **PREFLIGHT})
        elsewhere = await http.options("/plans", headers={"Origin": UI, **PREFLIGHT})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI
    assert allowed.headers["access-control-allow-credentials"] == "true"
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert {"authorization", "content-type", "x-namespace"} <= {
        header.strip().lower() for header in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert "*" not in allowed.headers["access-control-allow-origin"]
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in elsewhere.headers  # the rest of the API stays closed to the UI


async def test_another_origin_gets_no_cors_headers_on_a_post(pool: Pool) -> None:
    encrypted = await codec().encode([plan_payload()])
    async with codec_api(SETTINGS, pool) as http:
        response = await http.post(
            "/codec/decode", json=to_json(encrypted), headers={**operator()[1], "Origin": "https://evil.example"}
        )
    # The server answers (CORS is the browser's check), but no browser script of that origin may read it.
    assert "access-control-allow-origin" not in response.headers


async def test_the_ui_origin_is_a_setting() -> None:
    settings = encrypting_settings(temporal_ui_origin="https://temporal.example.dk, http://localhost:8233/")
    assert settings.temporal_ui_origins == ["https://temporal.example.dk", "http://localhost:8233"]
    async with codec_api(settings) as http:
        response = await http.options(
            "/codec/encode",
            headers={"Origin": "https://temporal.example.dk", "Access-Control-Request-Method": "POST"},
        )
    assert response.headers["access-control-allow-origin"] == "https://temporal.example.dk"
    assert response.headers["access-control-allow-credentials"] == "true"


@pytest.mark.parametrize("origin", ["*", "https://*.example.dk/x", "temporal.example.dk"])
def test_a_wildcard_or_malformed_origin_is_refused(origin: str) -> None:
    with pytest.raises(ValueError, match="TEMPORAL_UI_ORIGIN"):
        encrypting_settings(temporal_ui_origin=origin)


# --- errors ---


async def test_a_payload_under_an_unknown_key_is_a_problem_and_a_failed_decode(pool: Pool) -> None:
    stranger = payload_codec_for(encrypting_settings("someone-else:" + base64.b64encode(bytes(range(32))).decode()))
    assert stranger is not None
    encrypted = await stranger.encode([plan_payload()])
    subject, headers = operator()
    async with codec_api(SETTINGS, pool) as http:
        response = await http.post("/codec/decode", json=to_json(encrypted), headers=headers)
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "key id 'someone-else'" in response.json()["detail"]
    assert [error["field"] for error in response.json()["errors"]] == ["payloads"]
    [row] = await rows_of(pool, subject)
    assert (row.outcome, row.search_criterion) == ("failed", {"payloads": 1, "encrypted_payloads": 1, "citizens": 0})


async def test_malformed_payloads_are_a_validation_problem(pool: Pool) -> None:
    async with codec_api(SETTINGS, pool) as http:
        response = await http.post(
            "/codec/decode",
            json={"payloads": [{"metadata": {}, "data": "not base64!"}]},
            headers=operator()[1],
        )
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "payloads.0.data"


async def test_without_keys_there_is_no_codec() -> None:
    async with codec_api(ApiSettings(**auth_settings())) as http:
        response = await http.post("/codec/decode", json=to_json([plan_payload()]), headers=operator()[1])
        anonymous = await http.post("/codec/decode", json=to_json([plan_payload()]))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "PAYLOAD_ENCRYPTION_KEYS" in response.json()["detail"]
    assert anonymous.status_code == 401  # the token is checked first: an anonymous caller learns nothing


async def test_the_openapi_document_declares_the_token() -> None:
    async with codec_api(SETTINGS) as http:
        document = (await http.get("/openapi.json")).json()
    for route in ("/codec/decode", "/codec/encode"):
        operation = document["paths"][route]["post"]
        assert operation["security"] == [{"bearer": []}]
        assert {"401", "403"} <= set(operation["responses"])
