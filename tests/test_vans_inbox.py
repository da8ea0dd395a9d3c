"""The VANS inbox on disk: a claim is exclusive, and a claim left by a poller that died goes back to its mailbox."""

from __future__ import annotations

import os
import time
from pathlib import Path

from activities.transports import vans_inbox

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
