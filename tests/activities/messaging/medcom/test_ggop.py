"""GGOP parsing, schema and mapping, table-driven over the fixtures (no database, no Temporal)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from activities.messaging.medcom.ggop_envelope import read_ids
from activities.messaging.medcom.ggop_mapping import GgopNotMapped, plan_from_ggop
from activities.messaging.medcom.ggop_schema import check_ggop
from activities.messaging.medcom.ggop_sections import NOT_IN_GGOP
from activities.messaging.medcom.safe_xml import XmlRefusal, XmlRefused, parse_untrusted
from activities.messaging.medcom.settings import MedComSettings
from tests.support.ggop_fixtures import ggop, ten_megabytes
from workflows.domain.model import DischargeKind, Level
from workflows.domain.plan.plan import RehabilitationPlan

SOR = "227871000016001"
LIMIT = 2 * 1024 * 1024


def _plan(raw: bytes, settings: MedComSettings | None = None) -> RehabilitationPlan:
    root = parse_untrusted(raw, max_bytes=LIMIT)
    assert check_ggop(root) == []
    return plan_from_ggop(root, sending_hospital_sor_id=SOR, settings=settings or MedComSettings()).plan


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("almen.xml", {"level": Level.ALMEN, "plan_id": "TESTLET0000001", "discharge_kind": DischargeKind.WARD}),
        # Basal or avanceret is the municipality's classification (KL Gateway Rehab): the plan is almen.
        ("almen-avanceret.xml", {"level": Level.ALMEN, "plan_id": "TESTLET0000014"}),
        ("specialiseret.xml", {"level": Level.SPECIALISERET, "plan_id": "TESTLET0000002"}),
        ("rehabilitering.xml", {"level": Level.REHABILITERING_SPECIALISERET, "plan_id": "TESTLET0000003"}),
        # No TypeOfRehabilitationPlan: the StatisticalCode table decides (GGOP2 -> specialiseret).
        ("statistical-code-only.xml", {"level": Level.SPECIALISERET}),
        (
            "later-start.xml",
            {
                "rehabilitation_deadline_text": "Genoptræning tidligst 14 dage efter udskrivelse\n"
                "pga. aflastning af hoften.",
                "start_date_for_health_reasons": None,
            },
        ),
        (
            "gp-deselected.xml",
            {"gp_copy_deselected": True, "general_practitioner": None, "consent_to_share_with_gp": False},
        ),
        ("almen.xml", {"gp_copy_deselected": None, "consent_to_share_with_gp": True, "consent_informed": True}),
        (
            "replacing.xml",
            {"discharge_date": date(2026, 11, 27), "function_at_discharge": "Går med stok efter genindlæggelse."},
        ),
        (
            "almen.xml",
            {
                "home_municipality_code": "101",
                "discharge_date": date(2026, 11, 20),
                "function_at_discharge": "Går med rollator, korte distancer.",
                "training_need": "Gangtræning og styrketræning af underekstremitet; godt potentiale.",
            },
        ),
    ],
)
def test_each_fixture_maps_to_its_plan(fixture: str, expected: dict[str, Any]) -> None:
    plan = _plan(ggop(fixture))
    assert {name: getattr(plan, name) for name in expected} == expected


def test_the_almen_plan_keeps_what_ggop_carries_beyond_the_json_plan() -> None:
    plan = _plan(ggop("almen.xml"))
    assert plan.patient.cpr == "0101459992" and plan.patient.name == "Testa Prøve Testesen"
    assert plan.sender is not None and (plan.sender.ean, plan.sender.department_number) == ("5790000000017", "9990101")
    assert plan.general_practitioner is not None and plan.general_practitioner.provider_number == "099999"
    assert [(d.code, d.primary) for d in plan.diagnoses] == [("DS720", True), ("DW199", False)]
    assert plan.icf_classifications is not None and plan.icf_classifications[0].code.code == "FD450"
    assert plan.medcom_letter is not None and plan.medcom_letter.episode_of_care_id is not None
    episode = plan.medcom_letter.episode_of_care_id
    assert (episode.compact, episode.hyphenated) == (
        "3f2b8c1e9a4d4e7f8b6c5d4e3f2a1b0c",
        "3f2b8c1e-9a4d-4e7f-8b6c-5d4e3f2a1b0c",
    )
    assert plan.patient_contact is not None and plan.patient_contact.phones[0].number == "+4500000002"
    assert plan.relatives is not None and plan.relatives[0].relation == "aegtefaelle"
    assert plan.hospital_ambulatory_control is not None
    assert plan.hospital_ambulatory_control.expected_start_date == date(2026, 12, 18)
    assert plan.contact_municipality is not None and plan.contact_municipality.phone == "+4500000005"
    assert plan.hospital_texts is not None
    # Bold/Italic become plain text, Break a line break; the source's indentation is not kept.
    assert plan.hospital_texts.ability_at_discharge_extended == (
        "Kroppens funktioner\n- Bevægeapparatet: nedsat kraft i højre hofte.\n\n"
        "Aktiviteter og deltagelse\n- Bevægelse og færden: går 50 m med rollator."
    )
    # The yes/no answers of the JSON plan have no GGOP source: unknown, not guessed.
    assert plan.contents.needs_aids is None and plan.contents.walks_and_stands_without_aids is None
    assert plan.contents.social_network == "Pårørende: Prøve Testesen (aegtefaelle)"


def test_episode_of_care_id_with_hyphens_is_kept_in_both_forms() -> None:
    plan = _plan(ggop("specialiseret.xml"))
    assert plan.medcom_letter is not None and plan.medcom_letter.episode_of_care_id is not None
    assert plan.medcom_letter.episode_of_care_id.compact == "a1b2c3d4e5f64a7b8c9d0e1f2a3b4c5d"


def test_the_level_tables_are_configuration() -> None:
    settings = MedComSettings(ggop_plan_type_levels={}, ggop_statistical_code_levels={"GGOP1": Level.SPECIALISERET})
    assert _plan(ggop("almen.xml"), settings).level is Level.SPECIALISERET
    with pytest.raises(GgopNotMapped) as refused:
        _plan(ggop("almen.xml"), MedComSettings(ggop_plan_type_levels={}, ggop_statistical_code_levels={}))
    assert refused.value.problems[0].path == "RehabilitationPlan/TypeOfRehabilitationPlan"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (ggop("xxe.xml"), XmlRefusal.DTD_FORBIDDEN),
        (ggop("entity-expansion.xml"), XmlRefusal.DTD_FORBIDDEN),
        (ten_megabytes(), XmlRefusal.TOO_LARGE),
        (b"<Emessage", XmlRefusal.NOT_XML),
        (b"", XmlRefusal.NOT_XML),
        (b'{"plan_id": 1}', XmlRefusal.NOT_XML),
    ],
    ids=["xxe", "entity-expansion", "10MB", "truncated", "empty", "json"],
)
def test_unsafe_or_unreadable_bytes_are_refused_before_anything_is_read(raw: bytes, reason: XmlRefusal) -> None:
    with pytest.raises(XmlRefused) as refused:
        parse_untrusted(raw, max_bytes=LIMIT)
    assert refused.value.reason is reason
    assert b"root:" not in str(refused.value).encode()  # /etc/passwd was never read into anything


@pytest.mark.parametrize(
    ("fixture", "path"),
    [
        ("wrong-namespace.xml", "/"),
        ("no-cpr.xml", "/Emessage/RehabilitationPlan/Patient"),
        ("impossible-date.xml", "/Emessage/RehabilitationPlan/CurrentHospitalContact/ExpectedEnd/Date"),
    ],
)
def test_broken_messages_fail_the_schema_naming_the_element(fixture: str, path: str) -> None:
    root = parse_untrusted(ggop(fixture), max_bytes=LIMIT)
    problems = check_ggop(root)
    assert [p.path for p in problems] == [path]
    assert "0101459992" not in str(problems)
    ids = read_ids(root)  # still answerable with a negative receipt
    assert ids.can_be_answered and ids.letter_id is not None and ids.letter_id.startswith("TESTLET")


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ((b"0101459992", b"3213459992"), "RehabilitationPlan/Patient/CivilRegistrationNumber"),
        ((b"<Code>DS720</Code>", b"<Code>XYZ</Code>"), "RehabilitationPlan/ICD10Diagnoses/ICD10Diagnose"),
        (
            (b"<IdentifierCode>kommunenummer", b"<IdentifierCode>lokationsnummer"),
            "RehabilitationPlan/Receiver/IdentifierCode",
        ),
        (
            (b"<mm100:Identifier>101</mm100:Identifier>", b"<mm100:Identifier>1010</mm100:Identifier>"),
            "RehabilitationPlan/Receiver/Identifier",
        ),
        (
            (b"2026-11-20</Date>\n        <Time>15:00", b"2017-11-20</Date>\n        <Time>15:00"),
            "RehabilitationPlan/CurrentHospitalContact/ExpectedEnd/Date",
        ),
    ],
    ids=["cpr-not-a-date", "not-icd10", "receiver-not-municipality", "municipality-code", "before-the-rules"],
)
def test_a_message_that_cannot_become_a_plan_names_the_element_not_the_value(
    change: tuple[bytes, bytes], path: str
) -> None:
    root = parse_untrusted(ggop("almen.xml").replace(*change), max_bytes=LIMIT)
    assert check_ggop(root) == []
    with pytest.raises(GgopNotMapped) as refused:
        plan_from_ggop(root, sending_hospital_sor_id=SOR, settings=MedComSettings())
    assert refused.value.problems[0].path == path
    assert b"3213459992" not in str(refused.value).encode()


def test_a_missing_text_says_so_rather_than_inventing_one() -> None:
    raw = (
        ggop("almen.xml")
        .replace(
            b"<mm100:PatientHealthSummary>Opereret for hoftebrud efter fald i hjemmet.</mm100:PatientHealthSummary>",
            b"",
        )
        .replace(b"<mm100:Occupation>Pensionist</mm100:Occupation>", b"")
    )
    assert _plan(raw).contents.daily_life_before_admission == NOT_IN_GGOP


def test_without_an_expected_end_date_the_authorisation_stands_for_the_discharge() -> None:
    stay = b"""<ExpectedEnd>
        <Date>2026-11-20</Date>
        <Time>15:00</Time>
      </ExpectedEnd>"""
    raw = ggop("almen.xml").replace(stay, b"<ExpectedEndText>Efter aftale med egen l\xc3\xa6ge</ExpectedEndText>")
    raw = raw.replace(b"<mm100:Date>2026-11-20</mm100:Date>", b"<mm100:Date>2026-11-19</mm100:Date>")
    plan = _plan(raw)
    assert plan.discharge_date == date(2026, 11, 19)
    assert plan.current_hospital_contact is not None
    assert plan.current_hospital_contact.expected_end_text == "Efter aftale med egen læge"


def test_a_stay_that_ends_the_day_it_began_is_taken_as_outpatient() -> None:
    raw = ggop("almen.xml").replace(b"<Date>2026-11-16</Date>", b"<Date>2026-11-20</Date>")
    assert _plan(raw).discharge_kind is DischargeKind.OUTPATIENT
