"""A transport that refuses the letters of chosen applications: their delivery fails at once, as a Digital
Post mailbox that will never take them would (activities/messaging/transports/base.py TransportRefused)."""

from __future__ import annotations

from activities.messaging.transports.base import Delivery, Transport, TransportRefused


class RefusingTransport:
    """Refuses the deliveries of the applications in `refused`; hands every other one to `inner`."""

    def __init__(self, inner: Transport) -> None:
        self.inner = inner
        self.refused: set[str] = set()

    async def send(self, delivery: Delivery) -> str:
        if delivery.message.application_id in self.refused:
            raise TransportRefused("the mailbox will not take this letter")
        return await self.inner.send(delivery)
