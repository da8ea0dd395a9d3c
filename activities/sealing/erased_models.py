"""Loading bodies whose personal fields read as erased into their models.

An erased text reads `[slettet]`, which some validators refuse (a CPR number, a diagnosis code): such a field is
validated with a stand-in (activities.sealing.personal_fields.STAND_INS) and then set to `[slettet]` on the loaded
model, which never validates again (pydantic does not revalidate model instances).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel

from activities.sealing.field_paths import ErasedField, Path, locations, segments
from activities.sealing.personal_fields import ERASED_TEXT, STAND_INS, BodyFields, Erased

M = TypeVar("M")


def _stand_in(pattern: str) -> str | None:
    return next((value for suffix, value in STAND_INS.items() if pattern.endswith(suffix)), None)


def _set(node: Any, path: Path, value: Any) -> None:
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value


def _patched(model: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(model, BaseModel):
        assert isinstance(head, str)
        return model.model_copy(update={head: _patched(getattr(model, head), rest, value)})
    if isinstance(model, list | tuple):
        assert isinstance(head, int)
        items = list(model)
        items[head] = _patched(items[head], rest, value)
        return type(model)(items)
    if isinstance(model, dict):
        return {**model, head: _patched(model[head], rest, value)}
    raise TypeError(f"cannot patch into {type(model).__name__}")


def validated(parse: Callable[[Any], M], body: dict[str, Any], erased: list[ErasedField]) -> M:
    """`parse(body)`, where erased fields whose validator would refuse `[slettet]` get a stand-in for the
    validation and `[slettet]` on the model it returns."""
    patches = [field.path for field in erased if field.erased is Erased.TEXT and _stand_in(field.pattern) is not None]
    for field in erased:
        stand_in = _stand_in(field.pattern) if field.erased is Erased.TEXT else None
        if stand_in is not None:
            _set(body, field.path, stand_in)
    model = parse(body)
    for path in patches:
        model = _patched(model, path, ERASED_TEXT)
    return model


def erased_in(body: dict[str, Any], fields: BodyFields) -> list[ErasedField]:
    """The personal fields of an opened body that read `[slettet]` (no keys needed: for bodies already opened)."""
    return [
        ErasedField(path, pattern, kind)
        for pattern, kind in fields.personal.items()
        if kind is Erased.TEXT
        for container, slot, path in locations(body, segments(pattern))
        if container[slot] == ERASED_TEXT
    ]


def load_opened(parse: Callable[[Any], M], body: dict[str, Any], fields: BodyFields) -> M:
    """`parse` of a body `open_body` opened before (a read-model row), erased fields and all; `body` is kept."""
    return validated(parse, copy.deepcopy(body), erased_in(body, fields))
