"""Parse XML from outside without trusting it (OWASP XXE Prevention Cheat Sheet; MedCom messages need none of
the features refused here).

- The size is checked before a byte is parsed.
- A document that declares a DTD at all (where XXE and "billion laughs" live) is refused: before parsing
  when the bytes show `<!DOCTYPE`, and again on the parsed tree, before anything in it is read.
- While parsing, no DTD is loaded, no entity is resolved, nothing is fetched from the network, and libxml2's
  limits on huge documents stay on.
"""

from __future__ import annotations

from enum import StrEnum

from lxml import etree

_DTD_MESSAGE = "the message declares a DTD (<!DOCTYPE>), which is not accepted"
# Looked for before parsing, in the encodings a document may declare without a BOM too (UTF-8 and ASCII-like
# ones, UTF-16 either way round); the parsed tree is checked again after.
_DOCTYPE_MARKERS = tuple("<!DOCTYPE".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be"))


class XmlRefusal(StrEnum):
    TOO_LARGE = "too_large"
    NOT_XML = "not_xml"
    DTD_FORBIDDEN = "dtd_forbidden"


class XmlRefused(Exception):
    """The bytes are not read as XML. The message names the reason, never the content."""

    def __init__(self, reason: XmlRefusal, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _parser() -> etree.XMLParser:
    # A new parser per document: lxml parsers keep state and are not safe to share between threads.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_untrusted(raw: bytes, *, max_bytes: int) -> etree._Element:
    """The document's root element, or `XmlRefused`."""
    if len(raw) > max_bytes:
        raise XmlRefused(XmlRefusal.TOO_LARGE, f"the message is larger than {max_bytes} bytes")
    if any(marker in raw for marker in _DOCTYPE_MARKERS):
        raise XmlRefused(XmlRefusal.DTD_FORBIDDEN, _DTD_MESSAGE)
    try:
        root = etree.fromstring(raw, _parser())
    except etree.XMLSyntaxError as error:
        # libxml2's message names a line and column and what it expected, never the document's text.
        raise XmlRefused(XmlRefusal.NOT_XML, f"the message is not well-formed XML (line {error.lineno})") from None
    if root is None:
        raise XmlRefused(XmlRefusal.NOT_XML, "the message is empty")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise XmlRefused(XmlRefusal.DTD_FORBIDDEN, _DTD_MESSAGE)
    return root
