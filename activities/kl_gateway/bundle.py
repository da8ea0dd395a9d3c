"""A DeliveryReport bundle (profile klgateway-140-delivery-report) of chosen resources, the citizen first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from activities.kl_gateway import codes
from activities.kl_gateway.resources import BuiltResource


def delivery_report(report_id: str, resources: Sequence[BuiltResource], timestamp: datetime) -> dict[str, Any]:
    ordered = sorted(resources, key=lambda built: built.resource_type != "Patient")
    bundle = Bundle(
        id=report_id,
        meta={"profile": [codes.PROFILE_REPORT]},
        type="collection",
        timestamp=timestamp.isoformat(),
        entry=[{"fullUrl": built.reference, "resource": built.body} for built in ordered],
    )
    body: dict[str, Any] = bundle.model_dump(mode="json", exclude_none=True)
    return body
