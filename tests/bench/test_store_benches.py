"""The benches of the read side and the reports (a throw-away database each, on the run's PostgreSQL) run at their
smoke size."""

from __future__ import annotations

import pytest

from tests.bench.conftest import BENCH_TIMEOUT_SECONDS, RunBench

pytestmark = pytest.mark.timeout(BENCH_TIMEOUT_SECONDS + 20)


def test_inbox_views_runs(run_bench: RunBench) -> None:
    output = run_bench("bench.inbox_views", "--smoke")
    assert "mine" in output


def test_kl_gateway_runs(run_bench: RunBench) -> None:
    run_bench("bench.kl_gateway", "--smoke")


def test_start_guarantee_runs(run_bench: RunBench) -> None:
    run_bench("bench.start_guarantee", "--smoke")
