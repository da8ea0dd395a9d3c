"""The one interface every transport implements: take one message, return the transport's reference.

A transport must send each delivery at most once: called again for the same message, resend and automatic
resend (a retried activity after a crash), it returns the first reference and sends nothing new.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from activities.messaging.outbox import QueuedMessage


@dataclass(frozen=True)
class Delivery:
    message: QueuedMessage
    resend: int  # 0 for the first delivery, n for the caseworker's n-th resend
    automatic_resend: int = 0  # n for the sender's n-th resend for want of a MedCom receipt (a new envelope id)

    @property
    def name(self) -> str:
        """The delivery's stable name: the message id, the resend for a resend, the automatic resend for one."""
        suffix = f"-resend-{self.resend}" if self.resend else ""
        suffix += f"-auto-{self.automatic_resend}" if self.automatic_resend else ""
        return f"{self.message.message_id}{suffix}"


class TransportRefused(Exception):
    """The transport will never take this message (a retry cannot help): the delivery fails at once."""


class Transport(Protocol):
    async def send(self, delivery: Delivery) -> str:
        """Hand the message over; the transport's reference (a file name, a receipt id). Idempotent per
        `delivery.name`."""
        ...


def write_once(directory: Path, name: str, content: bytes) -> bool:
    """Write `directory/name` atomically and at most once: True if written now, False if it was already there.

    Written to a temporary file in the same directory, flushed to disk, then linked into place: a reader (the
    VANS client, Digital Post) never sees a half-written file, and a second attempt never replaces the first."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / name
    if target.exists():
        return False
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=".tmp-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        try:
            os.link(temporary, target)
        except FileExistsError:
            return False  # a concurrent attempt won: its file stands
    finally:
        os.unlink(temporary)
    return True
