"""GGOP's formatted text as plain text: `Break` is a line break, `Bold`, `Italic` and other markup keep only
their text (MedCom's markup elements, namespace urn:oio:medcom:municipality:1.0.0)."""

from __future__ import annotations

import re

from lxml import etree

_SPACES = re.compile(r"[ \t\r\n]+")
_MARKUP_BREAK = "Break"


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _pieces(element: etree._Element) -> list[str]:
    pieces = [element.text or ""]
    for child in element:
        if _local(child.tag) == _MARKUP_BREAK:
            pieces.append("\n")
        else:
            pieces.extend(_pieces(child))
        pieces.append(child.tail or "")
    return pieces


def plain_text(element: etree._Element | None) -> str | None:
    """The element's text with markup resolved; runs of white space in the source (its indentation) become
    one space, and each line is trimmed. None for a missing or empty element."""
    if element is None:
        return None
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(_collapse(_pieces(element))).split("\n")]
    text = "\n".join(lines).strip("\n")
    return text or None


def _collapse(pieces: list[str]) -> list[str]:
    # White space inside a text piece is layout; the line breaks that count are the Break elements, which
    # arrive as pieces of exactly "\n".
    return [piece if piece == "\n" else piece.replace("\n", " ") for piece in pieces]
