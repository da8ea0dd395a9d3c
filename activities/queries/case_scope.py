"""A caseworker limited to their organisation unit's cases (AUTH_ORG_UNIT_SCOPE=team), as a row check and as SQL.

KOMBIT's data constraint "orgenhed" binds a caseworker's token to an organisation unit, and the resource server
checks it against the data asked for, on every query (docs/security.md, "Organisation-unit scope"). Here the
unit is the case's `team`: the caseworker sees the cases of their team, the cases nobody has routed to a team
yet, and the cases they hold themselves (a case handed to them from another team is theirs to work on).

The same rule in two forms, so a single case and a list can never disagree: `admits` for a read-model row,
`condition` for a query over `cases`. The municipality is checked besides, by the caller, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from psycopg import sql


@dataclass(frozen=True)
class TeamScope:
    """The caseworker `subject`, whose token names the organisation unit `team`."""

    team: str
    subject: str

    def admits(self, row: Mapping[str, Any]) -> bool:
        """Whether a case's read-model row (its `team` and `assignee` columns) is within the scope."""
        team, assignee = row.get("team"), row.get("assignee")
        return team is None or team == self.team or (assignee is not None and assignee == self.subject)

    def condition(self, alias: str | None = None) -> sql.Composable:
        """The same rule over `cases` (or its alias), with the parameters of `params`."""

        def column(name: str) -> sql.Composable:
            return sql.Identifier(alias, name) if alias else sql.Identifier(name)

        # `team IS NULL` and `team = ...` only, never a function of the column: a filter on any index scan.
        return sql.SQL("({team} IS NULL OR {team} = %(scope_team)s OR {assignee} = %(scope_subject)s)").format(
            team=column("team"), assignee=column("assignee")
        )

    def params(self) -> dict[str, str]:
        return {"scope_team": self.team, "scope_subject": self.subject}


def scope_conditions(scope: TeamScope | None, alias: str | None = None) -> list[sql.Composable]:
    """The scope's condition, or none for a caller who sees the whole municipality."""
    return [scope.condition(alias)] if scope is not None else []


def scope_params(scope: TeamScope | None) -> dict[str, str]:
    return scope.params() if scope is not None else {}
