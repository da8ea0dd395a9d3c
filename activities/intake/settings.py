"""The intake's settings block: what taking a plan reads (the task queue its case's workflow runs on, the commands'
bounds, the register's defaults) and, for a MedCom GGOP message, MedCom's (senders, sizes, episodes)."""

from __future__ import annotations

from activities.commands.settings import CommandSettings
from activities.messaging.medcom.settings import MedComSettings
from activities.messaging.settings import PlanForwardingSettings
from activities.platform.settings import PlatformSettings


class IntakeSettings(PlatformSettings, CommandSettings, MedComSettings, PlanForwardingSettings):
    """The blocks the intake reads, as one type: `activities.runtime.settings.Settings` is one."""
