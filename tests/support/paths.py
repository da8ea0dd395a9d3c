"""Where things are, for tests in any folder: the repository, the saved histories and the fixtures."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
HISTORIES = TESTS / "histories"
FIXTURES = TESTS / "fixtures"
