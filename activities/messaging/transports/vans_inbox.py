"""The VANS mailbox's inbound side on disk: which files wait, and taking one so that no other poller takes it.

A file is claimed by an atomic rename into `inbound/.claimed/` before it is read: two pollers (a scheduled
poll and an operator's, or a poll retried after a lost worker) never both hand the same message to the intake.
A claim left behind by a poller that died is given back to its mailbox after `STALE_CLAIM_SECONDS`; a
live poller never leaves one behind: a file it handled but cannot move on (`settle`), or whose handling
broke off, goes straight back to its mailbox for the next poll.
"""

from __future__ import annotations

import errno
import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from activities.messaging.transports.vans_file_drop import INBOUND

CLAIMED = ".claimed"
STALE_CLAIM_SECONDS = 600.0
_NO_SENDER = "none"
# Pauses between the quick tries of a move before the file is given back: a passing hiccup (a share that
# reconnects) is ridden out within the poll, a lasting one costs the poll well under a second per file.
MOVE_RETRY_DELAYS = (0.05, 0.25)


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


@dataclass(frozen=True)
class Unmoved:
    """A handled file that could not be moved on: what may be logged of it (never its name or content)."""

    fingerprint: str  # the first 16 hex digits of the content's SHA-256: `sha256sum` finds the file
    error: str  # the errno name (EACCES, ENOSPC, EROFS, ...) or the exception's class
    given_back: bool  # False: the mailbox refused it too, and the stale-claim rule gives it back later


def give_back(taken: InboundFile) -> None:
    """Return a claimed file to its mailbox, to be taken again at the next poll."""
    os.replace(taken.path, _mailbox_path(taken.path))


def give_back_if_possible(taken: InboundFile) -> bool:
    """`give_back`, for a path that is already failing: False leaves the file to the stale-claim rule."""
    try:
        give_back(taken)
    except OSError:
        return False
    return True


def keep_private(taken: InboundFile) -> None:
    """Make a handled file readable by the service's own user only: the database holds the message now
    (sealed with the citizen's key), so the CPR in its clear copy need not be open to the mailbox's other users."""
    try:
        os.chmod(taken.path, 0o600)
    except OSError:
        pass  # the VANS client's user owns it (only that user or root may change its mode), or a read-only share


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


def settle(taken: InboundFile, directory: Path, retry_delays: tuple[float, ...] = MOVE_RETRY_DELAYS) -> Unmoved | None:
    """`move` a handled file, trying again after each of `retry_delays`; when it still cannot be moved, give it
    back to its mailbox, so the next poll takes it again (the intake then knows the message: no second case),
    and say what failed."""
    for delay in retry_delays:
        if _try_move(taken, directory) is None:
            return None
        time.sleep(delay)
    error = _try_move(taken, directory)
    if error is None:
        return None
    fingerprint = _fingerprint(taken.path)
    kind = errno.errorcode.get(error.errno or 0, type(error).__name__)
    return Unmoved(fingerprint, kind, given_back=give_back_if_possible(taken))


def _try_move(taken: InboundFile, directory: Path) -> OSError | None:
    try:
        move(taken, directory)
    except OSError as error:
        return error
    return None


def _fingerprint(path: Path) -> str:
    try:
        with path.open("rb") as content:
            return hashlib.file_digest(content, "sha256").hexdigest()[:16]
    except OSError:
        return "unreadable"


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
