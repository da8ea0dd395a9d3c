"""The GGOP intake's VANS door: a file from the VANS inbound directory into `take_ggop_message`, the same function
as `POST /medcom/ggop`, with the sender EAN the mailbox vouches for. The mailroom (`activities.messaging.mailroom`)
calls it for every GGOP file it takes; the worker wires it in (`activities.runtime.worker`)."""

from __future__ import annotations

from temporalio.client import Client

from activities.commands.problems import ProblemError
from activities.intake.ggop import take_ggop_message
from activities.intake.senders import GgopSender, SenderRefused
from activities.intake.settings import IntakeSettings
from activities.messaging.mailroom import GgopIntake, IntakeUnavailable
from activities.platform.db import Pool


def vans_ggop_door(pool: Pool, client: Client, settings: IntakeSettings) -> GgopIntake:
    """Whether a GGOP file was taken (True) or refused for good (False); `IntakeUnavailable` when the case service
    cannot be reached (nothing was kept: the file waits for the next round)."""

    async def take(raw: bytes, sender_ean: str) -> bool:
        try:
            outcome = await take_ggop_message(
                raw, sender=GgopSender.vans(sender_ean), pool=pool, client=client, settings=settings
            )
        except SenderRefused:
            return False  # not from the mailbox's sender: no receipt (it may not have sent it)
        except ProblemError as problem:
            if problem.status == 503:
                raise IntakeUnavailable from None
            raise
        return bool(outcome.accepted)

    return take
