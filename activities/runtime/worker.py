"""The worker process: runs case and application workflows and the store activities
(`python -m activities.runtime.worker`).

Stops gracefully on SIGTERM/SIGINT: it finishes the activities in flight before it exits, so a rolling
deploy never abandons an append half-way (the append is idempotent anyway).

A process that cannot start logs one line and exits 2 without a traceback: every invalid or missing setting
at once, named and never quoted, checked before anything starts (`activities.runtime.startup_settings`); or the
database or Temporal it cannot reach. Every exit, a clean stop too, leaves through `activities.runtime.process_exit`:
the SDK's native runtime could otherwise abort the interpreter's finalization.
"""

from __future__ import annotations

import asyncio
import logging

from activities.messaging.settings import TransportSettings
from activities.platform.startup_checks import SETTINGS_EXIT_CODE, StartupError
from activities.runtime.observability_settings import ObservabilitySettings
from activities.runtime.process_exit import run_and_leave
from activities.runtime.process_observability import start_worker_observability
from activities.runtime.settings import Settings
from activities.runtime.startup_settings import (
    CITIZEN_KEYS,
    DATABASE_URL,
    PAYLOAD_KEYS,
    SENDER_CVR,
    TEMPORAL_TLS,
    refuse_to_start,
    startup_settings,
)
from activities.runtime.worker_health import WorkerHealthSettings

logger = logging.getLogger("genoptraening.worker")

REQUIREMENTS = (PAYLOAD_KEYS, CITIZEN_KEYS, DATABASE_URL, TEMPORAL_TLS, SENDER_CVR)
SETTINGS_BLOCKS = (ObservabilitySettings, TransportSettings, WorkerHealthSettings)


def main() -> int:
    """Run the worker until SIGTERM or SIGINT; returns the exit code (0 stopped, 2 could not start)."""
    try:
        settings = startup_settings(
            REQUIREMENTS, model=Settings, blocks=SETTINGS_BLOCKS
        )  # before any thread: nothing to abort
    except StartupError as err:
        return refuse_to_start("genoptraening-worker", "worker cannot start", err)
    start_worker_observability(settings.log_level)  # logs, traces, the SDK's runtime: before any client connects
    try:
        from activities.runtime.worker_assembly import run_worker  # the whole service: only once it may start

        asyncio.run(run_worker(settings))
    except StartupError as err:
        logger.critical("worker cannot start: %s", err)
        return SETTINGS_EXIT_CODE
    return 0


def run_as_process() -> None:
    """`main`, then leave without finalizing the interpreter, whichever way the worker ended (a clean stop, a
    refused start, a crash): the SDK's native threads may still touch the GIL while Python finalizes, which once
    in a few runs aborted the process ("PyGILState_Release", exit -6) and hid its exit code."""
    run_and_leave(main, "worker")


if __name__ == "__main__":
    run_as_process()
