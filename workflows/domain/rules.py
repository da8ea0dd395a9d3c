"""Effective-dated rule sets.

The law keys most genoptræning rules by the discharge date, and they change on fixed dates (e.g. the
2027 reform). A case therefore looks its rules up by date instead of reading constants; the rule set a
case was decided under is recorded in its `PlanReceived` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from workflows.domain.model import Level, ResponsibleAuthority

_REGIONS_UNTIL_2026 = frozenset({"nordjylland", "midtjylland", "syddanmark", "hovedstaden", "sjaelland"})
# L 214 (2024-25): Hovedstaden and Sjælland merge into Region Østdanmark on 1 January 2027.
_REGIONS_FROM_2027 = frozenset({"nordjylland", "midtjylland", "syddanmark", "oestdanmark"})


@dataclass(frozen=True)
class RuleSet:
    valid_from: date
    # SUL §140 stk. 4 (lov nr. 557 af 29/05/2018): start offered within 7 calendar days after discharge.
    start_guarantee_days: int
    # SUL §140 stk. 4: the free choice does not apply when training must take place at a hospital.
    levels_with_start_guarantee: frozenset[Level]
    # No national contact deadline exists; sundhedsaftaler use 4-5 working days (domain-notes §3.6).
    default_contact_working_days: int
    # Local practice: remind the assigned team this many working days before the contact deadline.
    contact_reminder_working_days_before: int
    # Rehabilitering på specialiseret niveau: municipalities until 2026, regions from 2027 (L 42 2025-26,
    # UNCERTAIN whether passed as tabled).
    rehabilitation_responsible: ResponsibleAuthority
    # Regions in which a citizen may choose a hospital for specialiseret genoptræning (SUL §86).
    regions: frozenset[str]
    # A region recorded under an earlier rule set, and the region that succeeds it under this one.
    region_successors: tuple[tuple[str, str], ...] = ()
    # Local practice (no national rule): warn whoever holds the case this many working days before the contact
    # deadline and the start guarantee, unless the municipality's register sets its own lead time.
    deadline_warning_working_days: int = 2


RULE_SETS: tuple[RuleSet, ...] = (
    RuleSet(
        valid_from=date(2018, 7, 1),
        start_guarantee_days=7,
        levels_with_start_guarantee=frozenset({Level.ALMEN, Level.REHABILITERING_SPECIALISERET}),
        default_contact_working_days=5,
        contact_reminder_working_days_before=1,
        rehabilitation_responsible=ResponsibleAuthority.MUNICIPALITY,
        regions=_REGIONS_UNTIL_2026,
    ),
    RuleSet(
        valid_from=date(2027, 1, 1),
        start_guarantee_days=7,
        levels_with_start_guarantee=frozenset({Level.ALMEN, Level.REHABILITERING_SPECIALISERET}),
        default_contact_working_days=5,
        contact_reminder_working_days_before=1,
        rehabilitation_responsible=ResponsibleAuthority.REGION,
        regions=_REGIONS_FROM_2027,
        region_successors=(("hovedstaden", "oestdanmark"), ("sjaelland", "oestdanmark")),
    ),
)


def rules_for(day: date, rule_sets: tuple[RuleSet, ...] = RULE_SETS) -> RuleSet:
    """The rule set in force on `day` (the latest one whose validity has begun)."""
    in_force = [rules for rules in rule_sets if rules.valid_from <= day]
    if not in_force:
        raise LookupError(f"no rule set in force on {day.isoformat()}")
    return max(in_force, key=lambda rules: rules.valid_from)


def responsible_authority(level: Level, rules: RuleSet) -> ResponsibleAuthority:
    """Who holds the course: the region for hospital training, and for rehabilitation from 2027."""
    if level is Level.SPECIALISERET:
        return ResponsibleAuthority.REGION  # training at a hospital (BEK bilag 1; sst.dk)
    if level is Level.REHABILITERING_SPECIALISERET:
        return rules.rehabilitation_responsible
    return ResponsibleAuthority.MUNICIPALITY  # SUL §140 stk. 1


def current_region(region: str, rules: RuleSet) -> str:
    """The region as `rules` name it: a register saying Hovedstaden means Østdanmark from 2027."""
    return dict(rules.region_successors).get(region, region)


# Every region name a rule set has used: what a municipality register may record.
KNOWN_REGIONS: frozenset[str] = frozenset().union(*(rules.regions for rules in RULE_SETS))
