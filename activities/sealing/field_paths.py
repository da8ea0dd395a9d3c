"""Dotted paths into JSON bodies (`plan.diagnoses[].code`, `deliveries{}`): how the personal-field table
(activities/sealing/personal_fields.py) finds the values it names. `[]` walks into every item of a list, `{}` into every
value of a dict."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from activities.sealing.personal_fields import Erased

Path = tuple[str | int, ...]

_MARKS = re.compile(r"\[\]|\{\}")


@dataclass(frozen=True)
class ErasedField:
    """A personal field that read as erased in one body."""

    path: Path  # where, in this body (list indices included)
    pattern: str  # the table's path it matched
    erased: Erased


def segments(pattern: str) -> list[str]:
    """`plan.diagnoses[].code` -> `["plan", "diagnoses", "[]", "code"]`."""
    out: list[str] = []
    for part in pattern.split("."):
        name = _MARKS.sub("", part)
        if name:
            out.append(name)
        out.extend(_MARKS.findall(part))
    return out


def locations(node: Any, segments: list[str], at: Path = ()) -> Iterator[tuple[Any, str | int, Path]]:
    """(container, key, path) of every value the pattern's segments reach in `node`."""
    if not segments:
        return
    head, rest = segments[0], segments[1:]
    if head == "[]":
        children: list[tuple[str | int, Any]] = list(enumerate(node)) if isinstance(node, list) else []
    elif head == "{}":
        children = list(node.items()) if isinstance(node, dict) else []
    else:
        children = [(head, node[head])] if isinstance(node, dict) and head in node else []
    for key, child in children:
        if rest:
            yield from locations(child, rest, (*at, key))
        else:
            yield node, key, (*at, key)


def value_at(body: Any, pattern: str) -> Any:
    found = [container[key] for container, key, _ in locations(body, segments(pattern))]
    return found[0] if found else None
