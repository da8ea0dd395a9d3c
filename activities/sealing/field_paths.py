"""Dotted paths into JSON bodies (`plan.diagnoses[].code`, `deliveries{}`): how the personal-field table
(activities/sealing/personal_fields.py) finds the values it names. `[]` walks into every item of a list, `{}` into every
value of a dict."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
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


@lru_cache(maxsize=1024)
def segments(pattern: str) -> tuple[str, ...]:
    """`plan.diagnoses[].code` -> `("plan", "diagnoses", "[]", "code")`. Cached: the table's patterns are few and
    every sealed body is walked with them (a rebuild opens every event)."""
    out: list[str] = []
    for part in pattern.split("."):
        name = _MARKS.sub("", part)
        if name:
            out.append(name)
        out.extend(_MARKS.findall(part))
    return tuple(out)


def locations(node: Any, segments: Sequence[str], at: Path = ()) -> Iterator[tuple[Any, str | int, Path]]:
    """(container, key, path) of every value the pattern's segments reach in `node`. Callers may replace the
    values found (not add or remove keys) while iterating."""
    if segments:
        yield from _walk(node, segments, 0, at)


def _walk(node: Any, segments: Sequence[str], index: int, at: Path) -> Iterator[tuple[Any, str | int, Path]]:
    head, last = segments[index], index == len(segments) - 1
    children: Iterable[tuple[str | int, Any]]
    if head == "[]":
        children = enumerate(node) if isinstance(node, list) else ()
    elif head == "{}":
        children = node.items() if isinstance(node, dict) else ()
    elif isinstance(node, dict) and head in node:
        children = ((head, node[head]),)
    else:
        return
    for key, child in children:
        if last:
            yield node, key, (*at, key)
        else:
            yield from _walk(child, segments, index + 1, (*at, key))


def value_at(body: Any, pattern: str) -> Any:
    found = [container[key] for container, key, _ in locations(body, segments(pattern))]
    return found[0] if found else None
