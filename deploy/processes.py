"""Child processes of the local supervisor: started in their own process group, stopped politely.

Each child gets its own process group so that a Ctrl-C in the terminal reaches only the supervisor, which
then stops the children in reverse order. On Linux a child also gets SIGTERM if the supervisor itself dies.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
import os
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_PR_SET_PDEATHSIG = 1


def _parent_death_signal() -> Callable[[], None] | None:
    """A pre-exec hook asking Linux to SIGTERM the child when the supervisor dies (None elsewhere)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    prctl = libc.prctl  # looked up here, in the parent: the hook runs between fork and exec

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    stop_timeout: float

    @property
    def running(self) -> bool:
        return self.process.returncode is None

    async def stop(self) -> None:
        """SIGTERM the child's process group, wait `stop_timeout` seconds, then SIGKILL it."""
        if not self.running:
            logger.info("%s had already exited (code %s)", self.name, self.process.returncode)
            return
        logger.info("Stopping %s (pid %d)", self.name, self.process.pid)
        self._signal_group(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), self.stop_timeout)
        except TimeoutError:
            logger.warning("%s did not stop within %g s; killing it", self.name, self.stop_timeout)
            self._signal_group(signal.SIGKILL)
            await self.process.wait()
        self._signal_group(signal.SIGKILL)  # anything the child left behind in its group
        logger.info("%s stopped (code %s)", self.name, self.process.returncode)

    def _signal_group(self, sig: signal.Signals) -> None:
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


# SIGTERM to SIGKILL: long enough for a polite exit, short enough that Ctrl-C stops everything within seconds.
DEFAULT_STOP_TIMEOUT_SECONDS = 5.0


async def start_child(
    name: str, argv: Sequence[str], env: Mapping[str, str], stop_timeout: float = DEFAULT_STOP_TIMEOUT_SECONDS
) -> Child:
    logger.info("Starting %s: %s", name, " ".join(argv))
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=dict(env),
        stdin=asyncio.subprocess.DEVNULL,
        process_group=0,
        preexec_fn=_parent_death_signal(),
    )
    return Child(name=name, process=process, stop_timeout=stop_timeout)


@dataclass(frozen=True)
class ChildSpec:
    """How to start a child, and start it again after it died: same argv, same environment."""

    name: str
    argv: Sequence[str]
    env: Mapping[str, str]
    stop_timeout: float = DEFAULT_STOP_TIMEOUT_SECONDS
    # Resolves to True once the child serves, False (or raises) if it never will, e.g. because it exited.
    # None: a child counts as ready as soon as it runs.
    ready: Callable[[Child], Awaitable[bool]] | None = None
    ready_timeout: float = 60.0

    async def start(self) -> Child:
        return await start_child(self.name, self.argv, self.env, self.stop_timeout)


# A wildcard bind address is reached, from this machine, on the loopback address of its family.
_REACHED_AT = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}


def port_in_use(host: str, port: int) -> bool:
    """True when something accepts connections on `host:port` (IPv4, IPv6 or a name such as `localhost`)."""
    target = _REACHED_AT.get(host.strip("[]"), host.strip("[]"))
    try:
        with socket.create_connection((target, port), timeout=0.5):
            return True
    except OSError:  # refused, unreachable, or a name that does not resolve: nothing of ours listens there
        return False


async def wait_for_port(child: Child, host: str, port: int) -> bool:
    """True once `host:port` accepts connections; False if the child exits first. Bound it with a timeout."""
    while child.running:
        if port_in_use(host, port):
            return True
        await asyncio.sleep(0.25)
    return False
