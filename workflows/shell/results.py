"""What a finished case or application workflow returns: its id, status and version, never its state.

A workflow's result stays in Temporal's history for the namespace's retention and is what the Temporal UI shows
first on a closed workflow's page, so it holds no personal data (CPR, name, health text): the state is in the
event store and its read models, and a client that needs it reads it there (or queries `current_state` while
the workflow runs).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from workflows.domain.applications.model import ApplicationStatus
from workflows.domain.applications.state import ApplicationState
from workflows.domain.model import CaseStatus
from workflows.domain.state import CaseState


class CaseResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    case_id: str
    status: CaseStatus
    version: int

    @classmethod
    def of(cls, state: CaseState) -> CaseResult:
        return cls(case_id=state.case_id, status=state.status, version=state.version)


class ApplicationResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    application_id: str
    status: ApplicationStatus
    version: int

    @classmethod
    def of(cls, state: ApplicationState) -> ApplicationResult:
        return cls(application_id=state.application_id, status=state.status, version=state.version)
