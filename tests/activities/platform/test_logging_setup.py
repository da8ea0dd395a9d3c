"""The one log format (activities/platform/logging_setup.py), and the read-model gauges' cache, without servers."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from activities.platform.logging_setup import EvictionDetachNoise, QuietAccessLines, configure_logging, formatter_for
from activities.runtime import read_model_metrics
from activities.runtime.read_model_metrics import ReadModelMetrics, Snapshot


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restored_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


def _record(message: str = "case %s classified", *args: object, **extra: Any) -> logging.LogRecord:
    record = logging.LogRecord("genoptraening.api", logging.INFO, __file__, 1, message, args or ("c-1",), None)
    record.__dict__.update(extra)
    return record


def test_a_pipe_gets_json_with_the_named_fields_only_and_a_terminal_readable_text(restored_root: None) -> None:
    pipe, terminal = io.StringIO(), Terminal()
    configure_logging("genoptraening-api", "INFO", stream=pipe)
    logging.getLogger("genoptraening.api").info("case %s classified", "c-1", extra={"cpr": "1207928834"})
    [line] = pipe.getvalue().splitlines()
    record = json.loads(line)
    assert set(record) == {"time", "level", "logger", "message", "service", "trace_id", "span_id"}
    assert record["message"] == "case c-1 classified" and record["service"] == "genoptraening-api"
    assert "1207928834" not in line  # an extra some library attached never reaches the line

    configure_logging("genoptraening-api", "INFO", stream=terminal)  # replaces the first handler
    logging.getLogger("genoptraening.api").warning("plain")
    text = terminal.getvalue()
    assert "WARNING" in text and "plain" in text and "\x1b[" not in text and not text.startswith("{")
    assert pipe.getvalue().count("\n") == 1  # the first handler is gone


@pytest.mark.parametrize(("configured", "json_expected"), [("json", True), ("text", False), (None, False)])
def test_log_format_overrides_the_terminal_guess(configured: str | None, json_expected: bool) -> None:
    formatter = formatter_for(Terminal(), configured)
    record = _record()
    record.service, record.trace_id, record.span_id = "s", "", ""
    assert formatter.format(record).startswith("{") is json_expected


def test_a_line_inside_a_trace_carries_its_ids(restored_root: None) -> None:
    pipe = io.StringIO()
    configure_logging("genoptraening-worker", "INFO", stream=pipe)
    context = SpanContext(0x4BF92F3577B34DA6A3CE929D0E0E4736, 0x00F067AA0BA902B7, False, TraceFlags(0))
    with trace.use_span(NonRecordingSpan(context)):
        logging.getLogger("activities.store.eventstore").info("appended")
    record = json.loads(pipe.getvalue())
    assert record["trace_id"] == "4bf92f3577b34da6a3ce929d0e0e4736" and record["span_id"] == "00f067aa0ba902b7"


@pytest.mark.parametrize(
    ("path", "kept_at_info"),
    [("/codec/decode", False), ("/metrics", False), ("/livez", False), ("/cases/c-1/classification", True)],
)
def test_codec_decodes_probes_and_scrapes_are_debug_access_lines(
    path: str, kept_at_info: bool, restored_root: None
) -> None:
    logging.getLogger().setLevel(logging.INFO)
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d', ("ip", "POST", path, "1.1", 200), None
    )
    assert QuietAccessLines().filter(record) is kept_at_info
    assert record.levelno == (logging.INFO if kept_at_info else logging.DEBUG)


async def test_a_burst_of_scrapes_costs_one_round_of_queries_and_a_dead_database_leaves_up_0(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rounds: list[int] = []
    failing = False

    async def read(pool: Any) -> Snapshot:
        if failing:
            raise psycopg.OperationalError("server closed the connection")
        rounds.append(1)
        await asyncio.sleep(0.05)
        return Snapshot(open_cases=[("101", "received", 2)], overdue={"101": 1})

    monkeypatch.setattr(read_model_metrics, "read_snapshot", read)
    metrics = ReadModelMetrics(pool=None, cache_seconds=60)  # type: ignore[arg-type]
    await asyncio.gather(*(metrics.refresh() for _ in range(5)))
    assert len(rounds) == 1 and metrics.up == 1
    families = {family.name: family for family in metrics.collect()}
    [open_cases] = families["genoptraening_cases_open"].samples
    assert open_cases.labels == {"municipality": "101", "status": "received"} and open_cases.value == 2
    assert len(families["genoptraening_outbox_messages"].samples) == 8  # every channel and state, zeros too

    failing, metrics.read_at = True, None  # the cache expired, the database gone
    await metrics.refresh()
    families = {family.name: family for family in metrics.collect()}
    assert metrics.up == 0 and families["genoptraening_read_model_metrics_up"].samples[0].value == 0
    assert families["genoptraening_cases_open"].samples[0].value == 2  # the last good values stay


def _failed_detach(cause: BaseException) -> logging.LogRecord:
    try:
        try:
            raise cause
        except BaseException:
            raise ValueError("token was created in a different Context") from None
    except ValueError as error:
        error.__context__ = cause
        info = (ValueError, error, error.__traceback__)
    return logging.LogRecord("opentelemetry.context", logging.ERROR, __file__, 1, "Failed to detach context", (), info)


def test_a_failed_detach_on_workflow_eviction_is_dropped_any_other_kept() -> None:
    noise = EvictionDetachNoise()
    assert noise.filter(_failed_detach(GeneratorExit())) is False
    assert noise.filter(_failed_detach(RuntimeError("elsewhere"))) is True
