"""Letters to the citizen through a Digital Post spool: the embedded default of the Digital Post transport.

Each letter becomes `<spool>/<delivery name>.memo.xml`, the MeMo message a Digital Post connection would
submit, and beside it `<delivery name>.pdf`, the letter as the citizen reads it. A real connection
(Serviceplatformen's Digital Post service, or a municipality's print-and-post provider) replaces this class
behind the same `Transport` interface (docs/medcom.md, "Transports").
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from activities.messaging.letters.memo import letter_pdf
from activities.messaging.transports.base import Delivery, TransportRefused, write_once
from workflows.domain.messaging.model import Channel


class DigitalPostSpool:
    def __init__(self, root: Path) -> None:
        self.root = root

    async def send(self, delivery: Delivery) -> str:
        message = delivery.message
        if message.channel is not Channel.DIGITAL_POST:
            raise TransportRefused("not a Digital Post letter")
        try:
            pdf = letter_pdf(message.content)
        except ValueError:
            raise TransportRefused("the letter's MeMo message carries no document") from None
        # The PDF first: a spool reader takes a letter by its MeMo file, which then always has its PDF beside it.
        await asyncio.to_thread(write_once, self.root, f"{delivery.name}.pdf", pdf)
        await asyncio.to_thread(write_once, self.root, f"{delivery.name}.memo.xml", message.content)
        return f"{delivery.name}.memo.xml"
