"""What each form prints: plain, immutable values that the dossiers services fill in.

The renderers never read the database; a service loads the dossier, builds one of these and calls the
renderer. All datetimes must be timezone-aware (stored in UTC, printed in Asia/Ho_Chi_Minh); money is
integer đồng. Texts are printed as given (normalised to NFC), so give names in their natural case: the
headings put agency names in capitals themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import IntEnum, StrEnum


class Channel(IntEnum):
    """How the dossier came in, numbered as the national portal's ``KenhThucHien``."""

    IN_PERSON = 1
    ONLINE = 2
    POSTAL = 3

    @property
    def label(self) -> str:
        return _CHANNEL_LABELS[self]


_CHANNEL_LABELS = {
    Channel.IN_PERSON: "Trực tiếp",
    Channel.ONLINE: "Trực tuyến",
    Channel.POSTAL: "Qua dịch vụ bưu chính công ích",
}


class Timeliness(StrEnum):
    """How a processing step ended against its allotted time (Form 05's result column)."""

    EARLY = "early"
    ON_TIME = "on_time"
    LATE = "late"
    IN_PROGRESS = "in_progress"

    @property
    def label(self) -> str:
        return _TIMELINESS_LABELS[self]


_TIMELINESS_LABELS = {
    Timeliness.EARLY: "Trước hạn",
    Timeliness.ON_TIME: "Đúng hạn",
    Timeliness.LATE: "Quá hạn",
    Timeliness.IN_PROGRESS: "Đang xử lý",
}


@dataclass(frozen=True, slots=True)
class Agency:
    """The issuing agency in the top-left heading (Decree 30/2020: ``tên cơ quan, tổ chức ban hành``).

    ``parent_name`` is the governing agency (``cơ quan chủ quản``) printed above it, if any; ``place`` is
    the locality of the place-and-date line ("Quảng Ninh", "Hạ Long").
    """

    name: str
    place: str
    parent_name: str = ""


@dataclass(frozen=True, slots=True)
class Applicant:
    """The person or organisation the dossier belongs to (``chủ hồ sơ``)."""

    name: str
    identifier: str = ""
    phone: str = ""
    address: str = ""
    email: str = ""
    identifier_label: str = "Số định danh cá nhân"  # "Mã số doanh nghiệp" for a business


@dataclass(frozen=True, slots=True)
class ReceivedComponent:
    """One paper of the dossier as received: its name and how many originals and copies."""

    name: str
    originals: int = 0
    copies: int = 0


@dataclass(frozen=True, slots=True)
class ReceiptContext:
    """Form 01, receipt and appointment slip (phiếu tiếp nhận hồ sơ và hẹn trả kết quả)."""

    agency: Agency
    dossier_code: str
    lookup_secret: str
    tracking_url: str
    procedure_name: str
    procedure_code: str
    applicant: Applicant
    components: Sequence[ReceivedComponent]
    fees_total: int
    received_at: dt.datetime
    due_at: dt.datetime
    processing_days: int
    channel: Channel
    clerk_name: str
    result_delivery: str = "Bộ phận tiếp nhận và trả kết quả"
    dossier_sets: int = 1
    log_book_volume: str = ""
    log_book_number: str = ""


@dataclass(frozen=True, slots=True)
class SupplementItem:
    """A paper or piece of information to add or correct, and why."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True)
class SupplementRequestContext:
    """Form 02, request to supplement and complete the dossier (phiếu yêu cầu bổ sung, hoàn thiện hồ sơ)."""

    agency: Agency
    dossier_code: str
    procedure_name: str
    procedure_code: str
    applicant: Applicant
    items: Sequence[SupplementItem]
    deadline_note: str
    issued_at: dt.datetime
    official_name: str
    document_number: str = ""
    contact_name: str = ""
    contact_phone: str = ""


@dataclass(frozen=True, slots=True)
class RefusalContext:
    """Form 03, refusal to receive and process the dossier (phiếu từ chối tiếp nhận giải quyết hồ sơ)."""

    agency: Agency
    dossier_code: str
    procedure_name: str
    procedure_code: str
    applicant: Applicant
    reasons: Sequence[str]
    issued_at: dt.datetime
    official_name: str
    document_number: str = ""
    legal_basis: str = ""


@dataclass(frozen=True, slots=True)
class DelayNoticeContext:
    """Form 04, apology and new appointment (phiếu xin lỗi và hẹn lại ngày trả kết quả).

    ``apology`` replaces the standard sentence after the reason when the agency wants its own words.
    """

    agency: Agency
    dossier_code: str
    procedure_name: str
    procedure_code: str
    applicant: Applicant
    received_at: dt.datetime
    old_due_at: dt.datetime
    new_due_at: dt.datetime
    reason: str
    issued_at: dt.datetime
    signer_position: str
    signer_name: str
    document_number: str = ""
    apology: str = ""


@dataclass(frozen=True, slots=True)
class ControlSlipStep:
    """One step of the internal process as it happened (who, where, when, on time or not)."""

    name: str
    handler: str
    unit: str
    received_at: dt.datetime | None
    allotted_working_days: Decimal | float | int
    finished_at: dt.datetime | None
    timeliness: Timeliness
    note: str = ""


@dataclass(frozen=True, slots=True)
class ControlSlipContext:
    """Form 05, processing control slip (phiếu kiểm soát quá trình giải quyết hồ sơ)."""

    agency: Agency
    dossier_code: str
    procedure_name: str
    procedure_code: str
    applicant_name: str
    received_at: dt.datetime
    due_at: dt.datetime
    processing_unit: str
    steps: Sequence[ControlSlipStep]
    printed_at: dt.datetime
    coordinating_units: Sequence[str] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class LogBookEntry:
    """One dossier's line in the log book."""

    dossier_code: str
    procedure_name: str
    applicant_name: str
    applicant_address: str
    applicant_phone: str
    lead_agency: str
    received_at: dt.datetime
    due_at: dt.datetime
    dossier_sets: int = 1
    transferred_at: dt.datetime | None = None
    result_received_at: dt.datetime | None = None
    returned_at: dt.datetime | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class LogBookContext:
    """Form 06, dossier log book (sổ theo dõi hồ sơ) of one agency for a period (dates inclusive)."""

    agency: Agency
    period_start: dt.date
    period_end: dt.date
    entries: Sequence[LogBookEntry]
    printed_at: dt.datetime
    volume: str = ""


@dataclass(frozen=True, slots=True)
class ResultContext:
    """A result document (văn bản kết quả) laid out as an administrative document of Decree 30/2020.

    ``document_number`` is number and notation ("125/QĐ-UBND"); ``title`` the document type in capitals
    ("QUYẾT ĐỊNH", "GIẤY PHÉP XÂY DỰNG"); ``subject`` the summary line ("Về việc ..."), if any; ``body``
    the paragraphs; ``signer_authority`` the "TM."/"KT."/"Q." line above the position, if any.
    """

    agency: Agency
    document_number: str
    title: str
    body: Sequence[str]
    signer_position: str
    signer_name: str
    issued_at: dt.datetime
    subject: str = ""
    signer_authority: str = ""
    recipients: Sequence[str] = field(default_factory=tuple)
    dossier_code: str = ""
    # The public verification page of the issued document and its short code (QR code + code printed).
    verification_url: str = ""
    verification_code: str = ""
