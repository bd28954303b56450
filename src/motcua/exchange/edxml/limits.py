"""Bounds on what a package may cost to read: bytes, attachments, depth, elements, text."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True, kw_only=True)
class ParseLimits:
    """Limits applied while reading a package; anything beyond is refused before more is read.

    ``max_package_bytes``, ``max_attachment_bytes`` (decoded size of one attachment), ``max_attachments`` and
    ``temp_dir`` come from the settings (``MOTCUA_EDXML_*``); the structural bounds are fixed: an edXML header is
    about 40 elements deep at most and holds short texts.
    """

    max_package_bytes: int = 64 * 1024 * 1024
    max_attachment_bytes: int = 48 * 1024 * 1024
    max_attachments: int = 100
    max_depth: int = 24
    max_elements: int = 20_000
    max_attributes: int = 32  # on one element (edXML uses at most four)
    max_text_chars: int = 64 * 1024  # any one text outside the attachments' content
    max_total_text_chars: int = 2 * 1024 * 1024
    temp_dir: str = ""  # where decoded attachments are written; empty: the system's temporary directory

    @classmethod
    def from_settings(cls) -> ParseLimits:
        return cls(
            max_package_bytes=int(settings.EDXML_MAX_PACKAGE_BYTES),
            max_attachment_bytes=int(settings.EDXML_MAX_ATTACHMENT_BYTES),
            max_attachments=int(settings.EDXML_MAX_ATTACHMENTS),
            temp_dir=str(settings.EDXML_TEMP_DIR or ""),
        )
