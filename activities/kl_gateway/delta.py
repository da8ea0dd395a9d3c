"""What a citizen's next report holds: the resources that changed since the last accepted report, the ones
that were reported but are no longer true (re-reported as entered-in-error), and what those reference.

KL Gateway Rehab ("DeliveryReport", and the example's eighth report): only changed content and what it
references is sent; an error is corrected by reporting the same resource again with entered-in-error.
Pure: the caller passes the keyed hash and what was reported before.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from activities.kl_gateway import codes
from activities.kl_gateway.resources import BuiltResource
from activities.kl_gateway.rules import references


@dataclass(frozen=True)
class Reported:
    """The last accepted version of a resource: its content hash, its body, and whether it was withdrawn."""

    content_hash: str
    body: dict[str, Any]
    case_id: str | None
    entered_in_error: bool


@dataclass(frozen=True)
class Delta:
    resources: list[BuiltResource]  # what the report holds, the citizen first
    changed: frozenset[str]  # ids whose content is new or corrected
    withdrawn: frozenset[str]  # ids re-reported as entered-in-error


def canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entered_in_error(body: dict[str, Any]) -> dict[str, Any]:
    """The resource as reported before, marked as reported in error (the element each profile uses)."""
    withdrawn = copy.deepcopy(body)
    kind = withdrawn["resourceType"]
    if kind in ("ServiceRequest", "CarePlan", "Encounter"):
        withdrawn["status"] = "entered-in-error"
    elif kind == "Condition":
        coding = {"system": codes.CONDITION_VERIFICATION, "code": "entered-in-error"}
        withdrawn["verificationStatus"] = {"coding": [coding]}
    else:  # Patient, Organization: "harAktivJournal, bruges til fejlregistrering"
        withdrawn["active"] = False
    return withdrawn


def delta(
    current: list[BuiltResource],
    previous: Mapping[str, Reported],
    content_hash: Callable[[bytes], str],
    scope_cases: Collection[str],
) -> Delta | None:
    """None when nothing changed since the last accepted report.

    `current` holds what the cases in `scope_cases` give now; a resource reported before from one of those cases
    that they no longer give is withdrawn. Resources of the citizen's other cases are left alone (they were not
    looked at), and so are organisations and the citizen (they are never wrong, at most unreferenced)."""
    by_id = {built.resource_id: built for built in current}
    changed = {
        built.resource_id
        for built in current
        if (before := previous.get(built.resource_id)) is None
        or before.entered_in_error
        or before.content_hash != content_hash(canonical(built.body))
    }
    for rid, before in previous.items():
        if rid not in by_id and not before.entered_in_error and before.case_id in scope_cases:
            body = entered_in_error(before.body)
            by_id[rid] = BuiltResource(body["resourceType"], rid, before.case_id, body)
    withdrawn = {rid for rid in by_id if rid not in {built.resource_id for built in current}}
    if not changed and not withdrawn:
        return None
    chosen: dict[str, BuiltResource] = {}
    queue = [*(built.resource_id for built in current if built.resource_type == "Patient"), *changed, *withdrawn]
    while queue:
        rid = queue.pop()
        if rid in chosen:
            continue
        found = by_id.get(rid) or _as_reported(rid, previous.get(rid))
        if found is None:
            continue  # the rules refuse a reference that leaves the bundle
        chosen[rid] = found
        queue += [ref.removeprefix("urn:uuid:") for ref in references(found.body)]
    ordered = sorted(chosen.values(), key=lambda built: (built.resource_type != "Patient", built.resource_id))
    return Delta(ordered, frozenset(changed), frozenset(withdrawn))


def _as_reported(rid: str, before: Reported | None) -> BuiltResource | None:
    """A resource referenced by what goes out but not built now (an organisation of a withdrawn course, a
    resource of a case not looked at): sent again as it was last accepted."""
    if before is None:
        return None
    return BuiltResource(before.body["resourceType"], rid, before.case_id, before.body)
