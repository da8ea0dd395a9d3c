"""Every bench in `bench/` runs at its smoke size in the test suite, as a command line would run it: a bench that no
longer runs fails CI. No figure is asserted (speed targets live in docs/benchmarks.md), only that the bench ran to
its end and printed its figures.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.support.paths import ROOT

BENCH_TIMEOUT_SECONDS = 280
RunBench = Callable[..., str]


@pytest.fixture
def run_bench(postgres_server_url: str) -> RunBench:
    """`run_bench("bench.ingest", "--smoke")`: the bench's output (stdout, then stderr); fails the test with its
    output if it failed. Its databases are made on the run's PostgreSQL (SERVER_URL), not a server of its own."""

    def run(module: str, *args: str) -> str:
        env = {**os.environ, "SERVER_URL": postgres_server_url}
        done = subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=BENCH_TIMEOUT_SECONDS,
            check=False,
        )
        output = done.stdout + done.stderr
        assert done.returncode == 0, f"{module} {' '.join(args)} exited {done.returncode}:\n{output[-4000:]}"
        return output

    return run
