"""One scenario per rule, run through the case workflow on the time-skipping server (issue 3's table).

Each row drives a fresh case with the rule's commands and checks what the workflow then reports; the
domain tables (`test_domain_rulebook.py`) hold the boundaries, these prove the workflow enforces them.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
import pytest_asyncio
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.domain_helpers import CASEWORKER, choose, cid, classify, contact, offer
from tests.support.factories import make_plan, make_provider, receive_plan
from tests.support.fakes import InMemoryCaseStore
from tests.support.workflow_helpers import send, start_case, terminate_started_cases, wait_for_state
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.commands import (
    AssessTransport,
    CancelAppointment,
    CaseCommand,
    CloseCase,
    DeclineFreeChoice,
    ReclassifyAlmenLevel,
    RecordContactAttempt,
    RecordProviderRefusal,
    RevokePlan,
)
from workflows.domain.model import (
    AlmenSubLevel,
    CaseStatus,
    CloseReason,
    ContactChannel,
    GuaranteeStatusReason,
    ProviderKind,
)
from workflows.domain.state import CaseState
from workflows.domain.transport import LegalBasis, TransportAssessmentInput


@dataclass
class Scenario:
    """Commands after distribution (given the discharge date), then a check or an expected rejection."""

    steps: Callable[[date], list[CaseCommand]]
    check: Callable[[CaseState], bool] = lambda state: True
    rejected_as: str | None = None
    plan: dict[str, Any] = field(default_factory=dict)


def _transport(km: str) -> AssessTransport:
    assessment = TransportAssessmentInput(
        is_pensioner=False,
        condition_rules_out_public_transport=False,
        distance_km=Decimal(km),
        round_trip_cost_dkk=Decimal("400.00"),
        legal_basis=LegalBasis.SUNDHEDSLOVEN_140,
    )
    return AssessTransport(command_id=cid(), actor=CASEWORKER, assessment=assessment)


def _close(reason: CloseReason) -> CloseCase:
    return CloseCase(command_id=cid(), actor=CASEWORKER, reason=reason)


_ELSEWHERE = make_provider(provider_id="other-municipality-centre", municipality_code="147", kind=ProviderKind.OWN)
_PRIVATE_ELSEWHERE = make_provider(
    provider_id="private-elsewhere", municipality_code="147", kind=ProviderKind.CONTRACTED
)

SCENARIOS: dict[str, Scenario] = {
    "reclassification": Scenario(
        lambda d: [
            classify(),
            ReclassifyAlmenLevel(command_id=cid(), actor=CASEWORKER, sub_level=AlmenSubLevel.AVANCERET, reason="x"),
        ],
        lambda s: s.sub_level is AlmenSubLevel.AVANCERET,
    ),
    "day 7 offer keeps the guarantee": Scenario(
        lambda d: [classify(), contact(), choose(), offer(d + timedelta(days=7))],
        lambda s: s.status is CaseStatus.TRAINING_STARTED and not s.start_guarantee_breached,
    ),
    "day 8 offer breaches it": Scenario(
        lambda d: [classify(), contact(), choose(), offer(d + timedelta(days=8))],
        lambda s: s.start_guarantee_breached and s.free_choice_open,
    ),
    "breach, free choice declined": Scenario(
        lambda d: [
            classify(),
            contact(),
            choose(),
            offer(d + timedelta(days=8)),
            DeclineFreeChoice(command_id=cid(), actor=CASEWORKER),
        ],
        lambda s: s.guarantee_status_reason is GuaranteeStatusReason.FRIT_VALG_AFSLAAET,
    ),
    "a cancelled first appointment still counts": Scenario(
        lambda d: [
            classify(),
            contact(),
            choose(),
            offer(d + timedelta(days=3)),
            CancelAppointment(command_id=cid(), actor=CASEWORKER),
        ],
        lambda s: s.appointment_cancelled and s.first_appointment_on is not None and not s.start_guarantee_breached,
    ),
    "contact attempts are counted": Scenario(
        lambda d: [
            classify(),
            RecordContactAttempt(command_id=cid(), actor=CASEWORKER, channel=ContactChannel.PHONE),
            contact(),
        ],
        lambda s: s.contact_attempts == 2,
    ),
    "another municipality's institution refuses": Scenario(
        lambda d: [
            classify(),
            contact(),
            choose().model_copy(update={"provider": _ELSEWHERE}),
            RecordProviderRefusal(command_id=cid(), actor=CASEWORKER, reason="ingen kapacitet"),
        ],
        lambda s: s.status is CaseStatus.CITIZEN_CONTACTED and s.provider is None,
    ),
    "never another municipality's private provider": Scenario(
        lambda d: [classify(), contact(), choose().model_copy(update={"provider": _PRIVATE_ELSEWHERE})],
        rejected_as="InvalidCommand",
    ),
    "plan sent in error": Scenario(
        lambda d: [RevokePlan(command_id=cid(), actor=CASEWORKER, reason="forkert patient")],
        lambda s: s.status is CaseStatus.CLOSED and s.guarantee_status_reason is GuaranteeStatusReason.FEJL,
    ),
    "transport 50 km: not entitled": Scenario(
        lambda d: [_transport("50")], lambda s: s.transport is not None and not s.transport.entitled
    ),
    "transport 51 km: entitled": Scenario(
        lambda d: [_transport("51")], lambda s: s.transport is not None and s.transport.entitled
    ),
    "professional 'no need' before training is refused": Scenario(
        lambda d: [_close(CloseReason.NO_FURTHER_NEED_PROFESSIONAL)], rejected_as="NotAllowedNow"
    ),
    "death ends the case": Scenario(
        lambda d: [_close(CloseReason.DECEASED)], lambda s: s.close_reason is CloseReason.DECEASED
    ),
    "CPR failing modulus 11 is accepted with a warning": Scenario(
        lambda d: [],
        lambda s: s.warnings == ["cpr_fails_modulus_11"],
        plan={"patient": {"cpr": "0101004000", "name": "Test Testesen"}},
    ),
}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def task_queue(time_skipping_env: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"scenarios-{uuid.uuid4().hex[:8]}"
    store = InMemoryCaseStore()
    async with (
        Worker(time_skipping_env.client, task_queue=queue, workflows=[CaseWorkflow], activities=store.activities()),
        store.message_worker(time_skipping_env.client, queue),
    ):
        yield queue
        await terminate_started_cases()


@pytest.mark.parametrize("name", list(SCENARIOS))
async def test_rule_scenario(name: str, time_skipping_env: WorkflowEnvironment, task_queue: str) -> None:
    scenario = SCENARIOS[name]
    today = (await time_skipping_env.get_current_time()).date()
    plan = make_plan(discharge_date=today, **scenario.plan)
    handle, _ = await start_case(time_skipping_env.client, task_queue, receive_plan(plan))
    state = await wait_for_state(handle, lambda s: s.status is CaseStatus.DISTRIBUTED)
    steps = scenario.steps(today)
    try:
        for step in steps:
            state = await send(handle, step)
    except WorkflowUpdateFailedError as failure:
        assert isinstance(failure.cause, ApplicationError) and failure.cause.type == scenario.rejected_as
        assert step is steps[-1], "only the rule's last step may be refused"
        return
    assert scenario.rejected_as is None, f"expected a {scenario.rejected_as} rejection"
    assert scenario.check(state), state
