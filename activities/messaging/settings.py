"""The transports block of the settings (VANS_*, DIGITAL_POST_*, MESSAGE_*, MEDCOM_*RESEND*, OUTBOX_*,
INBOX_*, MAILROOM_*): where the embedded transports keep their files, whom the service forwards plans to, how
long the sender tries and waits before it resends a MedCom message, and how often the mailroom looks for work.
`activities.runtime.settings.Settings` inherits them.

The embedded defaults put everything under DATA_DIR (`.data/vans`, `.data/digital-post`); a deployment with a
real VANS client points VANS_DIR at that client's mailbox, and one with a Digital Post connection replaces the
spool transport (docs/medcom.md, "Transports").
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings

from activities.platform.startup_checks import StartupError

PLACEHOLDER_SENDER_CVR = "00000000"


class PlanForwardingSettings(BaseSettings):
    """Whom the service forwards plans to: read by the sender, and by the intake, whose case decides at once that
    a copy nobody forwards is withheld (workflows.domain.decisions.distribution)."""

    medcom_plan_forward_eans: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object: municipality code -> the EAN of its own EHR's mailbox. A plan is forwarded over "
        "MedCom only where a code is listed; elsewhere the copy is withheld (not_forwarded), never claimed sent",
    )

    @field_validator("medcom_plan_forward_eans")
    @classmethod
    def _eans(cls, value: dict[str, str]) -> dict[str, str]:
        for code, ean in value.items():
            if not (len(code) == 3 and code.isdigit() and len(ean) == 13 and ean.isdigit()):
                raise ValueError("MEDCOM_PLAN_FORWARD_EANS maps 3-digit municipality codes to 13-digit EANs")
        return value


class SenderContact(BaseModel):
    """One municipality as its letters name it: full name, postal address and how the citizen reaches it."""

    name: str = Field(min_length=1, max_length=200, description='The full name, e.g. "Frederiksberg Kommune"')
    unit: str | None = Field(default=None, max_length=200, description="The unit that writes, e.g. Genoptræning")
    address: str = Field(min_length=1, max_length=200, description='e.g. "Smallegade 1, 2000 Frederiksberg"')
    phone: str = Field(min_length=1, max_length=40)
    email: str | None = Field(default=None, max_length=200)
    web: str | None = Field(default=None, max_length=200)


class TransportSettings(PlanForwardingSettings):
    vans_dir: Path | None = Field(
        default=None,
        description="The VANS mailbox: outbound/<EAN>/ is written, inbound/ is read (processed/ and failed/ "
        "beside it). Unset: DATA_DIR/vans",
    )
    digital_post_spool_dir: Path | None = Field(
        default=None,
        description="Where the embedded Digital Post transport spools letters. Unset: DATA_DIR/digital-post",
    )
    digital_post_sender_id: str = Field(
        default=PLACEHOLDER_SENDER_CVR,
        pattern=r"^\d{8}$",
        description="The municipality's CVR number as the sender of its letters (MeMo Sender, idType CVR). The "
        "default is a placeholder: the worker refuses to start with it unless DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER",
    )
    letter_sender_contacts: dict[str, SenderContact] = Field(
        default_factory=dict,
        description="JSON object: municipality code -> {name, unit?, address, phone, email?, web?}, the sender "
        "block of that municipality's letters. Required outside `make run` and tests (with the real sender CVR)",
    )
    digital_post_allow_placeholder_sender: bool = Field(
        default=False,
        description="Let the worker send letters as the placeholder CVR 00000000: for `make run` (which sets it "
        "unless DIGITAL_POST_SENDER_ID is set) and tests, never a deployment",
    )
    digital_post_sender_label: str = Field(default="Kommunens genoptræning", min_length=1, max_length=200)
    message_give_up_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 30,
        description="How long the sender keeps trying (and waits for a MedCom receipt) before it records "
        "MessageDeliveryFailed on the case",
    )
    # MedCom's reliable messaging (medcomdk/MedCom-FHIR-Communication): a sender may resend after 30 minutes,
    # at most twice, each time with a new envelope id.
    medcom_resend_after_minutes: float = Field(
        default=30.0,
        gt=0,
        le=24 * 60,
        description="How long a MedCom message waits for its receipt before the sender resends it with a new "
        "envelope id (within MESSAGE_GIVE_UP_HOURS)",
    )
    medcom_automatic_resends: int = Field(
        default=2,
        ge=0,
        le=10,
        description="How many times the sender resends a MedCom message that got no receipt (0: never); "
        "MessageDeliveryFailed (not_acknowledged) still comes at MESSAGE_GIVE_UP_HOURS",
    )
    # The worker's watcher (activities/messaging/watcher.py) looks for work locally and starts the sweep or the
    # poll only when it finds some: an idle deployment costs no Temporal work between the safety schedule's runs.
    outbox_sweep_seconds: int = Field(
        default=10,
        ge=1,
        le=3600,
        description="How often the worker looks for messages queued outside a workflow (one indexed query, no "
        "Temporal work); one found starts the outbox-sweep workflow",
    )
    inbox_poll_seconds: int = Field(
        default=5,
        ge=1,
        le=3600,
        description="How often the worker looks into the VANS inbound directory (a directory listing, no Temporal "
        "work); a file found starts the vans-inbox-poll workflow",
    )
    # At least an hour: the two schedules then cost at most 2 x 24 x 3 = 144 Temporal actions a day, inside the
    # idle budget of 300 (issue 18) with the retention and KL schedules.
    mailroom_schedule_minutes: int = Field(
        default=180,
        ge=60,
        le=24 * 60,
        description="How often the outbox-sweep and vans-inbox-poll Temporal Schedules run whether or not the "
        "watcher saw work: the safety net for anything it missed",
    )

    @field_validator("letter_sender_contacts")
    @classmethod
    def _contact_codes(cls, value: dict[str, SenderContact]) -> dict[str, SenderContact]:
        if not all(len(code) == 3 and code.isdigit() for code in value):
            raise ValueError("LETTER_SENDER_CONTACTS is keyed by 3-digit municipality codes")
        return value

    def require_real_sender(self) -> None:
        """StartupError while the letters' sender is the placeholder CVR, or names no address, and no throw-away
        setup allows it: Digital Post would reject (or misattribute) letters from 00000000, and a citizen could not
        tell whom to answer."""
        if self.digital_post_allow_placeholder_sender:
            return
        problems = []
        if self.digital_post_sender_id == PLACEHOLDER_SENDER_CVR:
            problems.append(
                f"DIGITAL_POST_SENDER_ID is the placeholder {PLACEHOLDER_SENDER_CVR}: set it to the municipality's "
                "CVR number (8 digits)"
            )
        if not self.letter_sender_contacts:
            problems.append("LETTER_SENDER_CONTACTS is not set: letters would carry no address or contact details")
        if problems:
            problems.append("only `make run` and tests set DIGITAL_POST_ALLOW_PLACEHOLDER_SENDER=true")
            raise StartupError("; ".join(problems))

    @property
    def give_up_after(self) -> timedelta:
        return timedelta(hours=self.message_give_up_hours)

    @property
    def medcom_resend_after(self) -> timedelta:
        return timedelta(minutes=self.medcom_resend_after_minutes)

    def vans_root(self, data_dir: Path) -> Path:
        return self.vans_dir or data_dir / "vans"

    def spool_root(self, data_dir: Path) -> Path:
        return self.digital_post_spool_dir or data_dir / "digital-post"
