"""What a MedCom GGOP plan carries beyond the service's own JSON plan: kept on the plan so the caseworker sees
it and later messages can refer to it. Every field is optional (`None` when the sender did not give it), and
`workflows.domain.decisions.intake` leaves unset ones out of the plan's fingerprint.

Element names are GGOP's (namespace urn:oio:medcom:municipality:1.0.4); docs/medcom.md maps them one by one.
"""

from __future__ import annotations

import uuid
from datetime import date, time
from typing import Annotated

from pydantic import ConfigDict, Field, model_validator

from workflows.domain.inputs import NulFree

Short = Annotated[str, Field(min_length=1, max_length=200)]
Long = Annotated[str, Field(min_length=1, max_length=20000)]
Ean = Annotated[str, Field(pattern=r"^\d{8,14}$", description="EAN location number (GLN)")]


class _Detail(NulFree):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class PostalAddress(_Detail):
    street: Short | None = None
    suburb: Short | None = None
    district: Short | None = None
    postcode: Short | None = None


class Phone(_Detail):
    number: Short
    kind: Short | None = Field(default=None, description="GGOP TelephoneSubscriberCode: mobil, fastnet, arbejde")


class Organisation(_Detail):
    """A hospital department, municipality, region or practice as MedCom addresses it."""

    ean: Ean | None = None
    identifier: Short | None = None
    identifier_code: Short | None = Field(
        default=None, description="What `identifier` is: sygehusafdelingsnummer, kommunenummer, ydernummer, ..."
    )
    name: Short | None = None
    department: Short | None = None
    unit: Short | None = None
    address: PostalAddress | None = None
    phone: Short | None = None


class PlanSender(_Detail):
    """The hospital department that sent a GGOP (its EAN receives the receipts)."""

    ean: Ean
    department_number: Short | None = Field(default=None, description="Sygehusafdelingsnummer")
    sor_id: Short | None = Field(default=None, description="SOR id, where the message names one")
    organisation: Organisation


class PatientContact(_Detail):
    address: PostalAddress | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=20)
    no_phone_reason: Short | None = None
    email: Short | None = None
    occupation: Short | None = None
    co_address: Long | None = Field(default=None, description="c/o name and address, as one text")


class Relative(_Detail):
    relation: Short | None = Field(default=None, description="GGOP RelationCode: aegtefaelle, ...")
    name: Short | None = None
    address: PostalAddress | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=20)
    email: Short | None = None


class HospitalContact(_Detail):
    """The current hospital stay (GGOP CurrentHospitalContact); its expected end is the discharge."""

    start_date: date | None = None
    start_time: time | None = None
    expected_end_date: date | None = None
    expected_end_time: time | None = None
    expected_end_text: Long | None = None


class AmbulatoryControl(_Detail):
    """A control at the hospital after discharge (GGOP HospitalAmbulatoryControl)."""

    expected_start_date: date | None = None
    expected_start_time: time | None = None
    expected_start_text: Long | None = None
    location: Organisation | None = None


class CodedText(_Detail):
    code: Short
    type_code: Short | None = None
    text: Annotated[str, Field(max_length=4000)] | None = None


class IcfClassification(_Detail):
    code: CodedText
    gradient: CodedText | None = None


class EpisodeOfCareId(_Detail):
    """MedCom: a follow-up message returns the episode-of-care id; FHIR writes the UUID with hyphens, OIOXML
    without, and a system must know both forms. Both are kept, as the same UUID."""

    hyphenated: Annotated[str, Field(pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")]
    compact: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]

    @classmethod
    def of(cls, text: str) -> EpisodeOfCareId:
        """Either form, in any case; `ValueError` if it is no UUID."""
        value = uuid.UUID(text.strip())
        return cls(hyphenated=str(value), compact=value.hex)

    @model_validator(mode="after")
    def _same_uuid(self) -> EpisodeOfCareId:
        if self.hyphenated.replace("-", "") != self.compact:
            raise ValueError("hyphenated and compact must be the same UUID")
        return self


class MedComLetter(_Detail):
    """The GGOP letter the plan came in: its codes as sent, for the caseworker and for follow-up messages."""

    letter_id: Short
    version_code: Short
    statistical_code: Short | None = Field(default=None, description="GGOP1/GGOP2/GGOP3 (meaning uncertain)")
    plan_type: Short | None = Field(default=None, description="TypeOfRehabilitationPlan as sent")
    authorised_on: date
    authorised_at: time | None = None
    episode_of_care_id: EpisodeOfCareId | None = None


class HospitalTexts(_Detail):
    """Free texts of the plan, kept as plain text (GGOP's Bold/Italic become plain text, Break a line break)."""

    patient_health_summary: Long | None = None
    ability_at_discharge_extended: Long | None = None
    rehabilitation_need_and_potential: Long | None = None
    information_for_patient_and_relatives: Long | None = None
    practical_information: Long | None = None
    patient_safety_aspects: Long | None = None
