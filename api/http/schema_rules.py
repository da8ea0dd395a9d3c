"""The input rules of `workflows.domain.inputs` stated in the OpenAPI document, so that what a client can
generate from the schema is what the API accepts.

The rules are checked at the door (`api.models.request_body`) whatever the schema says; this only writes
them into the schema of every request body: a `pattern` refusing control characters on each free string,
and on each `format: date` or `date-time` string a pattern of the whole value whose year lies in the holiday
calendar (a generator draws from the pattern and keeps what the format takes). Each operation's description
names its date fields and the span too. Response schemas and the codec's bodies (base64, never stored) are
left as they are.
"""

from __future__ import annotations

from typing import Any

from workflows.domain.calendar import FIRST_CALENDAR_DAY, LAST_CALENDAR_DAY
from workflows.domain.inputs import CALENDAR_DATE_PATTERN, CALENDAR_INSTANT_PATTERN

# workflows.domain.inputs.CONTROL_CHARACTERS, as an ECMA-262 / Python regex over the whole string.
TEXT_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
# Single-line fields (workflows.domain.inputs.Line): no tab or line break either.
LINE_PATTERN = "^[^\\u0000-\\u001f\\u007f]*$"
# Every request body strips its strings before their length is checked, so a required one needs a visible
# character: the same rules with one character that is neither white space nor a control character.
TEXT_NONBLANK_PATTERN = (
    "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f]"
    "[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f]*$"
)
LINE_NONBLANK_PATTERN = "^[^\\u0000-\\u001f\\u007f]*[^\\s\\u0000-\\u001f\\u007f][^\\u0000-\\u001f\\u007f]*$"
_CALENDAR_PATTERNS = {"date": CALENDAR_DATE_PATTERN, "date-time": CALENDAR_INSTANT_PATTERN}  # the door's calendar rule
_UNSTORED_TAGS = {"codec"}
DATE_RULE = (
    f"A date outside {FIRST_CALENDAR_DAY.isoformat()}…{LAST_CALENDAR_DAY.isoformat()} (the holiday calendar, in "
    "which deadlines are counted) is **422** naming the field:"
)


def _ref_name(schema: dict[str, Any]) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _children(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = list(schema.get("properties", {}).values())
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            found.append(schema[key])
    for key in ("anyOf", "oneOf", "allOf"):
        found.extend(schema.get(key, []))
    return found


def _state_rules(schema: dict[str, Any], components: dict[str, Any], seen: set[str]) -> None:
    """Add the text pattern to `schema` and to every schema below it, following references once."""
    name = _ref_name(schema)
    if name is not None:
        if name not in seen and name in components:
            seen.add(name)
            _state_rules(components[name], components, seen)
        return
    required = schema.get("minLength", 0) >= 1
    if schema.get("type") == "string" and not {"pattern", "enum", "const", "format"} & set(schema):
        schema["pattern"] = TEXT_NONBLANK_PATTERN if required else TEXT_PATTERN
    elif schema.get("format") in _CALENDAR_PATTERNS and "pattern" not in schema:
        schema["pattern"] = _CALENDAR_PATTERNS[schema["format"]]
    elif schema.get("pattern") == LINE_PATTERN and required:
        schema["pattern"] = LINE_NONBLANK_PATTERN
    for child in _children(schema):
        _state_rules(child, components, seen)


def date_fields(schema: dict[str, Any], components: dict[str, Any], path: str = "") -> list[str]:
    """The dotted paths of the date and date-time fields of a body (objects and their variants, not lists)."""
    name = _ref_name(schema)
    if name is not None:
        return date_fields(components.get(name, {}), components, path)
    if schema.get("format") in ("date", "date-time"):
        return [path]
    found: list[str] = []
    for key, child in schema.get("properties", {}).items():
        found += date_fields(child, components, f"{path}.{key}" if path else key)
    for key in ("anyOf", "oneOf", "allOf"):
        for child in schema.get(key, []):
            found += [field for field in date_fields(child, components, path) if field not in found]
    return found


def _append(operation: dict[str, Any], text: str) -> None:
    operation["description"] = f"{operation.get('description', '').rstrip()}\n\n{text}".lstrip()


_KEY_REUSED = (
    "An `Idempotency-Key` already used for another request to this endpoint is **422** naming `Idempotency-Key`."
)


def _not_null(parameter: dict[str, Any]) -> None:
    """An optional header or query parameter is absent or a string, never null (`anyOf [X, null]` -> `X`)."""
    schema = parameter.get("schema", {})
    variants = schema.get("anyOf")
    if not isinstance(variants, list):
        return
    kept = [variant for variant in variants if variant.get("type") != "null"]
    if len(kept) == 1 and len(kept) < len(variants):
        rest = {key: value for key, value in schema.items() if key not in ("anyOf", "default")}
        parameter["schema"] = {**kept[0], **rest}


def state_input_rules(openapi: dict[str, Any]) -> None:
    """Write the input rules into the schema of every stored request body of `openapi` (in place), make
    optional parameters non-nullable, and state the idempotency key's refusal where a key is taken."""
    components = openapi.get("components", {}).get("schemas", {})
    seen: set[str] = set()
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            if not isinstance(operation, dict) or _UNSTORED_TAGS & set(operation.get("tags", [])):
                continue
            for media in operation.get("requestBody", {}).get("content", {}).values():
                dates = date_fields(media.get("schema", {}), components)
                _state_rules(media.get("schema", {}), components, seen)
                if dates:
                    _append(operation, f"{DATE_RULE} {', '.join(f'`{field}`' for field in dates)}.")
            parameters = operation.get("parameters", [])
            for parameter in parameters:
                if parameter.get("in") in ("header", "query"):
                    _not_null(parameter)
            if any(parameter.get("name") == "Idempotency-Key" for parameter in parameters):
                _append(operation, _KEY_REUSED)
