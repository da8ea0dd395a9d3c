"""MedCom over a VANS-style file drop: the embedded default of the MedCom transport.

A VANS client (the mailbox software a MedCom participant runs) sends every file that appears in its outbound
directory and puts what arrives in its inbound directory. The service writes each message to
`outbound/<receiver EAN>/<delivery name>.xml`; the inbox poller (`activities/inbox.py`) reads `inbound/`.
A real VANS client is plugged in by pointing VANS_DIR at its mailbox (docs/medcom.md, "Transports").
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from activities.messaging.transports.base import Delivery, TransportRefused, write_once
from workflows.domain.messaging.model import Channel

OUTBOUND = "outbound"
INBOUND = "inbound"
PROCESSED = "processed"
FAILED = "failed"


class VansFileDrop:
    def __init__(self, root: Path) -> None:
        self.root = root

    def outbound(self, ean: str) -> Path:
        return self.root / OUTBOUND / ean

    async def send(self, delivery: Delivery) -> str:
        message = delivery.message
        if message.channel is not Channel.MEDCOM or not (message.address.isdigit() and len(message.address) == 13):
            raise TransportRefused("not a MedCom message with a receiver EAN")
        name = f"{delivery.name}.xml"
        await asyncio.to_thread(write_once, self.outbound(message.address), name, message.content)
        return f"{OUTBOUND}/{message.address}/{name}"

    def ensure_directories(self) -> None:
        for part in (OUTBOUND, INBOUND, PROCESSED, FAILED):
            (self.root / part).mkdir(parents=True, exist_ok=True)
