"""Regressions for inputs and faults that used to wedge a case or leave a workflow without a case.

Against the Temporal dev server and PostgreSQL, through the API.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

import pytest
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from tests.support.api_helpers import CASEWORKER, fresh_plan, post_plan, running_api
from tests.support.staff_helpers import register_teams
from workflows.contracts.store import AppendCaseEvents, AppendResult
from workflows.shell.identity import case_id_for_plan, workflow_id_for_case

HANG_ONCE = "hang-once"


class HangingOnceStore(EventStore):
    """The first append that mentions `HANG_ONCE` never returns, as if its worker had died mid-append."""

    hung: ClassVar[bool] = False

    async def append(self, request: AppendCaseEvents) -> AppendResult:
        if HANG_ONCE in request.model_dump_json() and not HangingOnceStore.hung:
            HangingOnceStore.hung = True
            await asyncio.Event().wait()  # the attempt is lost; Temporal times it out and tries again
        return await super().append(request)


async def _no_workflow_for(env: WorkflowEnvironment, case_id: str) -> bool:
    try:
        await env.client.get_workflow_handle(workflow_id_for_case(case_id)).describe()
    except RPCError as error:
        return error.status is RPCStatusCode.NOT_FOUND
    return False


@pytest.mark.parametrize(
    ("poison", "field"),
    [
        ({"training_need": "Gang\x00og balance"}, "training_need"),
        ({"patient": {"cpr": "2509479989", "name": "Test\x00Testesen"}}, "patient.name"),
        ({"discharge_date": "2017-06-30"}, "discharge_date"),
    ],
)
async def test_a_plan_refused_at_the_door_starts_nothing_and_its_corrected_plan_is_taken(
    dev_server_env: WorkflowEnvironment, pool: Pool, poison: dict[str, object], field: str
) -> None:
    async with running_api(dev_server_env, pool) as api:
        plan = fresh_plan()
        refused = await post_plan(api.http, {**plan, **poison})
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == [field]
        case_id = case_id_for_plan(plan["sending_hospital_sor_id"], plan["plan_id"])
        assert await _no_workflow_for(dev_server_env, case_id)
        corrected = await post_plan(api.http, plan)  # the same plan id, now right
        assert corrected.status_code == 201 and corrected.json()["case_id"] == case_id


async def test_a_command_whose_append_was_lost_is_retried_within_the_answer_bound(
    dev_server_env: WorkflowEnvironment, pool: Pool
) -> None:
    # The append's start-to-close timeout is seconds: the lost attempt is retried well before the API's
    # 10 s answer bound, so the caseworker gets 200, not a 503 (it was 30-34 s before).
    async with running_api(dev_server_env, pool, event_store=HangingOnceStore(pool)) as api:
        case_id = (await post_plan(api.http, fresh_plan())).json()["case_id"]
        headers = {"X-Actor": CASEWORKER}
        await register_teams(pool, HANG_ONCE, "visitation-nord")
        answer = await api.http.post(f"/cases/{case_id}/team", json={"team": HANG_ONCE}, headers=headers)
        assert HangingOnceStore.hung
        assert answer.status_code == 200, answer.text
        assert answer.json()["team"] == HANG_ONCE
        after = await api.http.post(f"/cases/{case_id}/team", json={"team": "visitation-nord"}, headers=headers)
        assert after.status_code == 200
