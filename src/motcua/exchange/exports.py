"""The document books as files: CSV (UTF-8 with a byte order mark, so spreadsheet programs read the Vietnamese)
and PDF (the register's columns of Decree 30/2020 Appendix IV, landscape A4, headings repeated on every page)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from django.utils import timezone

from motcua.dossiers.documents import formatting as fmt
from motcua.dossiers.documents.layout import HeadingCell, OfficialDocument
from motcua.dossiers.documents_mapping import agency_of
from motcua.exchange.models import DocumentBook, IncomingDocument, OutgoingDocument
from motcua.exchange.vocabulary import TYPES

OUTGOING_COLUMNS = [
    "Số, ký hiệu văn bản",
    "Ngày tháng văn bản",
    "Tên loại và trích yếu nội dung",
    "Người ký",
    "Nơi nhận văn bản",
    "Đơn vị, người nhận bản lưu",
    "Số lượng bản",
    "Ngày chuyển",
    "Ghi chú",
]
INCOMING_COLUMNS = [
    "Ngày đến",
    "Số đến",
    "Tác giả",
    "Số, ký hiệu",
    "Ngày tháng",
    "Tên loại và trích yếu nội dung",
    "Đơn vị hoặc người nhận",
    "Ký nhận",
    "Ghi chú",
]


def _date(value: Any) -> str:
    if value is None:
        return ""
    if hasattr(value, "hour"):
        return fmt.numeric_date(fmt.local_date(value))
    return fmt.numeric_date(value)


def _type_name(key: str, fallback: str = "") -> str:
    return TYPES[key].name_vi if key in TYPES else fallback


def outgoing_row(document: OutgoingDocument) -> list[str]:
    recipients = "; ".join(r.organisation_name for r in document.recipients.all())
    note = "Đăng ký muộn" if document.registered_late else ""
    if document.recalled_at:
        note = "; ".join(part for part in (note, "Đã thu hồi") if part)
    return [
        document.number_and_notation,
        _date(document.issued_on),
        f"{_type_name(document.document_type)}: {document.subject}",
        document.signer_name,
        recipients,
        document.drafting_unit.name if document.drafting_unit_id and document.drafting_unit else "",
        "1",
        _date(document.sent_at),
        note,
    ]


def incoming_row(document: IncomingDocument) -> list[str]:
    receiver = ", ".join(
        part
        for part in (
            document.assigned_unit.name if document.assigned_unit_id and document.assigned_unit else "",
            (document.assigned_to.full_name or "") if document.assigned_to_id and document.assigned_to else "",
        )
        if part
    )
    note = "Đăng ký muộn" if document.registered_late else ""
    return [
        _date(document.arrived_at),
        str(document.arrival_number or ""),
        document.sender_name,
        document.number_and_notation,
        _date(document.issued_on),
        f"{_type_name(document.document_type, document.type_name)}: {document.subject}",
        receiver,
        "",
        note,
    ]


def book_rows(book: DocumentBook, entries: Iterable[Any]) -> tuple[list[str], list[list[str]]]:
    if book.direction == DocumentBook.Direction.OUTGOING:
        return OUTGOING_COLUMNS, [outgoing_row(entry) for entry in entries]
    return INCOMING_COLUMNS, [incoming_row(entry) for entry in entries]


def book_csv(book: DocumentBook, entries: Iterable[Any]) -> bytes:
    columns, rows = book_rows(book, entries)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def book_pdf(book: DocumentBook, entries: Iterable[Any], *, year: int) -> bytes:
    columns, rows = book_rows(book, entries)
    organisation = book.organisation
    title = book.name.upper()
    pdf = OfficialDocument(
        title=f"{book.name} {year} - {organisation.name}",
        author=organisation.name,
        subject=f"{book.name} năm {year}",
        created_at=timezone.now(),
        landscape=True,
    )
    pdf.heading(agency_of(organisation))
    pdf.title_block(title, f"Năm {year}")
    if book.direction == DocumentBook.Direction.OUTGOING:
        widths = (20, 16, 52, 22, 40, 22, 10, 16, 20)
        align = ("L", "C", "L", "L", "L", "L", "C", "C", "L")
    else:
        widths = (16, 10, 32, 22, 16, 52, 28, 14, 18)
        align = ("C", "C", "L", "L", "C", "L", "L", "L", "L")
    pdf.grid([[HeadingCell(text) for text in columns]], rows, col_widths=widths, align=align, size=8.5)
    return pdf.to_bytes()
