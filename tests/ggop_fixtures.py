"""The GGOP fixtures (tests/fixtures/ggop/, written for this project: invented citizens, test CPR numbers)."""

from __future__ import annotations

import uuid
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "ggop"
FIXTURE_DAY = "2026-11-20"  # the discharge day the fixtures are written for
TEN_MB = 10 * 1024 * 1024


def ggop(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ten_megabytes() -> bytes:
    """almen.xml padded with a 10 MB comment (generated: not kept in the repository)."""
    raw = ggop("almen.xml")
    return raw.replace(b"<Emessage", b"<!--" + b"x" * TEN_MB + b"-->\n<Emessage", 1)


def fresh(raw: bytes, *, suffix: str | None = None) -> bytes:
    """The message with ids no other test uses (the database is shared by the run), keeping each
    fixture's digits apart: TESTENV0000001 -> E<suffix>0000001, TESTLET0000001 -> L<suffix>0000001."""
    tag = (suffix or uuid.uuid4().hex[:6]).upper()
    return raw.replace(b"TESTENV", f"E{tag}".encode()).replace(b"TESTLET", f"L{tag}".encode())


def on_day(raw: bytes, day: str) -> bytes:
    """The message with its fixture discharge day moved (an API test discharges today: no deadline falls due)."""
    return raw.replace(FIXTURE_DAY.encode(), day.encode())
