"""Leaving a process that has started the Temporal SDK's native runtime (the worker, operator commands).

The runtime keeps native threads that may still touch the GIL while Python finalizes, so a normal interpreter
exit aborts now and then ("PyGILState_Release: thread state ... must be current", SIGABRT: exit -6 or 134):
an orchestrator reads a crash, and the real exit code is lost. Such a process therefore flushes its logs and
leaves with `os._exit` on every path: a clean stop, a refused start, an unexpected error.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import NoReturn

logger = logging.getLogger("genoptraening.exit")


def run_and_leave(main: Callable[[], int], what: str) -> NoReturn:
    """Run `main` (which returns the exit code), then leave without finalizing the interpreter."""
    try:
        code = main()
    except SystemExit as stop:  # as Python would: an int is the code, None is 0, a message is printed and 1
        if isinstance(stop.code, str):
            logger.critical("%s", stop.code)
        code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
    except KeyboardInterrupt:
        code = 130
    except BaseException:
        logger.exception("%s stopped by an unexpected error", what)
        code = 1
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # closed or gone: nothing more can be said anyway
            pass
    os._exit(code)
