"""A caseworker's notes on a case: written once, never edited, only followed by a note that corrects it
(journalføringsbekendtgørelsen §§5, 7). A note is a `NoteAdded` event, so it is in the timeline too; its text
is health data, sealed with the citizen's key like the plan's texts, and reads `[slettet]` once erased.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request

from activities.access_log.entries import AccessAction
from activities.queries import cases as case_queries
from activities.store.eventstore import StoredEvent
from api.auth.dependencies import PrincipalDep
from api.auth.principal import Role
from api.command_requests import CaseCommandDep
from api.deps import CaseIdPath, PoolDep
from api.http.openapi import problems
from api.models.casework import Note, NoteList, NoteRequest
from api.scoped_rows import visible_case
from api.staff import note_caseworker_seen
from workflows.cases.workflow import CaseWorkflow
from workflows.domain.casework.model import AddNote, NoteAdded

router = APIRouter(prefix="/cases/{case_id}/notes", tags=["cases"])

# A fixed namespace, so a note's id follows from its case and Idempotency-Key: a retry adds no second note.
_NOTE_IDS = uuid.UUID("0b6f3c52-5d0e-4b8e-9a53-6b1f1e7c9d21")


NOTE_ADDED = "NoteAdded"


def notes_of(events: list[StoredEvent]) -> list[Note]:
    """The case's notes in the order written, each with the notes that correct it."""
    added = [(stored, stored.event) for stored in events if isinstance(stored.event, NoteAdded)]
    corrected_by: dict[str, list[str]] = {}
    for _, note in added:
        if note.corrects_note_id is not None:
            corrected_by.setdefault(note.corrects_note_id, []).append(note.note_id)
    return [
        Note(
            note_id=note.note_id,
            text=note.text,
            added_at=note.occurred_at,
            author=(stored.metadata.acted_by and stored.metadata.acted_by.name) or stored.metadata.actor,
            actor=stored.metadata.actor,
            corrects_note_id=note.corrects_note_id,
            corrected_by=corrected_by.get(note.note_id, []),
        )
        for stored, note in added
    ]


@router.post("", status_code=201, summary="Add a note to the case", responses=problems(404, 409, 412, 422))
async def add_note(body: NoteRequest, case: CaseCommandDep) -> Note:
    """A note is never changed: to correct one, add a note with `corrects_note_id` (**422** naming
    `corrects_note_id` for a note the case does not have). With an `Idempotency-Key`, a retry answers with the
    same note instead of adding another. The `ETag` is the case's version after the note."""
    await note_caseworker_seen(case.pool, case.principal)
    note_id = str(uuid.uuid5(_NOTE_IDS, f"{case.case_id}:{case.idempotency_key}"))
    await case.send("notes", CaseWorkflow.add_note, AddNote, note_id=note_id, **body.model_dump())
    # Only the note and the notes correcting it (a retry may come after a correction), not the case's every note.
    events = await case_queries.case_events_naming(
        case.pool, str(case.case_id), NOTE_ADDED, ("note_id", "corrects_note_id"), note_id
    )
    return next(note for note in notes_of(events) if note.note_id == note_id)


@router.get("", summary="The case's notes", responses=problems(404, 422))
async def list_notes(case_id: CaseIdPath, request: Request, pool: PoolDep, principal: PrincipalDep) -> NoteList:
    """Every note in the order written, with who wrote it and which notes correct it. For the caseworkers of the
    responsible municipality."""
    await visible_case(request, pool, principal, str(case_id), AccessAction.READ, Role.CASEWORKER)
    await note_caseworker_seen(pool, principal)
    notes = notes_of(await case_queries.case_events_of(pool, str(case_id), [NOTE_ADDED]))
    return NoteList(case_id=str(case_id), notes=notes)
