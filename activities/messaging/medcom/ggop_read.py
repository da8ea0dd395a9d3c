"""Small readers over a schema-checked GGOP tree: texts, dates, organisations, addresses, phones."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from lxml import etree

from activities.messaging.medcom.ggop_schema import GGOP_NAMESPACE, SHARED_NAMESPACE
from activities.messaging.medcom.ggop_text import plain_text

NS = {"g": GGOP_NAMESPACE, "m": SHARED_NAMESPACE}
Json = dict[str, Any]


def find(element: etree._Element | None, path: str) -> etree._Element | None:
    return None if element is None else element.find(path, NS)


def find_all(element: etree._Element | None, path: str) -> list[etree._Element]:
    return [] if element is None else list(element.iterfind(path, NS))


def text(element: etree._Element | None, path: str) -> str | None:
    found = find(element, path)
    value = (found.text or "").strip() if found is not None else ""
    return value or None


def formatted(element: etree._Element | None, path: str) -> str | None:
    return plain_text(find(element, path))


def day(element: etree._Element | None, path: str) -> date | None:
    value = text(element, path)
    return date.fromisoformat(value) if value else None  # the schema has checked it is a date that exists


def clock(element: etree._Element | None, path: str) -> time | None:
    value = text(element, path)
    return time.fromisoformat(value) if value else None


def address(element: etree._Element | None) -> Json | None:
    found = {
        "street": text(element, "m:StreetName"),
        "suburb": text(element, "m:SuburbName"),
        "district": text(element, "m:DistrictName"),
        "postcode": text(element, "m:PostCodeIdentifier"),
    }
    return found if any(found.values()) else None


def phones(element: etree._Element | None) -> list[Json]:
    return [
        {"number": number, "kind": text(phone, "g:TelephoneSubscriberCode")}
        for phone in find_all(element, "g:TelephoneSubscriber")
        if (number := text(phone, "m:TelephoneSubscriberIdentifier"))
    ]


def organisation(element: etree._Element | None) -> Json | None:
    if element is None:
        return None
    return {
        "ean": text(element, "m:EANIdentifier"),
        "identifier": text(element, "m:Identifier"),
        # IdentifierCode is in the GGOP namespace in most places and the shared one in some (CoWriter).
        "identifier_code": text(element, "g:IdentifierCode") or text(element, "m:IdentifierCode"),
        "name": text(element, "m:OrganisationName"),
        "department": text(element, "m:DepartmentName"),
        "unit": text(element, "m:UnitName"),
        "address": address(element),
        "phone": text(element, "m:TelephoneSubscriberIdentifier"),
    }


def person_name(element: etree._Element | None) -> str | None:
    parts = [text(element, "m:PersonGivenName"), text(element, "m:PersonSurnameName")]
    return " ".join(part for part in parts if part) or None


def organisation_line(found: Json | None) -> str | None:
    """An organisation as one line of text: name, address and phone."""
    if not found:
        return None
    place = found.get("address") or {}
    parts = [
        found.get("name"),
        found.get("department"),
        found.get("unit"),
        place.get("street"),
        " ".join(p for p in (place.get("postcode"), place.get("district")) if p) or None,
        f"tlf. {found['phone']}" if found.get("phone") else None,
    ]
    return ", ".join(part for part in parts if part) or None
