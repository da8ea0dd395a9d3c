"""Create a Temporal Schedule, or bring an existing one to the wanted spec: every process that owns a schedule
calls this at start, so a changed interval or task queue takes effect with the next deployment. The schedule's
state (paused or not, the operator's note) is kept: a pause set in the Temporal UI outlasts a restart."""

from __future__ import annotations

import dataclasses

from temporalio.client import Client, Schedule, ScheduleAlreadyRunningError, ScheduleUpdate, ScheduleUpdateInput


async def create_or_update_schedule(client: Client, schedule_id: str, schedule: Schedule) -> bool:
    """True if the schedule was created now; False if one existed and was updated to `schedule`."""
    try:
        await client.create_schedule(schedule_id, schedule)
    except ScheduleAlreadyRunningError:

        def replace(existing: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=dataclasses.replace(schedule, state=existing.description.schedule.state))

        await client.get_schedule_handle(schedule_id).update(replace)
        return False
    return True
