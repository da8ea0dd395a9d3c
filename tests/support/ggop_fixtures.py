"""The GGOP fixtures (tests/fixtures/ggop/, written for this project: invented citizens, test CPR numbers)."""

from __future__ import annotations

import uuid

from tests.support.paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "ggop"
FIXTURE_DAY = "2026-11-20"  # the discharge day the fixtures are written for
TEN_MB = 10 * 1024 * 1024
# The episode-of-care ids the fixtures use (almen.xml without hyphens, specialiseret.xml with).
EPISODES = (b"3f2b8c1e9a4d4e7f8b6c5d4e3f2a1b0c", b"a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d")


def ggop(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def ten_megabytes() -> bytes:
    """almen.xml padded with a 10 MB comment (generated: not kept in the repository)."""
    raw = ggop("almen.xml")
    return raw.replace(b"<Emessage", b"<!--" + b"x" * TEN_MB + b"-->\n<Emessage", 1)


def fresh(raw: bytes, *, suffix: str | None = None) -> bytes:
    """The message with ids no other test uses (the database is shared by the run), keeping each
    fixture's digits apart: TESTENV0000001 -> E<suffix>0000001, TESTLET0000001 -> L<suffix>0000001; the
    episode of care derives from the suffix, so fixtures freshened with the same suffix share it."""
    tag = (suffix or uuid.uuid4().hex[:6]).upper()
    episode = uuid.uuid5(uuid.NAMESPACE_URL, f"ggop-test-episode/{tag}")
    return (
        raw.replace(b"TESTENV", f"E{tag}".encode())
        .replace(b"TESTLET", f"L{tag}".encode())
        .replace(EPISODES[0], episode.hex.encode())
        .replace(EPISODES[1], str(episode).encode())
    )


def on_day(raw: bytes, day: str) -> bytes:
    """The message with its fixture discharge day moved (an API test discharges today: no deadline falls due)."""
    return raw.replace(FIXTURE_DAY.encode(), day.encode())
