"""One GGOP message in, one answer out: the intake both doors use (`POST /medcom/ggop` and the VANS inbound
directory's poller).

    outcome = await take_ggop_message(raw, sender=GgopSender.hospital_token(principal), pool=pool,
                                      client=client, settings=settings)

The order follows MedCom's rules (docs/medcom.md): a duplicate (same sender, envelope id and letter id) is
answered with the stored receipt before anything else; a message that is not safe XML is refused without a
receipt when it has no readable ids; one that fails the schema or the mapping gets a negative receipt; a
message from another sender than the door vouches for is refused without one; an accepted plan goes to the
domain through the JSON intake's path (`activities.intake.plans.take_plan`) and gets a positive receipt when its
envelope asks. Every receipt is queued in the outbox for the sender's EAN and returned to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from lxml import etree
from temporalio.client import Client

from activities.access_log.entries import AccessAction, AccessLogEntry, AccessOutcome, Purpose
from activities.access_log.records import record
from activities.commands.problems import ProblemError
from activities.intake.plans import take_plan
from activities.intake.senders import GgopSender, SenderRefused, sending_hospital
from activities.intake.settings import IntakeSettings
from activities.messaging.medcom import inbound_messages
from activities.messaging.medcom.ggop_envelope import MessageIds, read_ids
from activities.messaging.medcom.ggop_mapping import GgopNotMapped, plan_from_ggop
from activities.messaging.medcom.ggop_schema import GGOP_NAMESPACE, check_ggop
from activities.messaging.medcom.ggop_sections import message_sor_id
from activities.messaging.medcom.inbound_messages import InboundMessage, keep_answer
from activities.messaging.medcom.receipts import Original, RefuseCode, build_negative_receipt, build_positive_receipt
from activities.messaging.medcom.safe_xml import XmlRefused, parse_untrusted
from activities.platform.db import Pool
from activities.platform.tracing import current_trace_id
from workflows.domain.model import PlanRelation
from workflows.domain.plan.plan import PreviousPlan, RehabilitationPlan
from workflows.shell.identity import case_id_for_plan

logger = logging.getLogger("genoptraening.medcom")


# Called with the plan and its case id before the plan reaches its case (no plan without its row): the row names
# the citizen and the plan's home municipality, whose auditor reads it.
AccessRecorder = Callable[[RehabilitationPlan, str], Awaitable[None]]


@dataclass(frozen=True)
class GgopOutcome:
    """What became of a message: its HTTP status, the receipt (bytes as sent) and the case, if any."""

    status: int  # 201 new case, 200 known case; 422 not a GGOP taken, 409 letter id reused, 403, 413
    receipt: bytes | None
    case_id: str | None = None
    duplicate: bool = False
    envelope_id: str | None = None
    letter_id: str | None = None
    refuse_code: str | None = None
    detail: str | None = None  # why it was refused; never personal data

    @property
    def accepted(self) -> bool:
        return self.status < 400


def _original(ids: MessageIds) -> Original:
    assert ids.envelope_id and ids.sender_ean
    return Original(ids.envelope_id, ids.sender_ean, ids.receiver_ean or "", ids.letter_id, ids.version_code)


def _row(ids: MessageIds, sender: GgopSender, **fields: object) -> InboundMessage:
    assert ids.envelope_id and ids.sender_ean
    base = {
        "channel": sender.channel,
        "message_type": "GGOP",
        "sender_ean": ids.sender_ean,
        "receiver_ean": ids.receiver_ean,
        "envelope_id": ids.envelope_id,
        "letter_id": ids.letter_id or "",
        "sending_hospital_sor_id": None,
        "episode_of_care_id": None,
        "outcome": "refused",
        "case_id": None,
        "refuse_code": None,
        "refuse_text": None,
        "receipt": None,
        "receipt_kind": None,
    }
    return InboundMessage(**{**base, **fields})  # type: ignore[arg-type]


def _outcome(row: InboundMessage, *, duplicate: bool, created: bool = False) -> GgopOutcome:
    return GgopOutcome(
        status=201 if created else row.http_status,
        receipt=row.receipt,
        case_id=row.case_id,
        duplicate=duplicate,
        envelope_id=row.envelope_id,
        letter_id=row.letter_id or None,
        refuse_code=row.refuse_code,
        detail=row.refuse_text,
    )


def _default_recorder(sender: GgopSender, pool: Pool) -> AccessRecorder:
    async def recorded(plan: RehabilitationPlan, case_id: str) -> None:
        entry = AccessLogEntry.by(
            sender.identity,
            action=AccessAction.CREATE,
            purpose=Purpose.CASEWORK,
            outcome=AccessOutcome.ALLOWED,
            citizen_cpr=plan.patient.cpr,
            case_id=case_id,
            responsible_municipality_code=plan.home_municipality_code,
            # The mailbox poll's trace (its activity's log lines carry it), or at least the door it came through.
            correlation_id=current_trace_id() or f"medcom:{sender.channel}",
        )
        await record(pool, entry)

    return recorded


async def _refuse(
    pool: Pool, ids: MessageIds, sender: GgopSender, now: datetime, status: int, code: RefuseCode, text: str
) -> GgopOutcome:
    """A negative receipt naming the error, kept and queued; or, without ids to answer, no receipt at all."""
    logger.info("GGOP refused (%s, HTTP %s), envelope %s", code.value, status, ids.envelope_id or "unknown")
    if not ids.can_be_answered:
        return GgopOutcome(status=status, receipt=None, refuse_code=code.value, detail=text)
    receipt = build_negative_receipt(_original(ids), now, code, text)
    row = _row(
        ids,
        sender,
        http_status=status,
        refuse_code=code.value,
        refuse_text=text,
        receipt=receipt,
        receipt_kind="negative",
    )
    kept = await keep_answer(pool, row)
    return _outcome(kept, duplicate=kept is not row)


async def take_ggop_message(
    raw: bytes,
    *,
    sender: GgopSender,
    pool: Pool,
    client: Client,
    settings: IntakeSettings,
    record_access: AccessRecorder | None = None,
    now: datetime | None = None,
) -> GgopOutcome:
    """Take one GGOP message (bytes as received) and answer it; see the module's docstring for the rules.

    Raises `SenderRefused` when the message's sender is not the one the door vouches for (no receipt: the
    claimed sender may not have sent it), and `ProblemError` 503 when the case service cannot be reached
    (nothing is kept: the sender sends again, or the poller leaves the file for its next round)."""
    now = now or datetime.now(UTC)
    try:
        root = parse_untrusted(raw, max_bytes=settings.medcom_max_message_bytes)
    except XmlRefused as refused:
        logger.info("GGOP refused before reading (%s)", refused.reason.value)
        status = 413 if refused.reason.value == "too_large" else 422
        return GgopOutcome(status=status, receipt=None, refuse_code=RefuseCode.SYNTAX_ERROR.value, detail=str(refused))
    ids = read_ids(root)
    # The sender first: another hospital's ids get neither a case nor a stored receipt back.
    sor_id, unknown_sender = None, None
    if ids.sender_ean:
        try:
            sor_id = sending_hospital(sender, ids, message_sor_id(root), settings)
        except SenderRefused as refused:
            if refused.refuse_code is None:
                raise
            unknown_sender = refused
    if ids.can_be_answered:
        assert ids.envelope_id and ids.sender_ean
        known = await inbound_messages.find_message(pool, ids.sender_ean, ids.envelope_id, ids.letter_id)
        if known is not None:
            # MedCom: the identical receipt, nothing shown twice, one line in the system log.
            logger.info("GGOP duplicate: envelope %s, letter %s answered again", ids.envelope_id, ids.letter_id)
            return _outcome(known, duplicate=True)
    problems = check_ggop(root)
    if problems:
        wrong_version = root.tag != "{" + GGOP_NAMESPACE + "}Emessage"
        code = RefuseCode.VERSION_PROBLEM if wrong_version else RefuseCode.SYNTAX_ERROR
        text = "; ".join(str(problem) for problem in problems)
        return await _refuse(pool, ids, sender, now, 422, code, text)
    if unknown_sender is not None or sor_id is None:
        code = unknown_sender.refuse_code if unknown_sender and unknown_sender.refuse_code else RefuseCode.NOT_SPECIFIED
        return await _refuse(pool, ids, sender, now, 403, code, str(unknown_sender or "no sender"))
    return await _take_plan(root, raw, ids, sor_id, sender, pool, client, settings, record_access, now)


def _mapping_refusal(error: GgopNotMapped) -> RefuseCode:
    receiver = any(problem.path.startswith("RehabilitationPlan/Receiver") for problem in error.problems)
    return RefuseCode.RECEIVER_ID_PROBLEM if receiver else RefuseCode.NOT_SPECIFIED


async def _take_plan(
    root: etree._Element,
    raw: bytes,
    ids: MessageIds,
    sor_id: str,
    sender: GgopSender,
    pool: Pool,
    client: Client,
    settings: IntakeSettings,
    record_access: AccessRecorder | None,
    now: datetime,
) -> GgopOutcome:
    try:
        mapped = plan_from_ggop(root, sending_hospital_sor_id=sor_id, settings=settings)
    except GgopNotMapped as error:
        return await _refuse(pool, ids, sender, now, 422, _mapping_refusal(error), str(error))
    plan, episode = mapped.plan, mapped.episode_of_care_id
    if settings.ggop_same_episode_replaces and episode is not None:
        earlier = await inbound_messages.letter_replaced_by_episode(pool, sor_id, episode.compact, plan.plan_id)
        if earlier is not None:
            link = PreviousPlan(plan_id=earlier, relation=PlanRelation.REPLACES)
            plan = plan.model_copy(update={"previous_plan": link})
    # As POST /plans: the access-log row before the plan reaches a case, naming the case its id derives.
    await (record_access or _default_recorder(sender, pool))(plan, case_id_for_plan(sor_id, plan.plan_id))
    try:
        received = await take_plan(plan, sender=sender.identity, pool=pool, client=client, settings=settings)
    except ProblemError as problem:
        if problem.status >= 500:
            raise
        return await _refuse(
            pool, ids, sender, now, problem.status, RefuseCode.NOT_SPECIFIED, problem.detail or problem.title
        )
    receipt = build_positive_receipt(_original(ids), now) if ids.wants_positive_receipt else None
    row = _row(
        ids,
        sender,
        sending_hospital_sor_id=sor_id,
        episode_of_care_id=episode.compact if episode else None,
        outcome="accepted",
        case_id=received.state.case_id,
        http_status=200,
        receipt=receipt,
        receipt_kind="positive" if receipt else None,
    )
    kept = await keep_answer(pool, row, raw=raw, cpr=plan.patient.cpr)
    logger.info("GGOP envelope %s, letter %s: case %s", ids.envelope_id, ids.letter_id, received.state.case_id)
    return _outcome(kept, duplicate=kept is not row, created=received.created and kept is row)
