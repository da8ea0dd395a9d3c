"""Who may make each request of the API, for the schemathesis run: one table, read by both of its passes.

`ALLOWED` maps each operation that takes a token to the roles that may make it (the first is the role the
main run uses). It restates api/auth/access.py and the routes' own checks, so a change of either shows up as
a failing expectation in the refusal pass, not as silence; an operation whose OpenAPI entry declares the
bearer scheme but has no row here fails too. The rest (/health, the docs) take no token.

`RoleAuth` is the main run's auth provider: each request gets a token of the operation's first role, bound
to the organisation the request addresses (the case's or application's responsible municipality, the
register's code, the plan's sending hospital, the application's municipality), the seeded one by default.
Being let in is this pass's premise; who is kept out is the refusal pass's subject.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import psycopg
import schemathesis
from schemathesis import AuthContext, Case

from api.auth.principal import Role
from tests.support.auth_helpers import token
from tests.support.factories import HOSPITAL_SOR_ID

HOSPITAL, CASEWORKER, ADMIN, OPS = Role.HOSPITAL, Role.CASEWORKER, Role.MUNICIPAL_ADMIN, Role.OPS

# Operation (method and path template; `*` for one more path segment) → the roles that may make it.
ALLOWED: dict[str, tuple[Role, ...]] = {
    "POST /plans": (HOSPITAL,),
    "POST /medcom/ggop": (HOSPITAL,),
    "POST /cases/{case_id}/revocation": (CASEWORKER, HOSPITAL),  # the plan's own sender may revoke it
    # Holds: the responsible municipality's caseworker or administrator; erasure requests: its administrator.
    "GET /cases/{case_id}/retention": (CASEWORKER, ADMIN),
    "GET /applications/{application_id}/retention": (CASEWORKER, ADMIN),
    "POST /cases/{case_id}/holds": (CASEWORKER, ADMIN),
    "POST /cases/{case_id}/holds/{hold}/lifting": (CASEWORKER, ADMIN),
    "POST /applications/{application_id}/holds": (CASEWORKER, ADMIN),
    "POST /applications/{application_id}/holds/{hold}/lifting": (CASEWORKER, ADMIN),
    "POST /erasure-requests": (ADMIN,),
    "POST /cases/{case_id}/*": (CASEWORKER,),
    "POST /cases/{case_id}/start-date-proposal/confirmation": (CASEWORKER,),  # SUL §140 stk. 4: the caseworker
    "POST /cases/{case_id}/start-date-proposal/rejection": (CASEWORKER,),
    "GET /cases": (CASEWORKER, OPS),
    "GET /cases/{case_id}": (CASEWORKER, HOSPITAL),
    "GET /cases/{case_id}/events": (CASEWORKER,),
    # A caseworker's own deadline warnings (its municipality and team from the token), and marking one seen.
    "GET /me/warnings": (CASEWORKER,),
    "POST /cases/{case_id}/warnings/{warning_id}/seen": (CASEWORKER,),
    # A caseworker's own inbox (its municipality from the token).
    "GET /inbox": (CASEWORKER,),
    "GET /inbox/{view}": (CASEWORKER,),
    "GET /cases/{case_id}/closing-check": (CASEWORKER,),  # what needs attention before the case ends
    # The letters the citizen got (api/routes/cases/letters.py) and the resend of a failed message.
    "GET /cases/{case_id}/letters": (CASEWORKER,),
    "GET /cases/{case_id}/letters/{letter_id}": (CASEWORKER,),
    "POST /cases/{case_id}/messages/{message_id}/resend": (CASEWORKER,),
    "POST /applications/{application_id}/messages/{message_id}/resend": (CASEWORKER,),
    "GET /applications/{application_id}/letters": (CASEWORKER,),
    "GET /applications/{application_id}/letters/{letter_id}": (CASEWORKER,),
    "POST /applications": (CASEWORKER,),
    "POST /applications/{application_id}/*": (CASEWORKER,),
    "GET /applications": (CASEWORKER, OPS),
    "GET /applications/{application_id}": (CASEWORKER,),
    "GET /applications/{application_id}/events": (CASEWORKER,),
    "PUT /municipalities/{code}": (ADMIN,),
    "POST /municipalities/{code}/providers": (ADMIN,),
    "GET /municipalities/{code}": (CASEWORKER, ADMIN, OPS),
    "GET /municipalities/{code}/providers": (CASEWORKER, ADMIN, OPS),
    # The staff register (api/routes/staff_register.py), and who the caller is: any valid token.
    "PUT /municipalities/{code}/teams/{team_id}": (ADMIN,),
    "GET /municipalities/{code}/teams": (CASEWORKER, ADMIN, OPS),
    "PUT /municipalities/{code}/caseworkers/{subject}": (ADMIN,),
    "GET /municipalities/{code}/caseworkers": (CASEWORKER, ADMIN, OPS),
    "GET /me": (CASEWORKER, HOSPITAL, ADMIN, OPS, Role.OPS_DECRYPT, Role.AUDITOR, Role.REPORT_READER),
    "POST /case-assignments": (CASEWORKER,),  # each case is checked as its own command is
    "GET /cases/{case_id}/notes": (CASEWORKER,),
    "POST /reports/kl-gateway/{code}": (ADMIN,),  # KL reports: the municipality's administrator; status: ops
    "GET /reports/kl-gateway/{code}": (ADMIN,),
    "GET /reports/kl-gateway/{code}/preview": (ADMIN,),
    "GET /reports/kl-gateway": (OPS,),
    # The start-guarantee report: a municipality's own people, a report reader, ops (docs/reports.md).
    "GET /reports/start-guarantee": (CASEWORKER, ADMIN, OPS, Role.REPORT_READER),
    "POST /access-log/*": (Role.AUDITOR,),
    "POST /codec/*": (Role.OPS_DECRYPT,),  # while the document declares no bearer scheme for it, it takes none
}


@dataclass(frozen=True)
class Organisation:
    municipality: str
    sor: str

    def scope(self, role: Role) -> dict[str, Any]:
        """The claims that bind a token of `role` to this organisation."""
        if role is HOSPITAL:
            return {"sor": self.sor}
        if role in (CASEWORKER, ADMIN, Role.AUDITOR):
            return {"municipality": self.municipality}
        return {}  # ops and ops_decrypt are not bound to an organisation


SEEDED = Organisation(municipality="147", sor=HOSPITAL_SOR_ID)  # Frederiksberg; the factories' hospital
OTHER = Organisation(municipality="851", sor="000000000000000")  # Aalborg; a hospital that sent nothing here


def allowed_roles(label: str) -> tuple[Role, ...] | None:
    """The roles that may make `label` ("POST /cases/{case_id}/contact"); None if the table lacks it."""
    if label in ALLOWED:
        return ALLOWED[label]
    for pattern, roles in ALLOWED.items():
        if "*" in pattern and fnmatchcase(label, pattern) and label.count("/") == pattern.count("/"):
            return roles
    return None


_UUID = re.compile(r"^[0-9a-fA-F-]{36}$")


class RoleAuth:
    """Signs each request of the main run (see the module's docstring)."""

    database_url = ""  # set by `register`

    def get(self, case: Case[Any], context: AuthContext) -> str | None:
        roles = allowed_roles(context.operation.label)
        if not roles:
            return None
        role = roles[0]
        return token(role, **self._organisation(case, role).scope(role))

    def set(self, case: Case[Any], data: str, context: AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"

    def _organisation(self, case: Case[Any], role: Role) -> Organisation:
        body = case.body if isinstance(case.body, dict) else {}
        path = case.path_parameters or {}
        query = case.query or {}
        named = body.get("municipality_code") or path.get("code") or query.get("municipality")
        if "case_id" in path:
            named = self._responsible("cases", "responsible_municipality_code", "case_id", path["case_id"])
        if "application_id" in path:
            named = self._responsible("applications", "municipality_code", "application_id", path["application_id"])
        sor = body.get("sending_hospital_sor_id")
        return Organisation(
            municipality=named if isinstance(named, str) and named else SEEDED.municipality,
            sor=sor if isinstance(sor, str) and sor else SEEDED.sor,
        )

    def _responsible(self, table: str, column: str, key: str, value: object) -> str | None:
        if not isinstance(value, str) or not _UUID.match(value):
            return None
        with psycopg.connect(self.database_url, autocommit=True) as connection:
            row = connection.execute(f"SELECT {column} FROM {table} WHERE {key} = %s", (value.lower(),)).fetchone()
        return str(row[0]) if row and row[0] else None


def register(schema: schemathesis.BaseSchema, database_url: str) -> None:
    """Make `RoleAuth` sign every request schemathesis sends for `schema` (never a cached token)."""
    provider = type("RoleAuthForRun", (RoleAuth,), {"database_url": database_url})
    schema.auth(refresh_interval=None)(provider)
