"""The HTTP contract every operation shares: body size and media type, 400/405 problems, operation ids,
tags, and documentation pages that work offline.

None of these answers reaches PostgreSQL or Temporal, so the app runs without either.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI

from api.main import create_app
from tests.support.api_helpers import PROBLEM_JSON, api_client, settings_for

LIMIT = 1024
PROBLEM = "urn:genoptraening:problem:"


@pytest.fixture(scope="module")
def app() -> FastAPI:
    return create_app(pool=None, temporal_client=None, settings=settings_for("unused", max_body_bytes=LIMIT))


@pytest_asyncio.fixture(loop_scope="session")
async def http(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app, None) as client:
        yield client


async def call(
    app: FastAPI, headers: list[tuple[bytes, bytes]], chunks: list[bytes]
) -> tuple[list[dict[str, Any]], int]:
    """POST /plans straight over ASGI; the messages sent back and how many body chunks the app read."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/plans",
        "raw_path": b"/plans",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read == len(chunks):
            return {"type": "http.disconnect"}
        read += 1
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent, read


def answer(sent: list[dict[str, Any]]) -> tuple[int, dict[str, str]]:
    start = sent[0]
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}


async def test_a_body_announced_too_large_is_413_before_a_byte_is_read(app: FastAPI) -> None:
    sent, read = await call(app, [(b"content-length", b"104857600")], [b"x" * 65536] * 8)
    status, headers = answer(sent)
    assert (status, headers["content-type"], read) == (413, PROBLEM_JSON, 0)
    assert f'"type":"{PROBLEM}content-too-large"'.encode() in sent[1]["body"]


async def test_a_chunked_body_is_cut_off_at_the_limit(app: FastAPI) -> None:
    # No Content-Length: the size shows only while reading, which stops at the first chunk past the limit.
    sent, read = await call(app, [(b"transfer-encoding", b"chunked")], [b"[" + b" " * 511] * 100)
    status, headers = answer(sent)
    assert (status, headers["content-type"]) == (413, PROBLEM_JSON)
    assert read == LIMIT // 512 + 1
    assert len([m for m in sent if m["type"] == "http.response.start"]) == 1  # only the 413, not FastAPI's 400


async def test_a_route_may_take_a_larger_body_than_the_default() -> None:
    async def bulk(body: dict[str, str]) -> int:
        return len(body["text"])

    app = create_app(pool=None, temporal_client=None, settings=settings_for("unused", max_body_bytes=LIMIT))
    app.add_api_route("/test-bulk", bulk, methods=["POST"], max_body_size=4 * LIMIT)
    async with api_client(app, None) as http:
        taken = await http.post("/test-bulk", json={"text": "x" * (2 * LIMIT)})
        refused = await http.post("/test-bulk", json={"text": "x" * (5 * LIMIT)})
    assert (taken.status_code, taken.json()) == (200, 2 * LIMIT)
    assert (
        refused.status_code == 413 and refused.json()["detail"] == f"The request body is larger than {4 * LIMIT} bytes"
    )


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded", None])
async def test_a_body_that_is_not_json_is_415(http: httpx.AsyncClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await http.post("/plans", content=b'{"plan_id": "p-1"}', headers=headers)
    assert response.status_code == 415 and response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == f"{PROBLEM}unsupported-media-type"
    assert response.headers["accept-post"] == "application/json"
    assert "p-1" not in response.text


async def test_json_media_types_and_an_empty_body_pass_to_validation(http: httpx.AsyncClient) -> None:
    structured = await http.post("/plans", content=b"[]", headers={"content-type": "application/vnd.gop+json"})
    no_body = await http.post("/plans")
    assert structured.status_code == no_body.status_code == 422


async def test_a_body_that_does_not_parse_is_the_documented_400(http: httpx.AsyncClient) -> None:
    for content in (b'{"plan_id": ', b"\xff\xfe{}"):  # bad syntax; bytes that are not UTF-8 at all
        response = await http.post("/plans", content=content, headers={"content-type": "application/json"})
        assert response.status_code == 400 and response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["type"] == f"{PROBLEM}malformed-json"


async def test_405_allows_every_method_of_the_path(http: httpx.AsyncClient) -> None:
    response = await http.delete("/municipalities/101")
    assert response.status_code == 405 and response.headers["content-type"] == PROBLEM_JSON
    assert response.headers["allow"] == "GET, PUT"
    assert (await http.post("/cases")).headers["allow"] == "GET"


async def test_openapi_documents_the_contract_ids_and_tags(http: httpx.AsyncClient) -> None:
    schema = (await http.get("/openapi.json")).json()
    operations = [(path, op) for path, item in schema["paths"].items() for op in item.values()]
    ids = [op["operationId"] for _, op in operations]
    assert len(ids) == len(set(ids)) and all(re.fullmatch(r"[a-z][A-Za-z0-9]+", i) for i in ids)
    assert {"receivePlan", "classifyCase", "getCase", "listCases", "getCaseTimeline"} <= set(ids)
    assert {tag for _, op in operations for tag in op["tags"]} <= {tag["name"] for tag in schema["tags"]}
    problem = {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    with_body = [op for _, op in operations if "requestBody" in op]
    assert len(with_body) > 30
    for op in with_body:
        assert all(op["responses"][s]["content"] == problem for s in ("400", "413", "415")), op["operationId"]
    for path, op in operations:
        # Encode reveals nothing and reaches nothing; decode must write its access-log row or refuse (503).
        # Liveness reaches nothing by design; /metrics answers its last read-model values (and up=0) instead.
        assert ("503" in op["responses"]) is (path not in {"/codec/encode", "/livez", "/metrics"}), op["operationId"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
async def test_docs_pages_load_everything_from_the_service(http: httpx.AsyncClient, page: str) -> None:
    html = await http.get(page)
    assert html.status_code == 200
    assert "://" not in html.text  # no CDN, no font service: the page works without internet
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html.text)
    assert any(a.endswith(".js") for a in assets)
    kinds = {".js": "javascript", ".css": "text/css", ".png": "image/png"}
    for asset in assets:
        response = await http.get(asset)
        assert response.status_code == 200 and response.content, asset
        expected = next(kind for suffix, kind in kinds.items() if asset.endswith(suffix))
        assert expected in response.headers["content-type"], asset
