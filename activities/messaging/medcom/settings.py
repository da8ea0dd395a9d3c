"""The MedCom block of the settings (MEDCOM_*, GGOP_*): the message size limit, who may send GGOP plans, and
the tables that turn GGOP codes into the plan's level. `activities.runtime.settings.Settings` inherits them.

The GGOP code lists are not public in full (docs/medcom.md, "Uncertain"): the tables below are what the public
example message and KL's Gateway Rehab guide suggest, kept here as configuration so a deployment corrects them
without a code change.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings

from workflows.domain.model import Level

# TypeOfRehabilitationPlan (GGOP 1.0) -> level. The example message has `specialiseret`; the other codes are
# the levels of BEK om genoptræningsplaner §2 as KL Gateway Rehab names them [UNCERTAIN: the full code list].
DEFAULT_PLAN_TYPE_LEVELS: dict[str, Level] = {
    "almen": Level.ALMEN,
    "almen_basal": Level.ALMEN,
    "almen_avanceret": Level.ALMEN,
    "specialiseret": Level.SPECIALISERET,
    "rehabilitering": Level.REHABILITERING_SPECIALISERET,
    "rehabilitering_specialiseret": Level.REHABILITERING_SPECIALISERET,
    "rehabilitering_paa_specialiseret_niveau": Level.REHABILITERING_SPECIALISERET,
}
# Letter/StatisticalCode -> level, used only when TypeOfRehabilitationPlan is missing or unknown. The example
# pairs GGOP2 with `specialiseret` [UNCERTAIN: what GGOP1/2/3 stand for].
DEFAULT_STATISTICAL_CODE_LEVELS: dict[str, Level] = {
    "GGOP1": Level.ALMEN,
    "GGOP2": Level.SPECIALISERET,
    "GGOP3": Level.REHABILITERING_SPECIALISERET,
}


class MedComSettings(BaseSettings):
    medcom_max_message_bytes: int = Field(
        default=2 * 1024 * 1024,
        ge=1024,
        le=50 * 1024 * 1024,
        description="Largest MedCom message taken (POST /medcom/ggop and the VANS inbound directory), checked "
        "before it is parsed",
    )
    medcom_sender_sor_by_ean: dict[str, str] = Field(
        default_factory=dict,
        description="JSON object: a hospital department's EAN location number -> its hospital's SOR id. A GGOP "
        "is taken only from a sender whose EAN maps to the SOR id of the hospital token that sends it (or, "
        "from the VANS inbound directory, to the SOR id the plan's case is recorded under), unless the message "
        "names that SOR id itself",
    )
    ggop_plan_type_levels: dict[str, Level] = Field(
        default_factory=lambda: dict(DEFAULT_PLAN_TYPE_LEVELS),
        description="JSON object: GGOP TypeOfRehabilitationPlan code -> level (almen, specialiseret, "
        "rehabilitering_specialiseret)",
    )
    ggop_statistical_code_levels: dict[str, Level] = Field(
        default_factory=lambda: dict(DEFAULT_STATISTICAL_CODE_LEVELS),
        description="JSON object: GGOP Letter/StatisticalCode -> level, used when the plan type is missing or unknown",
    )
    ggop_same_episode_replaces: bool = Field(
        default=True,
        description="A GGOP with a new letter id for an episode of care that an earlier plan from the same "
        "hospital already named replaces that plan (its case goes on with the new one)",
    )
