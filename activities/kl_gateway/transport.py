"""How a DeliveryReport reaches KL: an interface, and the embedded default that drops each bundle as a file.

KL Gateway's own endpoint and its authentication are not public (docs/reports.md, "Uncertain"), so the
service delivers through `KlTransport`; a deployment plugs in the real one. The embedded `DirectoryTransport`
writes `<root>/<municipality>/<report id>.json` (atomically: a reader never sees half a bundle; a retried
send writes the same file again). The directory holds CPR numbers: it is a hand-off point like the VANS
drop, and must be protected like it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from pathlib import Path
from typing import Any, Protocol

_MUNICIPALITY = re.compile(r"^[1-8]\d{2}$")
_REPORT_ID = re.compile(r"^[0-9a-f-]{36}$")


class KlTransportError(RuntimeError):
    """A report was not delivered; the message names the kind of failure, never the bundle's content."""


class KlTransport(Protocol):
    async def send(self, municipality_code: str, report_id: str, bundle: dict[str, Any]) -> str:
        """Deliver one DeliveryReport; returns the receipt (accepted). Raises KlTransportError otherwise."""
        ...


class DirectoryTransport:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, municipality_code: str, report_id: str) -> Path:
        if not _MUNICIPALITY.match(municipality_code) or not _REPORT_ID.match(report_id):
            raise KlTransportError("not a municipality code or report id")
        return self.root / municipality_code / f"{report_id}.json"

    async def send(self, municipality_code: str, report_id: str, bundle: dict[str, Any]) -> str:
        target = self.path_of(municipality_code, report_id)
        await asyncio.to_thread(self._write, target, bundle)
        return f"{municipality_code}/{target.name}"

    @staticmethod
    def _write(target: Path, bundle: dict[str, Any]) -> None:
        try:
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            temporary = target.with_suffix(".json.tmp")
            with open(temporary, "w", encoding="utf-8", opener=lambda p, f: os.open(p, f, 0o600)) as out:
                json.dump(bundle, out, ensure_ascii=False, indent=1)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except OSError as err:
            raise KlTransportError(f"cannot write the report file: {type(err).__name__}") from None
