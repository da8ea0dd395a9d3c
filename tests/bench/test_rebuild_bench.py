"""bench/rebuild.py still runs: its smoke size, on the run's PostgreSQL (the figures are not asserted)."""

from __future__ import annotations

import pytest

from bench.rebuild import run


async def test_the_rebuild_bench_runs_and_prints_its_figures(
    postgres_server_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    rebuild, reference = await run(postgres_server_url, events=80, repeat=1)

    printed = capsys.readouterr().out
    assert rebuild > 0 and reference > 0
    assert "stored 80 events" in printed and "rebuild / read and open:" in printed and "load average:" in printed
