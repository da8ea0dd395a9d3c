"""Metrics, traces and correlation ids over one case run through the API and a worker in this process.

The worker's client carries the SDK's tracing plugin, as `connect_temporal` gives it in production; the API
instruments itself (`api.http.observability`). Traces are not exported in tests, so each request's trace is sampled
out but still has its id, which must come back in `X-Correlation-Id`, in problem answers, and in the worker's
log lines of the append the command caused. A request that arrives with a sampled W3C `traceparent` is recorded:
its spans show the one trace from HTTP through the Update and the activity into PostgreSQL.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client.parser import text_string_to_metric_families
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.platform.logging_setup import TraceContext
from activities.platform.tracing import temporal_tracing_plugin
from tests.support.api_helpers import (
    Api,
    command,
    fresh_plan,
    post_plan,
    register_provider,
    running_api,
    unused_municipality,
    wait_for_case,
)

CPR, NAME = "1207928834", "Zyxqvine Plumbeck-Østergaard"
HEX32 = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class TracedEnv:
    """The test environment with a client that carries the tracing plugin (the production client does)."""

    client: Client


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.addFilter(TraceContext("test"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def with_trace(self, trace_id: str) -> list[logging.LogRecord]:
        return [r for r in self.records if getattr(r, "trace_id", "") == trace_id]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    handler, root = Lines(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # as the processes log (LOG_LEVEL), whatever an earlier test left
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@asynccontextmanager
async def traced_api(env: WorkflowEnvironment, pool: Pool) -> AsyncIterator[Api]:
    config = env.client.config()
    client = Client(**{**config, "plugins": [temporal_tracing_plugin()]})  # type: ignore[arg-type]
    async with running_api(cast(WorkflowEnvironment, TracedEnv(client)), pool) as api:
        yield api


async def a_distributed_case(api: Api) -> tuple[str, str]:
    municipality = await unused_municipality(api.pool)
    plan = fresh_plan(home_municipality_code=municipality)
    plan["patient"] = {"cpr": CPR, "name": NAME}
    created = await post_plan(api.http, plan)
    assert created.status_code == 201, created.text
    case_id: str = created.json()["case_id"]
    await wait_for_case(api.http, case_id, status="distributed")
    return municipality, case_id


async def test_the_trace_id_of_an_answer_is_in_the_worker_log_lines_of_the_append_it_caused(
    dev_server_env: WorkflowEnvironment, pool: Pool, log_lines: Lines
) -> None:
    async with traced_api(dev_server_env, pool) as api:
        _, case_id = await a_distributed_case(api)
        classified = await command(api.http, case_id, "classification", {"sub_level": "basal"})
        assert classified.status_code == 200, classified.text
        trace_id = classified.headers["X-Correlation-Id"]
        assert HEX32.match(trace_id)

        # The append activity's line in the worker (activities/store/eventstore.py), under the request's trace id.
        appended = [r for r in log_lines.with_trace(trace_id) if r.name == "activities.store.eventstore"]
        assert len(appended) == 1 and case_id in appended[0].getMessage(), [r.getMessage() for r in appended]
        assert appended[0].__dict__["span_id"] != ""

        refused = await command(api.http, case_id, "completion", {})  # not allowed before training started
        assert refused.status_code == 409
        problem = refused.json()
        assert problem["correlation_id"] == refused.headers["X-Correlation-Id"] != trace_id
        assert HEX32.match(problem["correlation_id"])


async def test_a_sampled_request_is_one_trace_from_http_through_the_update_and_activity_into_postgresql(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    exporter = InMemorySpanExporter()
    provider: Any = trace.get_tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    try:
        async with traced_api(dev_server_env, pool) as api:
            _, case_id = await a_distributed_case(api)
            traceparent = {"traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
            response = await api.http.post(
                f"/cases/{case_id}/classification", json={"sub_level": "basal"}, headers=traceparent
            )
            assert response.status_code == 200, response.text
            assert response.headers["X-Correlation-Id"] == trace_id
        spans = [s for s in exporter.get_finished_spans() if format(s.context.trace_id, "032x") == trace_id]
    finally:
        exporter.shutdown()
    names = {span.name for span in spans}
    assert any(name.startswith("POST /cases/{case_id}/classification") for name in names), names
    assert {"StartWorkflowUpdate:classify", "HandleUpdate:classify"} <= names or any(
        name.startswith("HandleUpdate:") for name in names
    ), names
    assert "RunActivity:append_case_events" in names, names
    database = [span for span in spans if (span.attributes or {}).get("db.system") == "postgresql"]
    assert database, names
    for span in spans:  # statement text only: no value of the plan's
        assert CPR not in repr(span.attributes) and "Plumbeck" not in repr(span.attributes)


async def test_metrics_after_a_case_name_routes_commands_appends_and_open_cases_but_no_case_or_person(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    async with running_api(dev_server_env, pool) as api:
        municipality, case_id = await a_distributed_case(api)
        provider_id = await register_provider(api.http, municipality)
        for name, body in [
            ("classification", {"sub_level": "basal"}),
            ("contact", {"channel": "phone", "informed_of_provider_choices": True}),
            ("provider", {"provider_id": provider_id}),
        ]:
            assert (await command(api.http, case_id, name, body)).status_code == 200
        assert (await command(api.http, case_id, "completion", {})).status_code == 409
        # No token: a scrape carries none.
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url="http://test") as anonymous:
            scraped = await anonymous.get("/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    samples = [s for family in text_string_to_metric_families(scraped.text) for s in family.samples]

    def value(name: str, **labels: str) -> float:
        return sum(s.value for s in samples if s.name == name and labels.items() <= s.labels.items())

    assert value("genoptraening_http_requests_total", route="/cases/{case_id}/classification", status="200") >= 1
    assert value("genoptraening_http_requests_total", route="/plans", method="POST", status="201") >= 1
    assert value("genoptraening_http_request_duration_seconds_count", route="/cases/{case_id}") >= 1
    assert (
        value("genoptraening_commands_total", aggregate="case", command="ClassifyAlmenLevel", outcome="accepted") >= 1
    )
    assert value("genoptraening_commands_total", aggregate="case", outcome="refused") >= 1
    assert value("genoptraening_event_appends_total", stream="case", outcome="appended") >= 4
    assert value("genoptraening_events_appended_total", stream="case") >= 4
    assert value("genoptraening_event_append_duration_seconds_count", stream="case") >= 4
    assert value("genoptraening_cases_open", municipality=municipality, status="provider_chosen") == 1
    assert value("genoptraening_cases_overdue", municipality=municipality) == 0
    assert value("genoptraening_read_model_metrics_up") == 1
    assert any(s.name == "genoptraening_outbox_messages" for s in samples)
    assert any(s.name.startswith("genoptraening_start_guarantee_breaches") for s in samples) or (
        "genoptraening_start_guarantee_breaches" in scraped.text
    )

    label_values = {v for s in samples for v in s.labels.values()}
    assert label_values, "no labels at all"
    for text in (case_id, CPR, "120792", "Plumbeck", NAME):
        assert not any(text in v for v in label_values), text
    assert not any(re.search(r"/cases/[0-9a-f-]{8,}", v) for v in label_values)  # templates, not raw paths


async def test_an_unexpected_error_answers_with_the_trace_id_its_log_line_carries(
    dev_server_env: WorkflowEnvironment, pool: Pool, log_lines: Lines
) -> None:
    async with running_api(dev_server_env, pool) as api:

        async def boom() -> None:
            raise RuntimeError(f"internal detail {CPR}")

        api.app.add_api_route("/boom", boom)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=api.app), base_url="http://test") as http:
            response = await http.get("/boom")
    assert response.status_code == 500
    correlation_id = response.json()["correlation_id"]
    assert HEX32.match(correlation_id) and response.headers["X-Correlation-Id"] == correlation_id
    [line] = [r.getMessage() for r in log_lines.with_trace(correlation_id) if r.levelno == logging.ERROR]
    assert "RuntimeError" in line and CPR not in line
