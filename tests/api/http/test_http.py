"""The API as an HTTP server: a real uvicorn with the production lifespan, problem responses, health, docs."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
import uvicorn
from psycopg_pool import AsyncConnectionPool
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from api.main import create_app
from tests.support.api_helpers import PROBLEM_JSON, Api, fresh_plan, running_api, wait_for_case
from tests.support.auth_helpers import ScopedAuth
from tests.support.factories import SYNTHETIC_CPR


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def api(dev_server_env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    async with running_api(dev_server_env, pool) as running:
        yield running


async def test_real_http_server_with_its_own_pool_and_client(
    api: Api, database_url: str, dev_server_env: WorkflowEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    # No pool or client injected: the lifespan opens both from the settings, as in production.
    settings = api.settings.model_copy(
        update={
            "database_url": database_url,
            "temporal_address": dev_server_env.client.service_client.config.target_host,
        }
    )
    app = create_app(settings=settings)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="on", log_level="info", log_config=None))
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        for _ in range(200):
            if server.started or serving.done():
                break
            await asyncio.sleep(0.05)
        assert server.started, "uvicorn did not start"
        with caplog.at_level(logging.DEBUG):
            async with httpx.AsyncClient(
                base_url=f"http://127.0.0.1:{port}", timeout=10, auth=ScopedAuth(api.pool)
            ) as http:
                assert (await http.get("/health")).json() == {
                    "status": "ok",
                    "postgres": "ok",
                    "temporal": "ok",
                    "issuer_keys": "ok",
                }
                created = await http.post("/plans", json=fresh_plan())
                assert created.status_code == 201, created.text
                case_id = created.json()["case_id"]
                assert created.headers["location"] == f"/cases/{case_id}"
                case = await wait_for_case(http, case_id, status="distributed")
                assert case["plan"]["patient"]["cpr"] == SYNTHETIC_CPR  # the caller may see it
                missing = await http.get("/no/such/route")
                assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM_JSON
        assert "POST /plans" in caplog.text  # uvicorn's access log was captured ...
        assert SYNTHETIC_CPR not in caplog.text  # ... and no CPR number reached any log
    finally:
        server.should_exit = True
        await asyncio.wait_for(serving, timeout=10)
        listener.close()


async def test_malformed_json_is_a_problem(api: Api) -> None:
    response = await api.http.post("/plans", content=b'{"plan_id": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["title"] == "Malformed JSON"
    wrong_type = await api.http.post("/plans", json=["not", "an", "object"])
    assert wrong_type.status_code == 422 and wrong_type.headers["content-type"] == PROBLEM_JSON


async def test_unknown_route_and_method_are_problems(api: Api) -> None:
    missing = await api.http.get("/nothing-here")
    assert missing.status_code == 404
    problem = missing.json()
    assert problem.pop("correlation_id") == missing.headers["X-Correlation-Id"]  # the trace id (docs/observability.md)
    assert problem == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": "No resource at /nothing-here",
        "instance": "/nothing-here",
    }
    wrong_method = await api.http.delete("/plans")
    assert wrong_method.status_code == 405 and wrong_method.headers["content-type"] == PROBLEM_JSON
    assert wrong_method.headers["allow"] == "POST"


async def test_unexpected_error_is_a_500_problem_without_internals(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(pool=api.pool, temporal_client=api.env.client, settings=api.settings)

    async def boom() -> None:
        raise RuntimeError(f"internal detail {SYNTHETIC_CPR}")

    app.add_api_route("/boom", boom)
    with caplog.at_level(logging.INFO):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            response = await http.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("internal-error")
    assert "internal detail" not in response.text
    assert "RuntimeError" in caplog.text and SYNTHETIC_CPR not in caplog.text


async def test_health(api: Api) -> None:
    healthy = await api.http.get("/health")
    assert healthy.status_code == 200 and healthy.json()["status"] == "ok"

    never_opened: Pool = AsyncConnectionPool("dbname=nowhere", open=False)
    unreachable = await Client.connect("127.0.0.1:1", lazy=True, data_converter=pydantic_data_converter)
    app = create_app(pool=never_opened, temporal_client=unreachable, settings=api.settings)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        response = await http.get("/health")
    assert response.status_code == 503
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["detail"] == "Not reachable: PostgreSQL, Temporal"


async def test_openapi_documents_problems_and_examples(api: Api) -> None:
    schema = (await api.http.get("/openapi.json")).json()
    # Every group an operation names is declared with a description for the docs' sidebar, and none is unused.
    declared = {tag["name"]: tag.get("description") for tag in schema["tags"]}
    used = {tag for operations in schema["paths"].values() for op in operations.values() for tag in op["tags"]}
    assert set(declared) == used
    assert all(declared.values()), [name for name, description in declared.items() if not description]
    assert {"plans", "medcom", "cases", "commands", "applications", "reports", "access-log", "health"} <= used
    post_plans = schema["paths"]["/plans"]["post"]
    assert set(post_plans["responses"]) >= {"200", "201", "400", "409", "422"}
    assert post_plans["responses"]["409"]["content"] == {
        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
    }
    examples = post_plans["requestBody"]["content"]["application/json"]["examples"]
    assert examples["almen"]["value"]["level"] == "almen"
    classify = schema["paths"]["/cases/{case_id}/classification"]["post"]
    assert {p["name"] for p in classify["parameters"]} == {"case_id", "Idempotency-Key", "If-Match"}
    assert classify["security"] == [{"bearer": []}]
    assert "HTTPValidationError" not in schema["components"]["schemas"]
    docs = await api.http.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
