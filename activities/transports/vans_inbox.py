"""The VANS mailbox's inbound side on disk: which files wait, and taking one so that no other poller takes it.

A file is claimed by an atomic rename into `inbound/.claimed/` before it is read: two pollers (a scheduled
poll and an operator's, or a poll retried after a lost worker) never both hand the same message to the intake.
A claim left behind by a poller that died is given back to its mailbox after `STALE_CLAIM`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from activities.transports.vans_file_drop import INBOUND

CLAIMED = ".claimed"
STALE_CLAIM_SECONDS = 600.0
_NO_SENDER = "none"


@dataclass(frozen=True)
class InboundFile:
    path: Path  # where it lies now: its mailbox, or the claimed directory once taken
    sender_ean: str | None  # the mailbox directory's EAN; None for a file directly in inbound/


def waiting_files(vans_root: Path) -> list[InboundFile]:
    """Files waiting, each with the sender EAN of its mailbox directory (None directly in inbound/)."""
    inbound = vans_root / INBOUND
    inbound.mkdir(parents=True, exist_ok=True)
    _give_back_stale_claims(inbound)
    found: list[InboundFile] = []
    # Hidden names are files the VANS client is still writing (write, then rename): not ours yet.
    for entry in sorted(os.scandir(inbound), key=lambda e: e.name):
        if entry.name.startswith("."):
            continue
        if entry.is_file():
            found.append(InboundFile(Path(entry.path), None))
        elif entry.is_dir() and entry.name.isdigit() and len(entry.name) == 13:
            for inner in sorted(os.scandir(entry.path), key=lambda e: e.name):
                if inner.is_file() and not inner.name.startswith("."):
                    found.append(InboundFile(Path(inner.path), entry.name))
    return found


def claim(waiting: InboundFile) -> InboundFile | None:
    """Take the file for this poller alone; None when another poller took it first."""
    claimed = waiting.path.parent / CLAIMED if waiting.sender_ean is None else waiting.path.parent.parent / CLAIMED
    claimed.mkdir(exist_ok=True)
    target = claimed / f"{waiting.sender_ean or _NO_SENDER}__{waiting.path.name}"
    try:
        os.rename(waiting.path, target)
    except FileNotFoundError:
        return None
    return InboundFile(target, waiting.sender_ean)


def give_back(taken: InboundFile) -> None:
    """Return a claimed file to its mailbox, to be taken again at the next poll."""
    os.replace(taken.path, _mailbox_path(taken.path))


def read_limited(taken: InboundFile, max_bytes: int) -> bytes | None:
    """The file's bytes, or None when it is larger than any MedCom message may be."""
    if taken.path.stat().st_size > max_bytes:
        return None
    return taken.path.read_bytes()


def move(taken: InboundFile, directory: Path) -> None:
    """Move a claimed file to processed/ or failed/, named by time and sender; never deleted."""
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    name = taken.path.name.split("__", 1)[-1]
    os.replace(taken.path, directory / f"{stamp}-{taken.sender_ean or 'unknown'}-{name}")


def _mailbox_path(claimed_path: Path) -> Path:
    sender, _, name = claimed_path.name.partition("__")
    inbound = claimed_path.parent.parent
    return inbound / name if sender == _NO_SENDER else inbound / sender / name


def _give_back_stale_claims(inbound: Path) -> None:
    claimed = inbound / CLAIMED
    if not claimed.is_dir():
        return
    for entry in os.scandir(claimed):
        if entry.is_file() and time.time() - entry.stat().st_mtime > STALE_CLAIM_SECONDS:
            target = _mailbox_path(Path(entry.path))
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.replace(entry.path, target)
            except FileNotFoundError:
                continue  # another poller gave it back first
