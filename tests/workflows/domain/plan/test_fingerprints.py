"""A plan stored before fields were added to it keeps its fingerprint: a resend of an old plan must still be
recognised as the same plan (workflows.domain.decisions.intake `_LATER_PLAN_FIELDS`).

The saved workflow histories (tests/histories/) hold plans and the fingerprints computed when they were
recorded; today's code must compute the same ones."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.paths import HISTORIES
from workflows.domain.decider import plan_fingerprint
from workflows.domain.plan.plan import RehabilitationPlan


def _payloads(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        if "data" in node and "metadata" in node:
            try:
                yield json.loads(base64.b64decode(node["data"]))
            except (binascii.Error, ValueError):
                pass
        for value in node.values():
            yield from _payloads(value)
    elif isinstance(node, list):
        for value in node:
            yield from _payloads(value)


def _stored_plans(node: Any) -> Iterator[tuple[dict[str, Any], str]]:
    if isinstance(node, dict):
        if isinstance(node.get("plan"), dict) and isinstance(node.get("plan_fingerprint"), str):
            yield node["plan"], node["plan_fingerprint"]
        for value in node.values():
            yield from _stored_plans(value)
    elif isinstance(node, list):
        for value in node:
            yield from _stored_plans(value)


def _cases() -> list[tuple[str, dict[str, Any], str]]:
    found: dict[str, tuple[str, dict[str, Any], str]] = {}
    for history in sorted(HISTORIES.glob("*.json")):
        for payload in _payloads(json.loads(history.read_text())):
            for plan, fingerprint in _stored_plans(payload):
                found.setdefault(fingerprint, (history.stem, plan, fingerprint))
    return list(found.values())


CASES = _cases()


def test_the_histories_hold_stored_plans() -> None:
    assert len(CASES) >= 3


@pytest.mark.parametrize(("history", "plan", "fingerprint"), CASES, ids=[f"{c[0]}-{c[2][:8]}" for c in CASES])
def test_a_stored_plan_keeps_its_fingerprint(history: str, plan: dict[str, Any], fingerprint: str) -> None:
    assert plan_fingerprint(RehabilitationPlan.model_validate(plan)) == fingerprint
