"""The letters an application owes, rendered from its own events: the letter of each decision, with the legal
basis and the klagevejledning the decision event carries."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import psycopg

from activities.messaging.case_messages import NothingToQueue, case_reference, letter_message, letter_sender
from activities.messaging.letters.texts import decision
from activities.messaging.settings import TransportSettings
from activities.platform.db import Pool
from activities.store.eventstore import EventStore
from workflows.contracts.messaging import QueueApplicationMessage
from workflows.domain.applications.events import ApplicationEvent, ApplicationReceived, DecisionMade
from workflows.domain.applications.model import DecisionOutcome
from workflows.domain.messaging.model import MessageKind, OutboundMessage


async def application_events(pool: Pool, application_id: str) -> list[ApplicationEvent]:
    stored = await EventStore(pool).read_application_stream(application_id)
    if not stored:
        raise NothingToQueue("the application has no events yet")
    return [event.event for event in stored]


async def render_application_message(
    conn: psycopg.AsyncConnection[Any],
    events: list[ApplicationEvent],
    request: QueueApplicationMessage,
    settings: TransportSettings,
    today: date,
) -> OutboundMessage:
    if request.kind is not MessageKind.LETTER_DECISION:
        raise NothingToQueue(f"an application does not send {request.kind.value}")
    received = next((e for e in events if isinstance(e, ApplicationReceived)), None)
    decisions = [e for e in events if isinstance(e, DecisionMade)]
    if received is None or len(decisions) < request.decision:
        raise NothingToQueue("the decision is not in the application's stream (yet)")
    made = decisions[request.decision - 1]
    citizen = received.application.citizen
    sender = await letter_sender(conn, received.application.municipality_code, settings)
    letter = decision(
        citizen.name,
        sender,
        case_reference(request.application_id),
        today,
        granted=made.outcome is DecisionOutcome.GRANTED,
        citation=made.legal_reference.citation,
        period=(made.period_from, made.period_to) if made.period_from and made.period_to else None,
        reason=made.reason,
        appeal_text=made.appeal_guidance.text,
    )
    return letter_message(
        letter, request.message_id, citizen.cpr, settings, datetime.now(UTC), application_id=request.application_id
    )
