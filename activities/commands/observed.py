"""How every command sent to a workflow is counted: by outcome (accepted, refused, failed) and how long it took
(`genoptraening_commands_total`, `genoptraening_command_duration_seconds`; docs/observability.md)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from activities.commands.problems import ProblemError
from activities.platform.metrics import COMMAND_DURATION, COMMANDS


@contextmanager
def observed_command(aggregate: str, command: str) -> Iterator[None]:
    """Count a command's Update by outcome: accepted, refused (a 4xx problem) or failed (anything else)."""
    started, outcome = time.perf_counter(), "failed"
    try:
        yield
        outcome = "accepted"
    except ProblemError as problem:
        outcome = "refused" if problem.status < 500 else "failed"
        raise
    finally:
        COMMANDS.labels(aggregate, command, outcome).inc()
        COMMAND_DURATION.labels(aggregate, command).observe(time.perf_counter() - started)
