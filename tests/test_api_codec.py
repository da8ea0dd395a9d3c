"""The codec endpoint for the Temporal UI: protocol, CORS for the UI's origin only, and its errors."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from temporalio.api.common.v1 import Payload

from activities.payload_codec import KEY_ID_KEY, EncryptionCodec
from activities.settings import Settings
from activities.temporal_connection import payload_codec_for
from api.main import create_app
from tests.api_helpers import PROBLEM_JSON
from tests.encryption_helpers import CURRENT_KEY, OLD_KEY, encrypting_settings
from tests.factories import SYNTHETIC_CPR, make_plan

UI = "http://127.0.0.1:8233"
SETTINGS = encrypting_settings(CURRENT_KEY, OLD_KEY)


@asynccontextmanager
async def codec_api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings=settings)  # no pool or Temporal client: the codec needs neither
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
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


async def test_decode_answers_what_the_codec_encoded() -> None:
    plain = plan_payload()
    encrypted = await codec().encode([plain])
    async with codec_api(SETTINGS) as http:
        response = await http.post(
            "/codec/decode", json=to_json([*encrypted, plain]), headers={"X-Namespace": "default", "Origin": UI}
        )
    assert response.status_code == 200, response.text
    assert from_json(response.json()) == [plain, plain]  # the unencrypted one passes unchanged
    assert SYNTHETIC_CPR in base64.b64decode(response.json()["payloads"][0]["data"]).decode()
    assert response.headers["access-control-allow-origin"] == UI


async def test_encode_encrypts_with_the_current_key() -> None:
    plain = plan_payload()
    async with codec_api(SETTINGS) as http:
        response = await http.post("/codec/encode", json=to_json([plain]))
    assert response.status_code == 200, response.text
    [encrypted] = from_json(response.json())
    assert encrypted.metadata[KEY_ID_KEY] == b"test-current"
    assert SYNTHETIC_CPR.encode() not in encrypted.data
    assert await codec().decode([encrypted]) == [plain]


async def test_the_browser_preflight_is_answered_for_the_ui_origin_only() -> None:
    preflight = {
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-namespace",
    }
    async with codec_api(SETTINGS) as http:
        allowed = await http.options("/codec/decode", headers={"Origin": UI, **preflight})
        other = await http.options("/codec/decode", headers={"Origin": "https://evil.example", **preflight})
        elsewhere = await http.options("/plans", headers={"Origin": UI, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert {"authorization", "content-type", "x-namespace"} <= {
        header.strip().lower() for header in allowed.headers["access-control-allow-headers"].split(",")
    }
    assert "access-control-allow-origin" not in other.headers
    assert "access-control-allow-origin" not in elsewhere.headers  # the rest of the API stays closed to the UI


async def test_the_ui_origin_is_a_setting() -> None:
    settings = encrypting_settings(temporal_ui_origin="https://temporal.example.dk, http://localhost:8233/")
    assert settings.temporal_ui_origins == ["https://temporal.example.dk", "http://localhost:8233"]
    async with codec_api(settings) as http:
        response = await http.options(
            "/codec/encode",
            headers={"Origin": "https://temporal.example.dk", "Access-Control-Request-Method": "POST"},
        )
    assert response.headers["access-control-allow-origin"] == "https://temporal.example.dk"


async def test_a_payload_under_an_unknown_key_is_a_problem() -> None:
    stranger = payload_codec_for(encrypting_settings("someone-else:" + base64.b64encode(bytes(range(32))).decode()))
    assert stranger is not None
    encrypted = await stranger.encode([plan_payload()])
    async with codec_api(SETTINGS) as http:
        response = await http.post("/codec/decode", json=to_json(encrypted))
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "key id 'someone-else'" in response.json()["detail"]


async def test_malformed_payloads_are_a_validation_problem() -> None:
    async with codec_api(SETTINGS) as http:
        response = await http.post("/codec/decode", json={"payloads": [{"metadata": {}, "data": "not base64!"}]})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "payloads.0"


async def test_without_keys_there_is_no_codec() -> None:
    async with codec_api(Settings()) as http:
        response = await http.post("/codec/decode", json=to_json([plan_payload()]))
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert "PAYLOAD_ENCRYPTION_KEYS" in response.json()["detail"]
