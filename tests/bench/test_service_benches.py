"""The benches that drive the whole service (their own PostgreSQL database, Temporal dev server, worker and API,
`bench.stack`) run at their smoke size."""

from __future__ import annotations

import pytest

from tests.bench.conftest import BENCH_TIMEOUT_SECONDS, RunBench

pytestmark = [pytest.mark.temporal, pytest.mark.timeout(BENCH_TIMEOUT_SECONDS + 20)]


def test_ingest_runs_with_tokens_and_its_reference(run_bench: RunBench) -> None:
    output = run_bench("bench.ingest", "--smoke")
    assert "answers by status:" in output
    assert "{201:" in output  # plans taken with the hospital's token (the bench stops at any answer but 201 or 503)
    assert "ratio plans taken / empty workflows:" in output  # the empty-workflow half ran too


def test_commands_runs_with_its_reference(run_bench: RunBench) -> None:
    output = run_bench("bench.commands", "--smoke")
    assert "reference Update with one local activity" in output
    assert "clients' p50 ÷ one client's p50" in output


def test_worker_memory_reads_its_workers_memory(run_bench: RunBench) -> None:
    output = run_bench("bench.worker_memory", "--smoke")
    assert "memory per cached case" in output
    assert "KiB per workflow" in output  # the worker and its reference both measured
