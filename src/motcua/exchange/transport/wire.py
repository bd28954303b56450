"""A message on the wire: the signed package bytes and the transport headers that route it.

The headers say where a message goes and let a node refuse or deduplicate it before reading it; they are never
trusted for the document itself: the receiver reads everything from the signed package and refuses a package
whose header fields disagree with them.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from motcua.core.exceptions import ValidationFailed

HEADER_MESSAGE_ID = "X-Motcua-Message-Id"
HEADER_KIND = "X-Motcua-Message-Kind"
HEADER_FROM = "X-Motcua-From"
HEADER_TO = "X-Motcua-To"
HEADER_DOCUMENT_ID = "X-Motcua-Document-Id"
HEADER_ORIGIN = "X-Motcua-Origin-Node"
HEADER_ROUTE = "X-Motcua-Route"
MESSAGE_HEADERS = (
    HEADER_MESSAGE_ID,
    HEADER_KIND,
    HEADER_FROM,
    HEADER_TO,
    HEADER_DOCUMENT_ID,
    HEADER_ORIGIN,
    HEADER_ROUTE,
)
XML = "application/xml"
JSON = "application/json"


@dataclass(frozen=True)
class WireMessage:
    message_id: uuid.UUID
    kind: str
    from_code: str
    to_code: str
    document_id: str
    origin_node: str
    body: bytes
    route: tuple[str, ...] = ()  # the nodes it went through, origin first

    def headers(self) -> dict[str, str]:
        # Header values are ASCII: the document id may hold Vietnamese letters (its notation), so it is
        # percent-encoded as UTF-8.
        from urllib.parse import quote

        return {
            HEADER_MESSAGE_ID: str(self.message_id),
            HEADER_KIND: self.kind,
            HEADER_FROM: self.from_code,
            HEADER_TO: self.to_code,
            HEADER_DOCUMENT_ID: quote(self.document_id, safe=",/.-_"),
            HEADER_ORIGIN: self.origin_node,
            HEADER_ROUTE: ",".join(self.route),
        }

    @classmethod
    def from_headers(cls, headers: Mapping[str, str], body: bytes) -> WireMessage:
        from urllib.parse import unquote

        def value(name: str) -> str:
            return str(headers.get(name) or "").strip()

        try:
            message_id = uuid.UUID(value(HEADER_MESSAGE_ID))
        except ValueError:
            raise ValidationFailed(details={HEADER_MESSAGE_ID: ["not a UUID"]}, code="bad_message_headers") from None
        kind = value(HEADER_KIND)
        if kind not in ("package", "status"):
            raise ValidationFailed(details={HEADER_KIND: ["package or status"]}, code="bad_message_headers")
        missing = [name for name in (HEADER_FROM, HEADER_TO, HEADER_DOCUMENT_ID, HEADER_ORIGIN) if not value(name)]
        if missing:
            raise ValidationFailed(details={name: ["required"] for name in missing}, code="bad_message_headers")
        route = tuple(part for part in value(HEADER_ROUTE).split(",") if part)
        return cls(
            message_id=message_id,
            kind=kind,
            from_code=value(HEADER_FROM).upper()[:35],
            to_code=value(HEADER_TO).upper()[:35],
            document_id=unquote(value(HEADER_DOCUMENT_ID))[:100],
            origin_node=value(HEADER_ORIGIN)[:64],
            route=route,
            body=body,
        )


@dataclass(frozen=True)
class Answer:
    """What the receiving node answered: a signed status package (01 or 02, XML), or a JSON acknowledgement
    or error."""

    status: int
    content_type: str
    body: bytes

    @property
    def is_xml(self) -> bool:
        return self.content_type.split(";")[0].strip() == XML
