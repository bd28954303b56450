"""Names, code lists and value formats of QCVN 102:2016/BTTTT (edXML), as Motcua reads and writes them.

What is confirmed and what is inferred is listed field by field in ``docs/edxml.md``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import pgettext_lazy

NAMESPACE = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
XLINK_NAMESPACE = "http://www.w3.org/1999/xlink"
PREFIX = "edXML"

# Dates and times in packages carry no zone: they are Vietnam's legal time.
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DATE_FORMAT = "%Y/%m/%d"  # PromulgationDate, DueDate, ResponseFor/PromulgationDate
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"  # TraceHeader/Timestamp, status Timestamp

# Length limits of the real validators (docs/edxml.md): codes and identifiers are refused when longer (cutting
# them would change what they name); free text is accepted with a warning up to FREE_TEXT_HARD_FACTOR times the
# limit when parsing leniently, and refused beyond (or when strict).
CODE_NUMBER_MAX = 11
CODE_NOTATION_MAX = 30
TYPER_NOTATION_MAX = 10
SUBJECT_MAX = 500
CONTENT_MAX = 500
PLACE_MAX = 50
ORGAN_NAME_MAX = 200
TYPE_NAME_MAX = 100
# Not stated by the sources: Motcua's own bounds for the other text fields (inferred, docs/edxml.md).
TEXT_MAX = 500
SHORT_TEXT_MAX = 200
DOCUMENT_ID_MAX = 100
RESPONSE_CODE_MAX = CODE_NUMBER_MAX + 1 + CODE_NOTATION_MAX
ATTACHMENT_NAME_MAX = 255
FREE_TEXT_HARD_FACTOR = 4


class StatusCode(models.TextChoices):
    """Processing status sent back to the sender in a status package (gói tin trạng thái)."""

    ARRIVED = "01", pgettext_lazy("edXML status", "Arrived (received by the receiving software)")
    REJECTED = "02", pgettext_lazy("edXML status", "Rejected")
    ACCEPTED = "03", pgettext_lazy("edXML status", "Accepted (registered by the document clerk)")
    ASSIGNED = "04", pgettext_lazy("edXML status", "Assigned for processing")
    PROCESSING = "05", pgettext_lazy("edXML status", "Being processed")
    FINISHED = "06", pgettext_lazy("edXML status", "Processing finished")
    RECALLED = "13", pgettext_lazy("edXML status", "Recalled by the sender")
    RECALL_ACCEPTED = "15", pgettext_lazy("edXML status", "Recall or update accepted")
    RECALL_REFUSED = "16", pgettext_lazy("edXML status", "Recall or update refused")


# A refusal (02, 16) must say why: the sender has to act on it (inferred, docs/edxml.md).
STATUS_CODES_NEEDING_REASON = frozenset({StatusCode.REJECTED, StatusCode.RECALL_REFUSED})


class BusinessDocType(models.IntegerChoices):
    """What the package does to the document (Bussiness/BussinessDocType)."""

    NEW = 0, pgettext_lazy("edXML business type", "New document")
    REVOCATION = 1, pgettext_lazy("edXML business type", "Revocation of a document sent earlier")
    UPDATE = 2, pgettext_lazy("edXML business type", "Update of a document sent earlier")
    REPLACEMENT = 3, pgettext_lazy("edXML business type", "Replacement of a document sent earlier")


class Priority(models.IntegerChoices):
    """Urgency (độ khẩn) of the document (OtherInfo/Priority); the numbering is inferred, docs/edxml.md."""

    NORMAL = 0, pgettext_lazy("edXML priority", "Normal")
    URGENT = 1, pgettext_lazy("edXML priority", "Urgent (khẩn)")
    VERY_URGENT = 2, pgettext_lazy("edXML priority", "Very urgent (thượng khẩn)")
    EXPRESS = 3, pgettext_lazy("edXML priority", "Express (hỏa tốc)")
    EXPRESS_SET_TIME = 4, pgettext_lazy("edXML priority", "Express at a set time (hỏa tốc hẹn giờ)")


class SteeringType(models.IntegerChoices):
    """Whether the document directs the receiver (SteeringType); 1 and 2 are inferred, docs/edxml.md."""

    NONE = 0, pgettext_lazy("edXML steering type", "Not a directive")
    DIRECTIVE = 1, pgettext_lazy("edXML steering type", "Directive")
    DIRECTIVE_WITH_REPORT = 2, pgettext_lazy("edXML steering type", "Directive requiring a report")


# --- DocumentId -------------------------------------------------------------------------------------------------

_DOCUMENT_ID = re.compile(r"^(?P<organ>[^,]+),(?P<date>\d{4}/\d{2}/\d{2}),(?P<number>[^/,]+)/(?P<notation>[^,]+)$")


@dataclass(frozen=True)
class DocumentIdParts:
    """The parts of a DocumentId: who issued the document, when, and its number and notation."""

    organ_id: str
    promulgation_date: dt.date
    code_number: str
    code_notation: str


def document_id_format(*, organ_id: str, promulgation_date: dt.date, code_number: str, code_notation: str) -> str:
    """``{OrganId},{yyyy/MM/dd},{number}/{notation}``, e.g. ``000.00.00.G22,2018/09/20,7816/VPCP-TTĐT``."""
    return f"{organ_id},{promulgation_date.strftime(DATE_FORMAT)},{code_number}/{code_notation}"


def document_id_parse(value: str) -> DocumentIdParts:
    """The parts of a DocumentId; ``ValueError`` when it is not of the form of :func:`document_id_format`.

    The organisation code is not checked here (callers decide how strict to be); the date must exist.
    """
    match = _DOCUMENT_ID.match(value or "")
    if not match:
        raise ValueError(f"not a DocumentId of the form OrganId,yyyy/MM/dd,number/notation: {value!r}")
    promulgation_date = dt.datetime.strptime(match["date"], DATE_FORMAT).date()
    return DocumentIdParts(
        organ_id=match["organ"],
        promulgation_date=promulgation_date,
        code_number=match["number"],
        code_notation=match["notation"],
    )


def date_format(value: dt.date) -> str:
    return value.strftime(DATE_FORMAT)


def timestamp_format(value: dt.datetime) -> str:
    """The moment in Vietnam's time, to the second (an aware datetime; a naive one is taken as Vietnam's)."""
    moment = value.replace(tzinfo=VIETNAM) if value.tzinfo is None else value.astimezone(VIETNAM)
    return moment.strftime(TIMESTAMP_FORMAT)
