"""The check of a GGOP message against the schema the project keeps (`schemas/ggop-1.0.4.xsd`).

The schema is the project's own, not MedCom's (see its header): it requires what the mapping needs and
ignores every further element. Problems are reported by element path and kind; a value from the message
(a CPR number, a diagnosis) is never quoted, since problems go into receipts, answers and logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import xmlschema
from lxml import etree
from xmlschema.validators.exceptions import XMLSchemaChildrenValidationError

SCHEMA_FILE = Path(__file__).parent / "schemas" / "ggop-1.0.4.xsd"
GGOP_NAMESPACE = "urn:oio:medcom:municipality:1.0.4"
SHARED_NAMESPACE = "urn:oio:medcom:municipality:1.0.0"
_PREFIXES = {"": GGOP_NAMESPACE, "mm100": SHARED_NAMESPACE}
_MAX_PROBLEMS = 10


@dataclass(frozen=True)
class SchemaProblem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@cache
def ggop_schema() -> xmlschema.XMLSchema11:
    # `defuse="always"` and `allow="sandbox"`: even the project's own schema files are read without
    # entities, and may import only files beside them.
    return xmlschema.XMLSchema11(str(SCHEMA_FILE), defuse="always", allow="sandbox")


def _short(name: str) -> str:
    """`{urn:…:1.0.0}EANIdentifier` -> `mm100:EANIdentifier`; the GGOP namespace is left bare."""
    for prefix, namespace in _PREFIXES.items():
        marker = "{" + namespace + "}"
        name = name.replace(marker, f"{prefix}:" if prefix else "")
    return name


def _message(error: xmlschema.XMLSchemaValidationError) -> str:
    if isinstance(error, XMLSchemaChildrenValidationError):
        # Only element names: which child was unexpected or is missing.
        return _short(error.reason or "unexpected or missing elements")
    element = error.elem
    if element is not None and element.tag is not None and len(element) == 0:
        return "the value is not of the required form (a date that exists, a code of the required shape, ...)"
    return "the element is not of the required form"


def check_ggop(root: etree._Element) -> list[SchemaProblem]:
    """Every problem (at most ten) with the message against the schema; empty when it conforms."""
    if root.tag != "{" + GGOP_NAMESPACE + "}Emessage":
        return [SchemaProblem("/", f"the root element must be Emessage in namespace {GGOP_NAMESPACE}")]
    problems = []
    # The tree is already parsed: the resource may load nothing more (no schemaLocation hints, no files).
    resource = xmlschema.XMLResource(root, allow="none", defuse="always")  # type: ignore[arg-type]  # lxml trees are accepted at run time
    for error in ggop_schema().iter_errors(resource, use_location_hints=False):
        problems.append(SchemaProblem(_short(error.path or "/"), _message(error)))
        if len(problems) == _MAX_PROBLEMS:
            break
    return problems
