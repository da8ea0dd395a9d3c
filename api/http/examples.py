"""Example request bodies for the OpenAPI docs (synthetic: test CPR number, invented names)."""

from __future__ import annotations

from typing import Any

ALMEN_PLAN: dict[str, Any] = {
    "plan_id": "GOP-2026-000123",
    "sending_hospital_sor_id": "227871000016001",
    "patient": {"cpr": "250947-9989", "name": "Testa Testesen"},
    "home_municipality_code": "101",
    "general_practitioner": {"name": "Lægehuset Prøvevej", "provider_number": "123456"},
    "consent_to_share_with_gp": True,
    "discharge_date": "2026-11-16",
    "discharge_kind": "ward",
    "level": "almen",
    "diagnoses": [{"code": "DS720", "text": "Brud på lårbenshals", "primary": True}],
    "function_at_discharge": "Går med rollator, korte distancer.",
    "training_need": "Gangtræning og styrketræning af underekstremitet.",
    "contents": {
        "daily_life_before_admission": "Selvhjulpen i eget hjem.",
        "needs_aids": True,
        "aids_description": "Rollator",
        "social_network": "Bor med ægtefælle.",
        "manages_at_discharge": "Personlig hygiejne med let støtte.",
        "manages_daily_life_without_help": False,
        "walks_and_stands_without_aids": False,
        "training_need_at_discharge": "Gang, balance og styrke.",
        "municipality_contact_information": "Kommunen kontakter dig inden for 5 hverdage.",
    },
}

SPECIALISERET_PLAN: dict[str, Any] = {
    **ALMEN_PLAN,
    "plan_id": "GOP-2026-000124",
    "level": "specialiseret",
    "start_date_for_health_reasons": "2026-11-30",
}

# The hospital's free-text start deadline (GGOP RehabilitationDeadline): the case proposes 30 November.
LATER_START_TEXT_PLAN: dict[str, Any] = {
    **ALMEN_PLAN,
    "plan_id": "GOP-2026-000125",
    "rehabilitation_deadline_text": "Genoptræning tidligst 14 dage efter udskrivelse af hensyn til sårheling",
}

PLAN_EXAMPLES: dict[str, dict[str, Any]] = {
    "almen": {"summary": "Almen genoptræning after a hip fracture", "value": ALMEN_PLAN},
    "specialiseret": {
        "summary": "Specialiseret genoptræning, later start for health reasons",
        "value": SPECIALISERET_PLAN,
    },
    "later_start_text": {
        "summary": "Almen, with a free-text start deadline: the case proposes the later start it names",
        "value": LATER_START_TEXT_PLAN,
    },
}
