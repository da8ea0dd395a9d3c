"""A bench added to `bench/` without a smoke run in the tests would rot unseen: each script there (a module with a
`main`) must be run at its smoke size by some test."""

from __future__ import annotations

import re

import pytest

from tests.support.paths import ROOT, TESTS

BENCHES = sorted(
    path.stem for path in (ROOT / "bench").glob("*.py") if re.search(r"^def main\(", path.read_text(), re.MULTILINE)
)
TEST_SOURCES = [path.read_text() for path in TESTS.rglob("test_*.py")]


def test_the_benches_are_found() -> None:
    assert {"ingest", "commands", "worker_memory"} <= set(BENCHES)


@pytest.mark.parametrize("bench", BENCHES)
def test_every_bench_is_run_at_its_smoke_size(bench: str) -> None:
    named = re.compile(rf"bench[./]{bench}\b|from bench import {bench}\b")
    assert any(named.search(source) and "smoke" in source for source in TEST_SOURCES), (
        f"bench/{bench}.py has no test that runs it with --smoke (see tests/bench/)"
    )
