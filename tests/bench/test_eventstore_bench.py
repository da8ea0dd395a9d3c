"""bench/eventstore.py still runs: its smoke size, on the run's PostgreSQL (the figures are not asserted)."""

from __future__ import annotations

import pytest

from bench.eventstore import run


async def test_the_event_store_bench_runs_and_prints_its_figures(
    postgres_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rates = await run(postgres_server_url, appends=8, writer_counts=(1, 4))

    printed = capsys.readouterr().out
    assert set(rates) == {"raw", "eventsourcing", "es load+save", "store"}
    assert all(rate > 0 for by_writers in rates.values() for rate in by_writers.values())
    assert "store / eventsourcing at 1 writer(s):" in printed and "load average:" in printed
