"""The envelope id of an outbound OIOXML message, written anew for an automatic resend.

MedCom's reliable messaging: a message that got no receipt may be resent, each time with a new envelope id
and the same letter (`Letter/Identifier` stays, so the receiver sees the same letter; the envelope id tells
the sends apart and is what its receipt quotes). Only `Envelope/Identifier` changes; the message is read
with the intake's safe parser and written back as parsed (its comments, which that parser drops, go).
"""

from __future__ import annotations

from lxml import etree

from activities.messaging.medcom.safe_xml import XmlRefused, parse_untrusted

# The outbox holds nothing larger than the intake takes; a resend reads what the service itself queued.
_MAX_BYTES = 50 * 1024 * 1024


def with_envelope_id(content: bytes, envelope_id: str) -> bytes | None:
    """`content` with its `Emessage/Envelope/Identifier` set to `envelope_id`; None when the content is no
    OIOXML message with an envelope id (e.g. the service's own JSON plan: the id is then only the file's)."""
    try:
        root = parse_untrusted(content, max_bytes=_MAX_BYTES)
    except XmlRefused:
        return None
    found = root.xpath("/*[local-name()='Emessage']/*[local-name()='Envelope']/*[local-name()='Identifier'][1]")
    if not isinstance(found, list) or not found or not isinstance(found[0], etree._Element):
        return None
    found[0].text = envelope_id
    encoding = root.getroottree().docinfo.encoding or "UTF-8"
    return bytes(etree.tostring(root.getroottree(), xml_declaration=True, encoding=encoding))
