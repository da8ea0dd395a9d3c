"""The supervisor's watch loop (`deploy.supervision.ChildGroup`) with small dummy processes instead of the
worker, API and Temporal: restarts, the crash-loop limit, stopping during a backoff, stop order, SIGKILL."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from deploy.processes import Child, ChildSpec
from deploy.restart_policy import RestartLimits
from deploy.supervision import ChildGroup, ChildNotReady

FAST = RestartLimits(
    backoff_base_seconds=0.05, backoff_max_seconds=0.2, stable_after_seconds=60.0, max_restarts=3, window_seconds=60.0
)

# Each start appends a line to the file argv[1]; the first `argv[2]` starts exit with code 3 after 0.3 s (long
# enough to be seen running), later ones run until they are stopped. On SIGTERM a dummy appends "stopped <name>"
# to argv[3], if given, and exits.
DUMMY = """
import signal, sys, time
starts, failing, name = sys.argv[1], int(sys.argv[2]), sys.argv[4]
def on_term(signum, frame):
    if sys.argv[3]:
        with open(sys.argv[3], "a") as f:
            f.write(f"stopped {name}\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
with open(starts, "a") as f:
    f.write("start\\n")
with open(starts) as f:
    n = len(f.readlines())
if n <= failing:
    time.sleep(0.3)
    sys.exit(3)
while True:
    time.sleep(1)
"""

# Ignores SIGTERM; writes argv[1] once it does.
STUBBORN = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
open(sys.argv[1], "w").close()
while True:
    time.sleep(1)
"""


def dummy(tmp_path: Path, name: str, *, failing: int, stopped_log: Path | None = None) -> ChildSpec:
    argv = [sys.executable, "-c", DUMMY, str(tmp_path / f"{name}.starts"), str(failing), str(stopped_log or ""), name]
    return ChildSpec(name, argv, dict(os.environ), stop_timeout=5.0)


def starts(tmp_path: Path, name: str) -> int:
    path = tmp_path / f"{name}.starts"
    return len(path.read_text().splitlines()) if path.exists() else 0


async def eventually(condition: Callable[[], bool]) -> None:
    """Poll: the dummies report through files, which no event announces. A generous bound, not a speed test."""
    async with asyncio.timeout(10):
        while True:
            if condition():
                return
            await asyncio.sleep(0.02)


async def test_a_child_that_dies_is_restarted_and_the_others_keep_running(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    group = ChildGroup(stop, FAST)
    steady = await group.start(dummy(tmp_path, "steady", failing=0))
    checked: list[int] = []

    async def ready(child: Child) -> bool:  # like the API's port check, also after a restart
        checked.append(child.process.pid)
        return child.running

    spec = dummy(tmp_path, "flaky", failing=1)
    first = await group.start(ChildSpec(spec.name, spec.argv, spec.env, spec.stop_timeout, ready))
    with caplog.at_level(logging.INFO, logger="deploy.supervision"):
        watch = asyncio.create_task(group.watch())
        try:
            await eventually(lambda: starts(tmp_path, "flaky") == 2)
            await asyncio.sleep(0.6)  # longer than the first run lasted: the second one stays up
            assert not watch.done()
            [same_steady, second] = group.children
            assert same_steady is steady and steady.running
            assert second is not first and first.process.returncode == 3 and second.running
            assert checked == [first.process.pid, second.process.pid]
        finally:
            stop.set()
            assert await watch == 0
            await group.stop_all()
    assert not steady.running and not second.running
    assert starts(tmp_path, "steady") == 1 and starts(tmp_path, "flaky") == 2
    # The supervisor's own warning: other loggers of the process (the SDK, OpenTelemetry) may warn meanwhile.
    [warning] = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "deploy.supervision"]
    assert (
        warning.getMessage() == "flaky exited unexpectedly (code 3): restart 1 in 0.05 s (1 of 3 allowed within 60 s)"
    )
    assert any(r.getMessage().startswith("flaky restarted (pid ") for r in caplog.records)


async def test_a_crash_looping_child_stops_the_service_with_exit_code_1(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    stop = asyncio.Event()
    group = ChildGroup(stop, FAST)
    steady = await group.start(dummy(tmp_path, "steady", failing=0))
    await group.start(dummy(tmp_path, "broken", failing=1000))
    with caplog.at_level(logging.INFO, logger="deploy.supervision"):
        async with asyncio.timeout(20):
            assert await group.watch() == 1
    assert stop.is_set() and group.crash_looped == "broken"
    assert starts(tmp_path, "broken") == 1 + FAST.max_restarts
    assert steady.running  # the supervisor then stops the rest, in order
    await group.stop_all()
    assert not steady.running
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert errors == [
        "broken exited unexpectedly (code 3) after 3 restarts within 60 s: a crash loop, stopping everything"
    ]


async def test_a_stop_during_the_backoff_starts_nothing_again(tmp_path: Path) -> None:
    stop = asyncio.Event()
    group = ChildGroup(stop, RestartLimits(backoff_base_seconds=30.0))
    first = await group.start(dummy(tmp_path, "flaky", failing=1))
    watch = asyncio.create_task(group.watch())
    await eventually(lambda: group.slots[0].policy.restarts == 1)  # died, waiting 30 s to restart
    stop.set()
    async with asyncio.timeout(5):  # not the 30 s of the backoff
        assert await watch == 0
    await asyncio.sleep(0.3)
    assert starts(tmp_path, "flaky") == 1
    assert group.children == [first] and not first.running
    await group.stop_all()


async def test_children_are_stopped_in_the_reverse_of_their_start_order(tmp_path: Path) -> None:
    stopped_log = tmp_path / "stopped"
    group = ChildGroup(asyncio.Event(), FAST)
    for name in ("temporal", "worker", "api"):
        spec = dummy(tmp_path, name, failing=0, stopped_log=stopped_log)

        async def has_started(child: Child, name: str = name) -> bool:
            await eventually(lambda: starts(tmp_path, name) == 1)  # its SIGTERM handler is in place by then
            return True

        await group.start(ChildSpec(spec.name, spec.argv, spec.env, spec.stop_timeout, has_started))
    await group.stop_all()
    assert stopped_log.read_text().splitlines() == ["stopped api", "stopped worker", "stopped temporal"]
    assert [child.process.returncode for child in group.children] == [0, 0, 0]


async def test_a_child_that_ignores_sigterm_is_killed_after_its_stop_timeout(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    marker = tmp_path / "ignoring"

    async def ignores_sigterm(child: Child) -> bool:
        await eventually(marker.exists)
        return True

    spec = ChildSpec("stubborn", [sys.executable, "-c", STUBBORN, str(marker)], dict(os.environ), 0.5, ignores_sigterm)
    child = await ChildGroup(asyncio.Event(), FAST).start(spec)
    began = time.monotonic()
    with caplog.at_level(logging.INFO, logger="deploy.processes"):
        await child.stop()
    assert child.process.returncode == -signal.SIGKILL
    assert time.monotonic() - began < 5.0  # the 0.5 s stop timeout, not an unbounded wait
    assert "stubborn did not stop within 0.5 s; killing it" in caplog.text


async def test_a_child_that_exits_before_it_is_ready_fails_the_start(tmp_path: Path) -> None:
    async def never(child: Child) -> bool:
        await child.process.wait()
        return False

    spec = dummy(tmp_path, "api", failing=1)
    group = ChildGroup(asyncio.Event(), FAST)
    with pytest.raises(ChildNotReady, match=r"^api exited \(code 3\) before it was ready$"):
        await group.start(ChildSpec(spec.name, spec.argv, spec.env, spec.stop_timeout, never))
    assert len(group.children) == 1  # kept, so that the supervisor's shutdown sees it
