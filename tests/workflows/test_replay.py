"""Saved histories of real case runs must replay with the current workflow code.

A failure here means a change would break cases already running: guard it with `workflow.patched`.
The histories were recorded before payload encryption: they must replay with the encrypting converter too
(its codec passes unencrypted payloads through), as cases started before encryption continue under it.
"""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.worker import Replayer

from activities.runtime.temporal_connection import data_converter_for
from tests.support.encryption_helpers import encrypting_settings
from tests.support.paths import HISTORIES as HISTORY_FOLDER
from workflows.applications.workflow import ApplicationWorkflow
from workflows.cases.workflow import CaseWorkflow
from workflows.messaging.delivery_workflow import MessageDeliveryWorkflow

HISTORIES = sorted(HISTORY_FOLDER.glob("*.json"))


def test_histories_are_present() -> None:
    # The first two were recorded before the contact-reminders patch, the rulebook ones after it.
    assert {path.stem for path in HISTORIES} >= {
        "almen_completed",
        "deadlines_breached",
        "rulebook_free_choice_and_transfer",
        "rulebook_specialiseret_replaced",
        "start_date_proposal_confirmed",  # a plan whose free text proposed a later start, confirmed
        "truthful_messages",  # letters queued, sent, failed and resent; copies withheld (no PlanDelivered)
        "deadline_warnings_seen",  # assigned; warnings before both deadlines (patch deadline-warnings), one seen
        # An If-Match from before the letters went out (patch facts-version-precondition); closed while its letters
        # failed, one resent after the end (patch resends-after-end), then finished.
        "resent_after_end",
        # Started light (issue 18): copies settled in the plan's append, the letter sent by the case itself (failed,
        # resent), a kept deadline timer, the free-choice letter, then closed; no patch markers.
        "light_case",
        "application_light_refusal",  # started light: the refusal's letter sent by the application itself
        # MessageDeliveryWorkflow (tests/support/record_delivery_histories.py), before patch medcom-automatic-resends:
        "delivery_acknowledged",
        "delivery_not_acknowledged",
        "delivery_automatic_resends",  # after it: no receipt, resent twice with new envelopes, then acknowledged
    }


@pytest.mark.parametrize(
    "converter",
    [pydantic_data_converter, data_converter_for(encrypting_settings())],
    ids=["plain", "encrypting"],
)
@pytest.mark.parametrize(
    "history",
    [WorkflowHistory.from_json(f"case-{path.stem}", path.read_text()) for path in HISTORIES],
    ids=lambda h: h.workflow_id,
)
async def test_saved_history_replays_with_current_code(history: WorkflowHistory, converter: DataConverter) -> None:
    # The history names its workflow type: case histories replay CaseWorkflow, application_*.json ApplicationWorkflow,
    # delivery_*.json MessageDeliveryWorkflow.
    replayer = Replayer(
        workflows=[CaseWorkflow, ApplicationWorkflow, MessageDeliveryWorkflow], data_converter=converter
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
