"""Stable identities: a plan maps to one case, a case to one workflow. No personal data in either."""

from __future__ import annotations

import uuid

_CASE_NAMESPACE = uuid.UUID("5b0c1f7e-4d3a-4f38-9a55-6c1f2b8e7d10")


def case_id_for_plan(sending_hospital_sor_id: str, plan_id: str) -> str:
    """The same plan from the same hospital always gives the same case (idempotent intake)."""
    return str(uuid.uuid5(_CASE_NAMESPACE, f"{sending_hospital_sor_id}/{plan_id}"))


def workflow_id_for_case(case_id: str) -> str:
    return f"case-{case_id}"
