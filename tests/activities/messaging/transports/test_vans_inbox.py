"""The VANS inbox on disk: a claim is exclusive, a claim left by a poller that died goes back to its mailbox,
and a handled file that cannot be moved on goes back at once."""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import time
from pathlib import Path

import pytest

from activities.messaging.transports import vans_inbox

EAN = "5790000000017"


def _drop(root: Path, name: str, sender: str | None = EAN) -> Path:
    mailbox = root / "inbound" / sender if sender else root / "inbound"
    mailbox.mkdir(parents=True, exist_ok=True)
    (mailbox / name).write_bytes(b"<Emessage/>")
    return mailbox / name


def test_a_file_is_claimed_once_and_moved_with_its_sender(tmp_path: Path) -> None:
    _drop(tmp_path, "a.xml")
    (waiting,) = vans_inbox.waiting_files(tmp_path)
    assert waiting.sender_ean == EAN
    taken = vans_inbox.claim(waiting)
    assert taken is not None and vans_inbox.claim(waiting) is None  # the second poller finds it gone
    assert vans_inbox.waiting_files(tmp_path) == []  # a claimed file is not waiting any more
    vans_inbox.move(taken, tmp_path / "processed")
    (done,) = (tmp_path / "processed").iterdir()
    assert done.name.endswith(f"-{EAN}-a.xml")


def test_a_file_given_back_waits_in_its_own_mailbox(tmp_path: Path) -> None:
    for sender in (EAN, None):
        original = _drop(tmp_path, f"b-{sender}.xml", sender)
        (waiting,) = vans_inbox.waiting_files(tmp_path)
        taken = vans_inbox.claim(waiting)
        assert taken is not None
        vans_inbox.give_back(taken)
        assert original.exists()
        original.unlink()


def test_a_stale_claim_goes_back_to_its_mailbox_and_a_fresh_one_stays(tmp_path: Path) -> None:
    for name in ("stale.xml", "fresh.xml"):
        _drop(tmp_path, name)
    stale, fresh = (vans_inbox.claim(w) for w in vans_inbox.waiting_files(tmp_path)[::-1])
    assert stale is not None and fresh is not None and stale.path.name.endswith("stale.xml")
    old = time.time() - vans_inbox.STALE_CLAIM_SECONDS - 60
    os.utime(stale.path, (old, old))
    (waiting,) = vans_inbox.waiting_files(tmp_path)
    assert waiting.path == tmp_path / "inbound" / EAN / "stale.xml" and waiting.sender_ean == EAN
    assert fresh.path.exists()


def test_a_move_that_fails_once_is_tried_again_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _drop(tmp_path, "hiccup.xml")
    (taken,) = (vans_inbox.claim(w) for w in vans_inbox.waiting_files(tmp_path))
    assert taken is not None
    real_move, calls = vans_inbox.move, []

    def hiccup(file: vans_inbox.InboundFile, directory: Path) -> None:
        calls.append(file)
        if len(calls) == 1:
            raise OSError(errno.EIO, "a share reconnecting")
        real_move(file, directory)

    monkeypatch.setattr(vans_inbox, "move", hiccup)
    assert vans_inbox.settle(taken, tmp_path / "processed", retry_delays=(0.0,)) is None
    assert len(calls) == 2 and [p.name[-10:] for p in (tmp_path / "processed").iterdir()] == ["hiccup.xml"]


def test_a_file_that_cannot_be_moved_goes_back_to_its_mailbox_at_once(tmp_path: Path) -> None:
    original = _drop(tmp_path, "0101459992.xml")  # a sender may put anything in a name, a CPR too
    (taken,) = (vans_inbox.claim(w) for w in vans_inbox.waiting_files(tmp_path))
    assert taken is not None
    (tmp_path / "processed").write_bytes(b"")  # a file where the directory should be: no move, even as root
    unmoved = vans_inbox.settle(taken, tmp_path / "processed", retry_delays=(0.0, 0.0))
    assert unmoved == vans_inbox.Unmoved(hashlib.sha256(b"<Emessage/>").hexdigest()[:16], "EEXIST", given_back=True)
    assert original.exists() and not list((tmp_path / "inbound" / ".claimed").iterdir())
    assert vans_inbox.waiting_files(tmp_path)[0].path == original  # the next poll finds it


def test_a_handled_file_is_readable_by_the_service_alone(tmp_path: Path) -> None:
    _drop(tmp_path, "c.xml").chmod(0o644)
    (taken,) = (vans_inbox.claim(w) for w in vans_inbox.waiting_files(tmp_path))
    assert taken is not None
    vans_inbox.keep_private(taken)
    assert stat.S_IMODE(taken.path.stat().st_mode) == 0o600
