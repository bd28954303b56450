"""The renderers: one pure function per form, context in, PDF bytes out.

Wording follows the forms of Circular 01/2018/TT-VPCP (as amended; now Circular 03/2025/TT-VPCP) as far as
their text is known; where a form leaves a blank the value fills it, and where Motcua adds a line (the
lookup secret and QR code on Form 01, the fee total) it says so in its own words. The forms are Vietnamese
legal documents and are printed in Vietnamese only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from motcua.dossiers.documents import formatting as fmt
from motcua.dossiers.documents.context import (
    Applicant,
    ControlSlipContext,
    DelayNoticeContext,
    LogBookContext,
    ReceiptContext,
    RefusalContext,
    ResultContext,
    SupplementRequestContext,
)
from motcua.dossiers.documents.layout import (
    SIGN_NAME_AND_SEAL,
    HeadingCell,
    OfficialDocument,
    Run,
    Signature,
)

RECEIPT_TITLE = "PHIẾU TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"
SUPPLEMENT_TITLE = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ"
REFUSAL_TITLE = "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ"
DELAY_TITLE = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ"
CONTROL_SLIP_TITLE = "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ"
LOG_BOOK_TITLE = "SỔ THEO DÕI HỒ SƠ"

RECEIVING_UNIT = "Bộ phận tiếp nhận và trả kết quả"
CLOSING = "Xin trân trọng cảm ơn./."
QR_SIZE = 21.0


def _request(procedure_name: str, procedure_code: str) -> str:
    return f"{procedure_name} (mã thủ tục {procedure_code})" if procedure_code else procedure_name


def _applicant_lines(pdf: OfficialDocument, applicant: Applicant) -> None:
    if applicant.identifier:
        pdf.field(applicant.identifier_label, applicant.identifier)
    if applicant.address:
        pdf.field("Địa chỉ", applicant.address)
    contact: list[Run] = [("Số điện thoại: ", ""), (applicant.phone or "……………", "B")]
    if applicant.email:
        contact += [("    Email: ", ""), (applicant.email, "B")]
    pdf.paragraph(contact, align="L")


def _numbered(pdf: OfficialDocument, number: int, runs: Sequence[Run]) -> None:
    pdf.paragraph(runs, align="L", bullet=f"{number}.", indent=6)


def render_receipt(ctx: ReceiptContext) -> bytes:
    """Form 01: receipt and appointment slip, with the dossier code, lookup secret and a QR code to track it."""
    pdf = OfficialDocument(
        title=f"{RECEIPT_TITLE} - {ctx.dossier_code}",
        author=ctx.agency.name,
        subject=ctx.procedure_name,
        keywords=ctx.dossier_code,
        created_at=ctx.received_at,
    )
    agency_bottom = pdf.heading(
        ctx.agency, place_date=fmt.place_and_date(ctx.agency.place, fmt.local_date(ctx.received_at))
    )
    # The QR code of the tracking page sits under the agency's name, left of the centred title.
    qr_top = agency_bottom + 1
    pdf.qr_code(ctx.tracking_url, x=pdf.l_margin, y=qr_top, size=QR_SIZE)
    pdf.title_block(RECEIPT_TITLE, f"Mã hồ sơ: {ctx.dossier_code}")
    pdf.set_y(max(pdf.y, qr_top + QR_SIZE + 2))

    pdf.paragraph(
        [
            (f"{RECEIVING_UNIT} ", ""),
            (ctx.agency.name, "B"),
            (" tiếp nhận hồ sơ của: Ông/Bà ", ""),
            (ctx.applicant.name, "B"),
        ]
    )
    _applicant_lines(pdf, ctx.applicant)
    pdf.field("Nội dung yêu cầu giải quyết", _request(ctx.procedure_name, ctx.procedure_code))
    pdf.field("Hình thức nộp hồ sơ", ctx.channel.label)

    _numbered(pdf, 1, [("Thành phần hồ sơ nộp gồm:", "")])
    pdf.grid(
        [[HeadingCell("STT"), HeadingCell("Tên giấy tờ"), HeadingCell("Bản chính"), HeadingCell("Bản sao")]],
        [
            [str(index), component.name, fmt.count(component.originals), fmt.count(component.copies)]
            for index, component in enumerate(ctx.components, start=1)
        ],
        col_widths=(10, 109, 23, 23),
        align=("C", "L", "C", "C"),
        size=11.5,
    )
    _numbered(pdf, 2, [("Số lượng hồ sơ: ", ""), (fmt.count(ctx.dossier_sets), "B"), (" (bộ)", "")])
    _numbered(
        pdf,
        3,
        [
            ("Thời gian giải quyết hồ sơ theo quy định là: ", ""),
            (fmt.count(ctx.processing_days), "B"),
            (" ngày làm việc", ""),
        ],
    )
    _numbered(pdf, 4, [("Thời gian nhận hồ sơ: ", ""), (fmt.hour_minute_date(ctx.received_at), "B")])
    _numbered(pdf, 5, [("Thời gian trả kết quả giải quyết hồ sơ: ", ""), (fmt.hour_minute_date(ctx.due_at), "B")])
    _numbered(pdf, 6, [("Đăng ký nhận kết quả tại: ", ""), (ctx.result_delivery, "B")])
    fees = fmt.money(ctx.fees_total) if ctx.fees_total else "Không thu"
    _numbered(pdf, 7, [("Phí, lệ phí: ", ""), (fees, "B")])
    if ctx.log_book_volume or ctx.log_book_number:
        pdf.paragraph(
            [
                ("Vào Sổ theo dõi hồ sơ, Quyển số: ", ""),
                (ctx.log_book_volume or "……", "B"),
                ("   Số thứ tự: ", ""),
                (ctx.log_book_number or "……", "B"),
            ],
            align="L",
        )
    _tracking_note(pdf, ctx)
    pdf.signatures(
        [
            Signature("Người nộp hồ sơ", ctx.applicant.name),
            Signature("Người tiếp nhận hồ sơ", ctx.clerk_name),
        ]
    )
    return pdf.to_bytes()


def _tracking_note(pdf: OfficialDocument, ctx: ReceiptContext) -> None:
    """Motcua's addition to Form 01: how to follow the dossier without an account."""
    pdf.paragraph(
        [
            ("Tra cứu tình trạng hồ sơ không cần tài khoản: quét mã QR hoặc truy cập ", "I"),
            (ctx.tracking_url, ""),
            (", nhập Mã hồ sơ ", "I"),
            (ctx.dossier_code, "B"),
            (" và Mã tra cứu ", "I"),
            (ctx.lookup_secret, "B"),
            (" (Mã tra cứu chỉ cấp cho người nộp hồ sơ, xin giữ bí mật).", "I"),
        ],
        align="L",
        size=11,
    )


def render_supplement_request(ctx: SupplementRequestContext) -> bytes:
    """Form 02: what the applicant must add or correct, why, and by when."""
    pdf = OfficialDocument(
        title=f"{SUPPLEMENT_TITLE} - {ctx.dossier_code}",
        author=ctx.agency.name,
        subject=ctx.procedure_name,
        keywords=ctx.dossier_code,
        created_at=ctx.issued_at,
    )
    pdf.heading(
        ctx.agency,
        number=ctx.document_number,
        place_date=fmt.place_and_date(ctx.agency.place, fmt.local_date(ctx.issued_at)),
    )
    pdf.title_block(SUPPLEMENT_TITLE, f"Mã hồ sơ: {ctx.dossier_code}")
    pdf.paragraph([("Hồ sơ của: Ông/Bà ", ""), (ctx.applicant.name, "B")], align="L")
    _applicant_lines(pdf, ctx.applicant)
    pdf.field("Nội dung yêu cầu giải quyết", _request(ctx.procedure_name, ctx.procedure_code))
    pdf.paragraph("Yêu cầu bổ sung, hoàn thiện hồ sơ gồm những nội dung sau:")
    pdf.grid(
        [[HeadingCell("STT"), HeadingCell("Nội dung cần bổ sung, hoàn thiện"), HeadingCell("Lý do")]],
        [[str(index), item.name, item.reason] for index, item in enumerate(ctx.items, start=1)],
        col_widths=(10, 80, 75),
        align=("C", "L", "L"),
        size=12,
    )
    if ctx.deadline_note:
        pdf.paragraph(ctx.deadline_note)
    if ctx.contact_name or ctx.contact_phone:
        pdf.paragraph(
            [
                ("Trong quá trình hoàn thiện hồ sơ, nếu có vướng mắc, Ông/Bà liên hệ với ", ""),
                (ctx.contact_name or RECEIVING_UNIT, "B"),
                (", số điện thoại ", ""),
                (ctx.contact_phone or "……………", "B"),
                (" để được hướng dẫn.", ""),
            ]
        )
    pdf.paragraph(CLOSING)
    pdf.signatures([Signature("Người hướng dẫn", ctx.official_name)])
    return pdf.to_bytes()


def render_refusal(ctx: RefusalContext) -> bytes:
    """Form 03: refusal to receive and process the dossier, with each reason."""
    pdf = OfficialDocument(
        title=f"{REFUSAL_TITLE} - {ctx.dossier_code}" if ctx.dossier_code else REFUSAL_TITLE,
        author=ctx.agency.name,
        subject=ctx.procedure_name,
        keywords=ctx.dossier_code,
        created_at=ctx.issued_at,
    )
    pdf.heading(
        ctx.agency,
        number=ctx.document_number,
        place_date=fmt.place_and_date(ctx.agency.place, fmt.local_date(ctx.issued_at)),
    )
    pdf.title_block(REFUSAL_TITLE, *([f"Mã hồ sơ: {ctx.dossier_code}"] if ctx.dossier_code else []))
    pdf.paragraph(
        [
            (f"{RECEIVING_UNIT} ", ""),
            (ctx.agency.name, "B"),
            (" tiếp nhận hồ sơ của: Ông/Bà ", ""),
            (ctx.applicant.name, "B"),
        ]
    )
    _applicant_lines(pdf, ctx.applicant)
    pdf.field("Nội dung yêu cầu giải quyết", _request(ctx.procedure_name, ctx.procedure_code))
    basis = f"Căn cứ quy định tại {ctx.legal_basis}, " if ctx.legal_basis else "Qua xem xét, "
    pdf.paragraph(
        [
            (basis, ""),
            (ctx.agency.name, "B"),
            (" từ chối tiếp nhận, giải quyết hồ sơ này với lý do cụ thể như sau:", ""),
        ]
    )
    for index, reason in enumerate(ctx.reasons, start=1):
        _numbered(pdf, index, [(reason, "")])
    pdf.paragraph("Xin thông báo cho Ông/Bà được biết và thực hiện./.")
    pdf.signatures([Signature("Người tiếp nhận hồ sơ", ctx.official_name)])
    return pdf.to_bytes()


def render_delay_notice(ctx: DelayNoticeContext) -> bytes:
    """Form 04: apology for a result that will be late, the reason, and the new appointment."""
    pdf = OfficialDocument(
        title=f"{DELAY_TITLE} - {ctx.dossier_code}",
        author=ctx.agency.name,
        subject=ctx.procedure_name,
        keywords=ctx.dossier_code,
        created_at=ctx.issued_at,
    )
    pdf.heading(
        ctx.agency,
        number=ctx.document_number,
        place_date=fmt.place_and_date(ctx.agency.place, fmt.local_date(ctx.issued_at)),
    )
    pdf.title_block(DELAY_TITLE, f"Mã hồ sơ: {ctx.dossier_code}")
    pdf.paragraph([("Kính gửi: Ông/Bà ", ""), (ctx.applicant.name, "B")], align="C", space_after=2)
    pdf.paragraph(
        [
            ("Vào lúc ", ""),
            (fmt.hour_minute_date(ctx.received_at), ""),
            (", ", ""),
            (ctx.agency.name, "B"),
            (" tiếp nhận giải quyết hồ sơ của Ông/Bà đề nghị giải quyết thủ tục ", ""),
            (_request(ctx.procedure_name, ctx.procedure_code), "B"),
            (".", ""),
        ],
        first_line_indent=10,
    )
    pdf.paragraph(
        [("Thời gian hẹn trả kết quả giải quyết hồ sơ: ", ""), (fmt.hour_minute_date(ctx.old_due_at), "B"), (".", "")],
        first_line_indent=10,
    )
    pdf.paragraph(
        [
            ("Tuy nhiên đến nay, ", ""),
            (ctx.agency.name, ""),
            (" chưa trả kết quả giải quyết hồ sơ của Ông/Bà đúng hạn như đã hẹn, lý do: ", ""),
            (ctx.reason.rstrip("."), "B"),
            (".", ""),
        ],
        first_line_indent=10,
    )
    apology = ctx.apology or (
        f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {ctx.agency.name} xin lỗi Ông/Bà "
        "và hẹn lại thời gian trả kết quả giải quyết hồ sơ."
    )
    pdf.paragraph(apology, first_line_indent=10)
    pdf.paragraph(
        [("Thời gian hẹn trả lại kết quả: ", ""), (fmt.hour_minute_date(ctx.new_due_at), "B"), (".", "")],
        first_line_indent=10,
    )
    pdf.paragraph(CLOSING, first_line_indent=10)
    pdf.signatures([Signature(ctx.signer_position, ctx.signer_name, instruction=SIGN_NAME_AND_SEAL)])
    return pdf.to_bytes()


def render_control_slip(ctx: ControlSlipContext) -> bytes:
    """Form 05: every step of the internal process with who handled it, when, and whether on time."""
    pdf = OfficialDocument(
        title=f"{CONTROL_SLIP_TITLE} - {ctx.dossier_code}",
        author=ctx.agency.name,
        subject=ctx.procedure_name,
        keywords=ctx.dossier_code,
        created_at=ctx.printed_at,
    )
    pdf.heading(ctx.agency, place_date=fmt.place_and_date(ctx.agency.place, fmt.local_date(ctx.printed_at)))
    pdf.title_block(CONTROL_SLIP_TITLE, f"Mã hồ sơ: {ctx.dossier_code}")
    pdf.paragraph([("(Kèm theo Phiếu tiếp nhận hồ sơ và hẹn trả kết quả)", "I")], align="C", space_after=2)
    pdf.field("Chủ hồ sơ", ctx.applicant_name)
    pdf.field("Nội dung yêu cầu giải quyết", _request(ctx.procedure_name, ctx.procedure_code))
    pdf.field("Thời gian nhận hồ sơ", fmt.hour_minute_date(ctx.received_at))
    pdf.field("Thời gian hẹn trả kết quả", fmt.hour_minute_date(ctx.due_at))
    pdf.field("Cơ quan (bộ phận) giải quyết hồ sơ", ctx.processing_unit)
    pdf.field("Cơ quan phối hợp giải quyết hồ sơ", "; ".join(ctx.coordinating_units) or "Không")
    pdf.grid(
        [
            [
                HeadingCell("STT"),
                HeadingCell("Bước xử lý"),
                HeadingCell("Người xử lý"),
                HeadingCell("Đơn vị"),
                HeadingCell("Thời điểm nhận"),
                HeadingCell("Thời hạn (ngày làm việc)"),
                HeadingCell("Thời điểm hoàn thành"),
                HeadingCell("Kết quả (trước hạn/ đúng hạn/ quá hạn)"),
                HeadingCell("Ghi chú"),
            ]
        ],
        [
            [
                str(index),
                step.name,
                step.handler,
                step.unit,
                fmt.short_datetime(step.received_at),
                fmt.working_days(step.allotted_working_days),
                fmt.short_datetime(step.finished_at),
                step.timeliness.label,
                step.note,
            ]
            for index, step in enumerate(ctx.steps, start=1)
        ],
        col_widths=(8, 24, 20, 19, 20.5, 14, 20.5, 19, 20),
        align=("C", "L", "L", "L", "C", "C", "C", "C", "L"),
        size=9.5,
    )
    return pdf.to_bytes()


def render_log_book(ctx: LogBookContext) -> bytes:
    """Form 06: the agency's dossier log book for a period, landscape, headings repeated on each page."""
    period = f"Từ ngày {fmt.numeric_date(ctx.period_start)} đến ngày {fmt.numeric_date(ctx.period_end)}"
    pdf = OfficialDocument(
        title=f"{LOG_BOOK_TITLE} - {ctx.agency.name} - {period}",
        author=ctx.agency.name,
        subject=f"{LOG_BOOK_TITLE} {period}",
        created_at=ctx.printed_at,
        landscape=True,
    )
    pdf.heading(ctx.agency)
    lines = [period] + ([f"Quyển số: {ctx.volume}"] if ctx.volume else [])
    pdf.title_block(LOG_BOOK_TITLE, *lines)
    date_columns = [
        "Nhận hồ sơ",
        "Hẹn trả kết quả",
        "Chuyển hồ sơ đến cơ quan giải quyết",
        "Nhận kết quả từ cơ quan giải quyết",
        "Trả kết quả cho cá nhân, tổ chức",
    ]
    pdf.grid(
        [
            [
                HeadingCell("STT", rowspan=2),
                HeadingCell("Mã hồ sơ", rowspan=2),
                HeadingCell("Tên thủ tục hành chính", rowspan=2),
                HeadingCell("Số lượng hồ sơ (bộ)", rowspan=2),
                HeadingCell("Tên cá nhân, tổ chức", rowspan=2),
                HeadingCell("Địa chỉ, số điện thoại", rowspan=2),
                HeadingCell("Cơ quan chủ trì giải quyết", rowspan=2),
                HeadingCell("Ngày, tháng, năm", colspan=len(date_columns)),
                HeadingCell("Ghi chú", rowspan=2),
            ],
            [HeadingCell(text) for text in date_columns],
        ],
        [
            [
                str(index),
                entry.dossier_code,
                entry.procedure_name,
                fmt.count(entry.dossier_sets),
                entry.applicant_name,
                "; ".join(part for part in (entry.applicant_address, entry.applicant_phone) if part),
                entry.lead_agency,
                fmt.short_datetime(entry.received_at),
                fmt.short_datetime(entry.due_at),
                fmt.short_datetime(entry.transferred_at),
                fmt.short_datetime(entry.result_received_at),
                fmt.short_datetime(entry.returned_at),
                entry.note,
            ]
            for index, entry in enumerate(ctx.entries, start=1)
        ],
        col_widths=(8, 24, 31, 12, 22, 25, 21, 18.6, 18.6, 18.6, 18.6, 18.6, 16),
        align=("C", "L", "L", "C", "L", "L", "L", "C", "C", "C", "C", "C", "L"),
        size=8.5,
    )
    return pdf.to_bytes()


@dataclass(frozen=True)
class PlacedResult:
    """A rendered result document and where its signatures go: (page index, (x1, y1, x2, y2) in points)."""

    pdf: bytes
    signer_box: tuple[int, tuple[int, int, int, int]] | None
    seal_box: tuple[int, tuple[int, int, int, int]] | None


def render_result(ctx: ResultContext) -> bytes:
    """A result document (decision, licence, certificate...) in the Decree 30/2020 layout."""
    return render_result_placed(ctx).pdf


def render_result_placed(ctx: ResultContext) -> PlacedResult:
    """The result document, with the room of the signer's stamp and of the agency seal for the signing engine."""
    pdf = OfficialDocument(
        title=f"{ctx.title} {ctx.subject}".strip(),
        author=ctx.agency.name,
        subject=ctx.subject or ctx.title,
        keywords=" ".join(part for part in (ctx.document_number, ctx.dossier_code) if part),
        created_at=ctx.issued_at,
    )
    pdf.heading(
        ctx.agency,
        number=ctx.document_number,
        place_date=fmt.place_and_date(ctx.agency.place, fmt.local_date(ctx.issued_at)),
    )
    pdf.title_block(ctx.title, *([ctx.subject] if ctx.subject else []), underline=bool(ctx.subject))
    for text in ctx.body:
        pdf.paragraph(text, first_line_indent=10, space_after=1.5)
    recipients: list[Run] = []
    if ctx.recipients:
        recipients.append(("Nơi nhận:", "BI"))
        recipients += [(f"- {recipient}", "") for recipient in ctx.recipients]
    pdf.signatures(
        [Signature(ctx.signer_position, ctx.signer_name, authority=ctx.signer_authority, instruction="")],
        left_note=recipients,
    )
    if ctx.verification_url:
        pdf.verification_strip(url=ctx.verification_url, code=ctx.verification_code)
    signer_box = pdf.room_in_points(pdf.signature_rooms[-1]) if pdf.signature_rooms else None
    seal_box = pdf.room_in_points(pdf.seal_room) if pdf.seal_room is not None else None
    return PlacedResult(pdf=pdf.to_bytes(), signer_box=signer_box, seal_box=seal_box)
