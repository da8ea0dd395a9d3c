"""The deadlines and intake team a municipality sets for its cases, read from its register when a plan or a
transfer reaches it.

They travel in the command (ReceivePlan, ReplacePlan, TransferCase) into the case's events: the workflow never
reads the register, so a case replays with the values it was given whatever the register says later.
"""

from __future__ import annotations

from dataclasses import dataclass

from activities.commands.settings import CommandSettings
from activities.platform.db import Pool
from activities.queries import cases as case_queries
from activities.queries import staff_register


@dataclass(frozen=True)
class MunicipalityDeadlines:
    contact_working_days: int
    warning_working_days: int | None  # None: the rules' default lead time
    intake_team: str | None = None  # the team new cases start in (an active team of the register), if any


async def municipality_deadlines(
    pool: Pool, settings: CommandSettings, municipality_code: str
) -> MunicipalityDeadlines:
    """The municipality's contact deadline and warning lead time from its register, else the settings'."""
    municipality = await case_queries.get_municipality(pool, municipality_code)
    contact = settings.default_contact_working_days
    warning = intake_team = None
    if municipality is not None:
        contact = int(municipality["contact_working_days"])
        warning = municipality["warning_working_days"]
        intake_team = await _active_team(pool, municipality_code, municipality["intake_team"])
    return MunicipalityDeadlines(
        contact_working_days=contact,
        warning_working_days=warning if warning is not None else settings.case_warning_working_days,
        intake_team=intake_team,
    )


async def _active_team(pool: Pool, municipality_code: str, team_id: str | None) -> str | None:
    # A team the administrator has since set inactive takes no new cases: they start in no team instead.
    team = await staff_register.get_team(pool, municipality_code, team_id) if team_id is not None else None
    return team_id if team is not None and team["active"] else None
