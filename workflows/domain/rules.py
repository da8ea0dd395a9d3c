"""Effective-dated rule sets.

The law keys most genoptræning rules by the discharge date, and they change on fixed dates (e.g. the
2027 reform). A case therefore looks its rules up by date instead of reading constants.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.domain.model import Level


@dataclass(frozen=True)
class RuleSet:
    valid_from: date
    # SUL §140 stk. 4 (lov nr. 557 af 29/05/2018): start offered within 7 calendar days after discharge.
    start_guarantee_days: int
    # SUL §140 stk. 4: the free choice does not apply when training must take place at a hospital.
    levels_with_start_guarantee: frozenset[Level]
    # No national contact deadline exists; sundhedsaftaler use 4-5 working days (domain-notes §3.6).
    default_contact_working_days: int


RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        valid_from=date(2018, 7, 1),
        start_guarantee_days=7,
        levels_with_start_guarantee=frozenset({Level.ALMEN, Level.REHABILITERING_SPECIALISERET}),
        default_contact_working_days=5,
    ),
)


def rules_for(day: date, rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> RuleSet:
    """The rule set in force on `day` (the latest one whose validity has begun)."""
    in_force = [rules for rules in rule_sets if rules.valid_from <= day]
    if not in_force:
        raise LookupError(f"no rule set in force on {day.isoformat()}")
    return max(in_force, key=lambda rules: rules.valid_from)
