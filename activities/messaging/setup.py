"""The sender's part of the worker: its activities, workflows, watcher and schedules, assembled from the settings.

Delivery workflows run on their own task queue (`<TEMPORAL_TASK_QUEUE>-messages`), so a slow transport never
holds up the cases' workflow tasks; the sweep and the poll (started by the watcher, or by their safety
schedules) run beside the cases.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from temporalio.client import Client

from activities.messaging.activities import MessagingActivities
from activities.messaging.mailroom import GgopIntake, Mailroom, medcom_receipt_reader
from activities.messaging.own_letters import LetterActivities
from activities.messaging.schedules import ensure_mailroom_schedules
from activities.messaging.settings import TransportSettings
from activities.messaging.transports.base import Transport
from activities.messaging.transports.digital_post_spool import DigitalPostSpool
from activities.messaging.transports.vans_file_drop import VansFileDrop
from activities.messaging.watcher import MailroomWatcher, mailroom_watcher
from activities.platform.db import Pool
from workflows.domain.messaging.model import Channel
from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow
from workflows.messaging.mailroom_workflows import InboxPollWorkflow, OutboxSweepWorkflow

logger = logging.getLogger(__name__)


def message_task_queue(task_queue: str) -> str:
    """The same name `workflows.cases.messaging.message_task_queue` derives inside the workflow."""
    return f"{task_queue}-messages"


@dataclass(frozen=True)
class MessagingParts:
    case_queue_workflows: Sequence[type]
    case_queue_activities: Sequence[Callable[..., Any]]
    message_queue_workflows: Sequence[type]
    message_queue_activities: Sequence[Callable[..., Any]]
    watcher: MailroomWatcher  # run it beside the workers: `async with parts.watcher.running(): ...`


def embedded_transports(settings: TransportSettings, data_dir: Path) -> dict[Channel, Transport]:
    vans = VansFileDrop(settings.vans_root(data_dir))
    vans.ensure_directories()
    return {Channel.MEDCOM: vans, Channel.DIGITAL_POST: DigitalPostSpool(settings.spool_root(data_dir))}


def messaging_parts(
    pool: Pool,
    client: Client,
    task_queue: str,
    settings: TransportSettings,
    data_dir: Path,
    transports: dict[Channel, Transport] | None = None,
    take_ggop: GgopIntake | None = None,
) -> MessagingParts:
    """The sender's parts; with `take_ggop` (the intake's VANS door, `activities.intake.vans_door`), GGOP messages
    from the VANS inbound directory go to the GGOP intake (without, they wait there)."""
    sender = MessagingActivities(pool, transports or embedded_transports(settings, data_dir), settings)
    letters = LetterActivities(pool, sender, settings)
    mailroom = Mailroom(
        pool=pool,
        client=client,
        vans_root=settings.vans_root(data_dir),
        message_task_queue=message_task_queue(task_queue),
        give_up_after=timedelta(hours=settings.message_give_up_hours),
        resend_after=settings.medcom_resend_after,
        automatic_resends=settings.medcom_automatic_resends,
        read_receipt=medcom_receipt_reader(),
        take_ggop=take_ggop,
    )
    return MessagingParts(
        case_queue_workflows=[OutboxSweepWorkflow, InboxPollWorkflow],
        case_queue_activities=[
            sender.queue_case_message,
            sender.queue_application_message,
            sender.prepare_resend,
            mailroom.start_undispatched_deliveries,
            mailroom.poll_inbox,
        ],
        message_queue_workflows=[MessageDeliveryWorkflow],
        message_queue_activities=[sender.send_message, sender.record_delivery_failure, letters.deliver_letter],
        watcher=mailroom_watcher(
            client,
            task_queue,
            pool,
            mailroom.vans_root,
            inbox_every=timedelta(seconds=settings.inbox_poll_seconds),
            outbox_every=timedelta(seconds=settings.outbox_sweep_seconds),
            sweep_grace_seconds=mailroom.sweep_grace_seconds,
        ),
    )


async def start_schedules(client: Client, task_queue: str, settings: TransportSettings) -> None:
    await ensure_mailroom_schedules(client, task_queue, timedelta(minutes=settings.mailroom_schedule_minutes))
