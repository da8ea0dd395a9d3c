"""Effective-dated configuration of applications: the legal references and the appeal procedure.

Both change on fixed dates (the Ældrelov from 1 July 2025), and some of the values are not yet verified,
so they are dated tables rather than constants. An application looks up its legal reference by its
application date; a decision its appeal period by its notification date; an appeal its forwarding
deadline by its receipt date. The result is stored in the event, so a later change of a table never
rewrites an old application.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol, TypeVar

from workflows.domain.applications.model import CareLevel, LegalBasis


@dataclass(frozen=True)
class LegalProvision:
    care_level: CareLevel
    law: str
    provision: str
    # False where the paragraph is not confirmed against retsinformation.dk (shown beside the citation).
    verified: bool

    @property
    def citation(self) -> str:
        return f"{self.law} {self.provision}"


@dataclass(frozen=True)
class LegalReferenceTable:
    """The provisions in force from `valid_from`, by legal basis and by Ældrelov coverage."""

    valid_from: date
    references: Mapping[tuple[LegalBasis, bool], LegalProvision]


# Serviceloven §86 stk. 1 and stk. 2 (LBK nr. 909 af 3. juli 2024); the service takes applications from this date.
_SEL86_STK1 = LegalProvision(CareLevel.SEL86_STK1, "Serviceloven", "§ 86, stk. 1", verified=True)
_SEL86_STK2 = LegalProvision(CareLevel.SEL86_STK2, "Serviceloven", "§ 86, stk. 2", verified=True)
# Ældreloven (L 89 2024-25, in force 1 July 2025) replaces §86 for those it covers (Serviceloven §2 stk. 5, L 92
# 2024-25, lists ÆL §§ 10, 13, 14, 16, 17; §10 helhedspleje, §16 aflastning, §17 ophold: domain-notes §6), so
# genoptræning (§86 stk. 1) is ÆL § 13 and vedligeholdelsestræning (stk. 2) § 14. UNCERTAIN: not yet checked
# against retsinformation.dk (domain-notes §10, open item 3), hence verified=False.
_AELDRELOVEN_13 = LegalProvision(CareLevel.AELDRELOVEN, "Ældreloven", "§ 13", verified=False)
_AELDRELOVEN_14 = LegalProvision(CareLevel.AELDRELOVEN, "Ældreloven", "§ 14", verified=False)

LEGAL_REFERENCES: tuple[LegalReferenceTable, ...] = (
    LegalReferenceTable(
        valid_from=date(2018, 7, 1),
        references={
            (LegalBasis.STK1, False): _SEL86_STK1,
            (LegalBasis.STK1, True): _SEL86_STK1,  # no Ældrelov before 1 July 2025
            (LegalBasis.STK2, False): _SEL86_STK2,
            (LegalBasis.STK2, True): _SEL86_STK2,
        },
    ),
    LegalReferenceTable(
        valid_from=date(2025, 7, 1),
        references={
            (LegalBasis.STK1, False): _SEL86_STK1,
            (LegalBasis.STK1, True): _AELDRELOVEN_13,
            (LegalBasis.STK2, False): _SEL86_STK2,
            (LegalBasis.STK2, True): _AELDRELOVEN_14,
        },
    ),
)


@dataclass(frozen=True)
class AppealProcedure:
    valid_from: date
    # Complaint to the municipality within 4 weeks of receiving the decision, last day included (ast.dk
    # klagevejledning; retssikkerhedsloven §§ 66-67, § numbers UNCERTAIN per domain-notes §6).
    appeal_days: int
    # Upheld on reassessment: forwarded to Ankestyrelsen within 4 weeks of receiving the complaint (ast.dk;
    # retssikkerhedsloven §§ 66-67, § numbers UNCERTAIN per domain-notes §6).
    forwarding_days: int


APPEAL_PROCEDURES: tuple[AppealProcedure, ...] = (
    AppealProcedure(valid_from=date(2018, 7, 1), appeal_days=28, forwarding_days=28),
)


class _Dated(Protocol):
    @property
    def valid_from(self) -> date: ...


D = TypeVar("D", bound=_Dated)


class NotConfigured(LookupError):
    """No table row is in force on the date asked about."""


def in_force(day: date, rows: Sequence[D], what: str) -> D:
    """The row in force on `day`: the latest one whose validity has begun."""
    started = [row for row in rows if row.valid_from <= day]
    if not started:
        raise NotConfigured(f"no {what} in force on {day.isoformat()}")
    return max(started, key=lambda row: row.valid_from)


def legal_reference_for(
    application_date: date,
    basis: LegalBasis,
    covered_by_aeldreloven: bool,
    tables: Sequence[LegalReferenceTable] = LEGAL_REFERENCES,
) -> tuple[LegalProvision, date]:
    """The provision an application rests on, and the `valid_from` of the table that gave it."""
    table = in_force(application_date, tables, "legal references")
    return table.references[(basis, covered_by_aeldreloven)], table.valid_from


def appeal_procedure_for(day: date, procedures: Sequence[AppealProcedure] = APPEAL_PROCEDURES) -> AppealProcedure:
    return in_force(day, procedures, "appeal procedure")
