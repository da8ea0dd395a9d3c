"""The tests and files the documents name exist: docs/rules.md ties every rule to the tests that prove it, so a
renamed or removed test must not leave the rulebook pointing at nothing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.paths import ROOT

RULES = ROOT / "docs" / "rules.md"
# "`D` = `tests/workflows/domain/test_decider.py`": the rulebook's abbreviations for test files.
_LEGEND = re.compile(r"`([A-Z]+)` = `(tests/[\w/]+\.py)`")
# "`D::test_a_closed_case…`" or "`tests/test_x.py::test_y`"; a trailing "…" names a prefix.
_REFERENCE = re.compile(r"`((?:[A-Z]+)|(?:tests/[\w/]+\.py))::([\w]*)(…?)")
_FILE = re.compile(r"`(tests/[\w/]+\.py)`")


def _defined_tests(path: Path) -> set[str]:
    return set(re.findall(r"^(?:async )?def (test_\w+)", path.read_text(), flags=re.MULTILINE))


def _references() -> list[tuple[str, str, bool]]:
    text = RULES.read_text()
    legend = dict(_LEGEND.findall(text))
    found = []
    for where, name, ellipsis in _REFERENCE.findall(text):
        if name:
            found.append((legend.get(where, where), name, bool(ellipsis)))
    return found


def test_the_rulebook_names_tests_at_all() -> None:
    assert len(_references()) > 40  # the parser still reads the tables


@pytest.mark.parametrize(("path", "name", "is_prefix"), _references(), ids=lambda value: str(value))
def test_every_test_the_rulebook_names_exists(path: str, name: str, is_prefix: bool) -> None:
    file = ROOT / path
    assert file.is_file(), f"docs/rules.md names {path}, which does not exist"
    defined = _defined_tests(file)
    matches = [test for test in defined if test.startswith(name)] if is_prefix else [name] * (name in defined)
    assert matches, f"docs/rules.md names {path}::{name}{'…' if is_prefix else ''}, which is not a test there"


@pytest.mark.parametrize("path", sorted(set(_FILE.findall(RULES.read_text()))))
def test_every_test_file_the_rulebook_names_exists(path: str) -> None:
    assert (ROOT / path).is_file()
