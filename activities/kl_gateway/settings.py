"""The KL Gateway block of the settings (KL_GATEWAY_*); `activities.runtime.settings.Settings` inherits it.

The service has no SOR codes of its own for municipalities or for the providers in its register, and the
guide requires one for the record-keeping municipality (Patient.managingOrganization) and for every
organisation: they are configuration. A citizen whose report would need a missing code is not reported (the
run names the case and the rule) rather than reported with an invented code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, StringConstraints
from pydantic_settings import BaseSettings

SorCode = Annotated[str, StringConstraints(pattern=r"^\d{6,18}$")]
Code = Annotated[str, StringConstraints(pattern=r"^[1-8]\d{2}$")]


class KlGatewaySettings(BaseSettings):
    kl_gateway_municipality_sor_ids: dict[Code, SorCode] = Field(
        default_factory=dict,
        description="JSON: municipality code -> SOR code of the organisation that keeps the record "
        "(Patient.managingOrganization); the schedule reports for these municipalities",
    )
    kl_gateway_provider_sor_ids: dict[str, SorCode] = Field(
        default_factory=dict,
        description="JSON: provider_id of the provider register -> the provider's SOR code (CarePlan performer)",
    )
    kl_gateway_report_interval_hours: int = Field(
        default=24, ge=1, le=24 * 31, description="How often the schedule builds and sends every municipality's report"
    )
    kl_gateway_dir: Path | None = Field(
        default=None, description="Where the embedded transport drops bundles. Unset: DATA_DIR/kl-gateway"
    )

    def kl_gateway_root(self, data_dir: Path) -> Path:
        return self.kl_gateway_dir or data_dir / "kl-gateway"
