"""The closed lists of official documents: their types, urgency, confidentiality and steering kind.

Document types and their abbreviations are those of Decree 30/2020/NĐ-CP on clerical work (công tác văn thư),
Article 7 and Appendix III: 29 types of administrative documents (văn bản hành chính), 27 of which have an
abbreviation used in the notation (ký hiệu), e.g. ``QĐ`` in ``15/QĐ-UBND``. Công văn and thư công have none:
the notation of a công văn is the agency's abbreviation and the drafting unit's (``7816/VPCP-TTĐT``).

Urgency (mức độ khẩn) follows the edXML ``Priority`` element (QCVN 102:2016): 0 normal, 1 urgent (khẩn), 2 very
urgent (thượng khẩn), 3 express (hỏa tốc), 4 express with a set time (hỏa tốc hẹn giờ); the exact numbering of
the standard is not confirmed (see docs/exchange.md). Confidentiality (độ mật) is that of the Law on the
Protection of State Secrets 2018: confidential (mật), secret (tối mật), top secret (tuyệt mật). Steering type
(``SteeringType``): 0 not a directive, 1 a directive, 2 a directive that asks for a report (inferred).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The edXML code lists are the library's (QCVN 102): urgency, steering type, what a package does, status codes.
from motcua.exchange.edxml.codes import BusinessDocType as BusinessType
from motcua.exchange.edxml.codes import Priority, StatusCode, SteeringType

__all__ = [
    "CHANGE_RANK",
    "PROGRESS_RANK",
    "TYPES",
    "BusinessType",
    "Confidentiality",
    "DocumentType",
    "Priority",
    "SignerCompetence",
    "StatusCode",
    "SteeringType",
    "TypeInfo",
    "notation_default",
    "type_by_name",
    "type_info",
]


@dataclass(frozen=True)
class TypeInfo:
    key: str
    name_vi: str  # the legal name, as it is printed on the document
    abbreviation: str  # "" for công văn and thư công


class DocumentType(models.TextChoices):
    """The 29 types of administrative documents of Decree 30/2020 (Article 7)."""

    RESOLUTION = "NQ", _("Resolution")
    DECISION = "QD", _("Decision")
    DIRECTIVE = "CT", _("Directive")
    STATUTE = "QC", _("Statute")
    REGULATION = "QYD", _("Regulation")
    COMMUNIQUE = "TC", _("Communiqué")
    NOTICE = "TB", _("Notice")
    GUIDANCE = "HD", _("Guidance")
    PROGRAMME = "CTR", _("Programme")
    PLAN = "KH", _("Plan")
    OPTION = "PA", _("Option plan")
    SCHEME = "DA", _("Scheme")
    PROJECT = "DAN", _("Project")
    REPORT = "BC", _("Report")
    MINUTES = "BB", _("Minutes")
    SUBMISSION = "TTR", _("Submission")
    CONTRACT = "HDG", _("Contract")
    OFFICIAL_LETTER = "CV", _("Official letter")
    OFFICIAL_TELEGRAM = "CD", _("Official telegram")
    MEMORANDUM = "GN", _("Memorandum of understanding")
    AGREEMENT = "TTH", _("Agreement")
    AUTHORISATION = "GUQ", _("Letter of authorisation")
    INVITATION = "GM", _("Letter of invitation")
    INTRODUCTION = "GGT", _("Letter of introduction")
    LEAVE = "GNP", _("Leave permit")
    SENDING_SLIP = "PG", _("Sending slip")
    TRANSFER_SLIP = "PC", _("Transfer slip")
    NOTICE_SLIP = "PB", _("Notice slip")
    PUBLIC_LETTER = "THC", _("Public letter")


# key -> (legal name in Vietnamese, abbreviation in the notation)
TYPES: dict[str, TypeInfo] = {
    info.key: info
    for info in (
        TypeInfo("NQ", "Nghị quyết", "NQ"),
        TypeInfo("QD", "Quyết định", "QĐ"),
        TypeInfo("CT", "Chỉ thị", "CT"),
        TypeInfo("QC", "Quy chế", "QC"),
        TypeInfo("QYD", "Quy định", "QyĐ"),
        TypeInfo("TC", "Thông cáo", "TC"),
        TypeInfo("TB", "Thông báo", "TB"),
        TypeInfo("HD", "Hướng dẫn", "HD"),
        TypeInfo("CTR", "Chương trình", "CTr"),
        TypeInfo("KH", "Kế hoạch", "KH"),
        TypeInfo("PA", "Phương án", "PA"),
        TypeInfo("DA", "Đề án", "ĐA"),
        TypeInfo("DAN", "Dự án", "DA"),
        TypeInfo("BC", "Báo cáo", "BC"),
        TypeInfo("BB", "Biên bản", "BB"),
        TypeInfo("TTR", "Tờ trình", "TTr"),
        TypeInfo("HDG", "Hợp đồng", "HĐ"),
        TypeInfo("CV", "Công văn", ""),
        TypeInfo("CD", "Công điện", "CĐ"),
        # Appendix III of Decree 30/2020 (not in DOMAIN.md's list; see docs/exchange.md).
        TypeInfo("GN", "Bản ghi nhớ", "GN"),
        TypeInfo("TTH", "Bản thỏa thuận", "TTh"),
        TypeInfo("GUQ", "Giấy ủy quyền", "GUQ"),
        TypeInfo("GM", "Giấy mời", "GM"),
        TypeInfo("GGT", "Giấy giới thiệu", "GGT"),
        TypeInfo("GNP", "Giấy nghỉ phép", "GNP"),
        TypeInfo("PG", "Phiếu gửi", "PG"),
        TypeInfo("PC", "Phiếu chuyển", "PC"),
        TypeInfo("PB", "Phiếu báo", "PB"),
        TypeInfo("THC", "Thư công", ""),
    )
}

assert set(TYPES) == set(DocumentType.values), "every document type has its legal name and abbreviation"


def type_info(key: str) -> TypeInfo:
    return TYPES[key]


def type_by_name(name: str) -> str:
    """The type key whose legal name or abbreviation is ``name`` (as another system wrote it), or ""."""
    from motcua.agencies.search import search_fold

    folded = search_fold(name)
    for info in TYPES.values():
        if folded and folded in (search_fold(info.name_vi), search_fold(info.abbreviation)):
            return info.key
    return ""


class Confidentiality(models.TextChoices):
    """Degree of secrecy (độ mật). Only normal documents travel electronically (see services.sending)."""

    NORMAL = "normal", pgettext_lazy("confidentiality", "Normal")
    CONFIDENTIAL = "confidential", _("Confidential")
    SECRET = "secret", _("Secret")
    TOP_SECRET = "top_secret", _("Top secret")


class SignerCompetence(models.TextChoices):
    """How the signer signs (thẩm quyền ký, Decree 30/2020 Article 13): in their own name, on behalf of the
    collective, as deputy, by order, by authorisation."""

    OWN = "", _("In their own capacity")
    ON_BEHALF = "TM.", _("On behalf of (TM.)")
    DEPUTY = "KT.", _("As deputy (KT.)")
    BY_ORDER = "TL.", _("By order (TL.)")
    AUTHORISED = "TUQ.", _("By authorisation (TUQ.)")


# The progress of a received document, in order; a status of higher rank at the same second is the newer one.
PROGRESS_RANK = {
    StatusCode.ARRIVED: 1,
    StatusCode.ACCEPTED: 3,
    StatusCode.ASSIGNED: 4,
    StatusCode.PROCESSING: 5,
    StatusCode.FINISHED: 6,
    StatusCode.REJECTED: 7,
}
# The answer to a recall or update request.
CHANGE_RANK = {StatusCode.RECALLED: 1, StatusCode.RECALL_ACCEPTED: 2, StatusCode.RECALL_REFUSED: 2}


def notation_default(*, document_type: str, organisation_abbreviation: str, unit_abbreviation: str = "") -> str:
    """The notation (ký hiệu) of Decree 30/2020 Appendix I: ``QĐ-UBND`` for a type with an abbreviation,
    ``VPCP-TTĐT`` (agency - drafting unit) for a công văn or thư công."""
    info = TYPES[document_type]
    organisation_abbreviation = organisation_abbreviation.strip()
    unit_abbreviation = unit_abbreviation.strip()
    if info.abbreviation:
        return f"{info.abbreviation}-{organisation_abbreviation}" if organisation_abbreviation else info.abbreviation
    parts = [part for part in (organisation_abbreviation, unit_abbreviation) if part]
    return "-".join(parts)
