"""The decider's rules for who works on a case and its notes (workflows/domain/decisions/casework.py), one table
row each: the case as it stands, the command, and the events it causes or the refusal (its kind and field)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.support.domain_helpers import state_at
from tests.support.factories import at, make_command, make_plan
from workflows.domain.case_state import CaseState
from workflows.domain.casework.model import (
    AddNote,
    AssignCase,
    CaseworkCommand,
    CaseworkerRef,
    ClaimCase,
    HandOnCase,
    ReleaseCase,
    TeamRef,
)
from workflows.domain.commands import ReceivePlan
from workflows.domain.decider import decide
from workflows.domain.decisions.core import CommandRejected, Rejection
from workflows.domain.events import PlanReceived
from workflows.domain.model import CaseStatus
from workflows.domain.state import evolve

NOW = at("2026-11-18")
HOME = "101"  # the factories' plan's home municipality


def worker(subject: str, team: str | None = "visitation", municipality: str = HOME) -> CaseworkerRef:
    return CaseworkerRef(subject=subject, municipality_code=municipality, team=team)


def team(name: str, municipality: str = HOME) -> TeamRef:
    return TeamRef(team=name, municipality_code=municipality)


def assign(ref: CaseworkerRef, reason: str | None = None) -> AssignCase:
    return make_command(AssignCase, assignee=ref, reason=reason)


def claim(ref: CaseworkerRef) -> ClaimCase:
    return make_command(ClaimCase, caseworker=ref)


def hand_on(to_caseworker: CaseworkerRef | None = None, to_team: TeamRef | None = None) -> HandOnCase:
    return make_command(HandOnCase, to_caseworker=to_caseworker, to_team=to_team, reason="Ferie")


def release() -> ReleaseCase:
    return make_command(ReleaseCase, reason=None)


def note(note_id: str, corrects: str | None = None) -> AddNote:
    return make_command(AddNote, note_id=note_id, text="Ringede; intet svar.", corrects_note_id=corrects)


@dataclass(frozen=True)
class Row:
    name: str
    command: CaseworkCommand
    holder: tuple[str | None, str | None] = (None, None)  # (assignee, team) before the command
    notes: tuple[str, ...] = ()
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (type, fields it must have)
    refused: tuple[Rejection, str | None] | None = None  # (kind, field)
    status: CaseStatus | None = None


ROWS = [
    # Assignment: anyone's case goes to a caseworker of the case's municipality, in their team or the case's.
    Row(
        "assign a case nobody holds",
        assign(worker("anna"), "Fordeling"),
        events=[("CaseAssigned", {"assignee": "anna", "team": "visitation", "previous_assignee": None})],
    ),
    Row(
        "assign a held case to another",
        assign(worker("bo", team=None)),
        holder=("anna", "syd"),
        events=[
            ("CaseAssigned", {"assignee": "bo", "team": "syd", "previous_assignee": "anna", "previous_team": "syd"})
        ],
    ),
    Row("assign to whoever holds it: nothing", assign(worker("anna")), holder=("anna", "visitation")),
    Row(
        "assign to another municipality's caseworker",
        assign(worker("x", municipality="147")),
        refused=(Rejection.INVALID, "assignee"),
    ),
    Row(
        "assign a closed case", assign(worker("anna")), status=CaseStatus.CLOSED, refused=(Rejection.CASE_CLOSED, None)
    ),
    # Claim: only a case nobody holds; a repeat is harmless.
    Row(
        "claim a case nobody holds",
        claim(worker("anna")),
        events=[("CaseClaimed", {"assignee": "anna", "team": "visitation"})],
    ),
    Row(
        "claim keeps the case's team when the claimant has none",
        claim(worker("anna", team=None)),
        holder=(None, "syd"),
        events=[("CaseClaimed", {"assignee": "anna", "team": "syd"})],
    ),
    Row("claim a case you hold: nothing", claim(worker("anna")), holder=("anna", "visitation")),
    Row(
        "claim another's case",
        claim(worker("bo")),
        holder=("anna", "visitation"),
        refused=(Rejection.NOT_ALLOWED_NOW, None),
    ),
    Row(
        "claim by another municipality's caseworker",
        claim(worker("x", municipality="147")),
        refused=(Rejection.INVALID, "caseworker"),
    ),
    # Hand-on: from whoever holds it, to somewhere else, with a reason.
    Row(
        "hand on to a caseworker",
        hand_on(to_caseworker=worker("bo", team="syd")),
        holder=("anna", "visitation"),
        events=[("CaseHandedOn", {"assignee": "bo", "team": "syd", "reason": "Ferie", "previous_assignee": "anna"})],
    ),
    Row(
        "hand on to a team's unassigned cases",
        hand_on(to_team=team("syd")),
        holder=("anna", "visitation"),
        events=[("CaseHandedOn", {"assignee": None, "team": "syd", "previous_team": "visitation"})],
    ),
    Row(
        "hand on naming nobody", hand_on(), holder=("anna", "visitation"), refused=(Rejection.INVALID, "to_caseworker")
    ),
    Row("hand on a case nobody holds", hand_on(to_team=team("syd")), refused=(Rejection.NOT_ALLOWED_NOW, None)),
    Row(
        "hand on to where it is",
        hand_on(to_team=team("visitation")),
        holder=(None, "visitation"),
        refused=(Rejection.INVALID, "to_caseworker"),
    ),
    Row(
        "hand on to another municipality's team",
        hand_on(to_team=team("syd", "147")),
        holder=("anna", "visitation"),
        refused=(Rejection.INVALID, "to_team"),
    ),
    Row(
        "hand on to another municipality's caseworker",
        hand_on(to_caseworker=worker("x", municipality="147")),
        holder=("anna", "visitation"),
        refused=(Rejection.INVALID, "to_caseworker"),
    ),
    # Release: back to the team; a case nobody holds is released already.
    Row(
        "release a held case",
        release(),
        holder=("anna", "visitation"),
        events=[("CaseReleased", {"assignee": None, "team": "visitation", "previous_assignee": "anna"})],
    ),
    Row("release a case nobody holds: nothing", release(), holder=(None, "visitation")),
    # Notes: added, never edited; a correction names a note the case has.
    Row("add a note", note("n1"), events=[("NoteAdded", {"note_id": "n1", "corrects_note_id": None})]),
    Row(
        "correct a note",
        note("n2", corrects="n1"),
        notes=("n1",),
        events=[("NoteAdded", {"note_id": "n2", "corrects_note_id": "n1"})],
    ),
    Row("a note id used before", note("n1"), notes=("n1",), refused=(Rejection.INVALID, "note_id")),
    Row(
        "correct a note the case lacks",
        note("n2", corrects="n9"),
        notes=("n1",),
        refused=(Rejection.INVALID, "corrects_note_id"),
    ),
]


def _state(row: Row) -> CaseState:
    assignee, holding_team = row.holder
    update: dict[str, Any] = {"assignee": assignee, "team": holding_team, "note_ids": list(row.notes)}
    if row.status is not None:
        update["status"] = row.status
    return state_at("distributed").model_copy(update=update)


@pytest.mark.parametrize("row", ROWS, ids=[row.name for row in ROWS])
def test_casework_rule(row: Row) -> None:
    state = _state(row)
    if row.refused is not None:
        with pytest.raises(CommandRejected) as refused:
            decide(state, row.command, NOW)
        assert (refused.value.kind, refused.value.field) == row.refused
        return
    events = decide(state, row.command, NOW)
    assert [event.type for event in events] == [kind for kind, _ in row.events]
    for event, (_, expected) in zip(events, row.events, strict=True):
        assert {name: getattr(event, name) for name in expected} == expected


def test_the_events_fold_into_who_holds_the_case_and_its_notes() -> None:
    state = state_at("distributed")
    for command in (claim(worker("anna")), hand_on(to_caseworker=worker("bo", team="syd")), note("n1"), release()):
        for event in decide(state, command, NOW):
            state = evolve(state, event)
    assert (state.assignee, state.team, state.note_ids) == (None, "syd", ["n1"])


@pytest.mark.parametrize(
    ("intake_team", "expected_team"),
    [("modtagelse", "modtagelse"), (None, None)],
    ids=["the-municipality-names-an-intake-team", "no-intake-team"],
)
def test_a_new_case_starts_in_the_intake_team_nobody_holding_it(
    intake_team: str | None, expected_team: str | None
) -> None:
    command = make_command(
        ReceivePlan, plan=make_plan(), contact_working_days=5, intake_team=intake_team, actor="hospital:x"
    )
    events = decide(CaseState(case_id="c"), command, NOW)
    received = events[0]
    assert isinstance(received, PlanReceived) and received.intake_team == intake_team
    state = CaseState(case_id="c")
    for event in events:
        state = evolve(state, event)
    assert (state.team, state.assignee) == (expected_team, None)
