"""The receipt PDF (biên lai thu phí, lệ phí điện tử), in Vietnamese, A4, Noto Sans.

What it shows follows the contents a fee receipt must have (Decree 11/2020/NĐ-CP, Decree 123/2020/NĐ-CP art. 32,
Circular 78/2021/TT-BTC; the exact template is the collecting agency's, see ADR 0010): the collecting agency,
the receipt's series and number, the payer, what was paid (each fee or charge, its amount), the total in
figures and in words, how it was paid (gateway and its transaction id, or cash at the counter), the treasury
account, the date; and the short code and QR code of the public verification page, because the receipt is not
digitally signed (it is issued by a machine at settlement, when no one's key can be unlocked).
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import segno
from django.utils import translation
from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos

from motcua.agencies.selectors import organisation_ancestors
from motcua.core.pdf_fonts import FAMILY, static_font_files
from motcua.payments.amount_words import amount_in_words
from motcua.payments.gateways import gateway_find
from motcua.payments.gateways.protocol import LOCAL_TZ
from motcua.payments.models import PaidVia, Receipt
from motcua.signatures.registry import issued_document_verification_url

TITLE = "BIÊN LAI THU PHÍ, LỆ PHÍ"
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"
KIND_WORDS = {"fee": "Phí", "charge": "Lệ phí"}


def money(amount: int) -> str:
    """``1.250.000 đồng`` (dots between thousands)."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def _local(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(LOCAL_TZ)


class _Receipt(FPDF):
    def __init__(self, *, title: str, created_at: dt.datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        for style, path in static_font_files().items():
            self.add_font(FAMILY, style=style, fname=path)
        self.set_margins(20, 15, 15)
        self.set_auto_page_break(True, margin=15)
        self.set_title(title)
        self.set_creator("Motcua")
        self.set_lang("vi-VN")
        self.set_creation_date(created_at.astimezone(dt.UTC))
        self.add_page()

    def centred(self, text: str, *, size: float, style: str = "", x: float | None = None, width: float = 0) -> None:
        self.set_font(FAMILY, style, size)
        if x is not None:
            self.set_x(x)
        self.multi_cell(width or self.epw, size * 0.5, text, align=Align.C, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def row(self, label: str, value: str, *, bold: bool = False) -> None:
        self.set_font(FAMILY, "", 11)
        self.cell(55, 6.5, label)
        self.set_font(FAMILY, "B" if bold else "", 11)
        self.multi_cell(0, 6.5, value, align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def receipt_render(*, receipt: Receipt) -> bytes:
    request = receipt.request
    organisation = receipt.organisation
    parents = organisation_ancestors(organisation=organisation)
    document = receipt.issued_document
    issued = _local(receipt.issued_at)
    pdf = _Receipt(title=f"{TITLE} {receipt.series} {receipt.number_text}", created_at=receipt.issued_at)

    # Heading: the agency on the left, the national title on the right.
    top = pdf.y
    half = pdf.epw / 2
    if parents:
        pdf.centred(parents[-1].name.upper(), size=10, width=half)
    pdf.centred(organisation.name.upper(), size=10, style="B", width=half)
    pdf.set_xy(pdf.l_margin + half, top)
    pdf.centred(NATIONAL_TITLE, size=10, style="B", x=pdf.l_margin + half, width=half)
    pdf.centred(NATIONAL_MOTTO, size=10.5, style="B", x=pdf.l_margin + half, width=half)
    pdf.set_y(max(pdf.y, top + 16) + 4)

    pdf.centred(TITLE, size=15, style="B")
    pdf.centred("(Bản thể hiện của biên lai điện tử)", size=10, style="I")
    pdf.ln(1)
    pdf.centred(f"Ký hiệu: {receipt.series}    Số: {receipt.number_text}", size=11, style="B")
    pdf.centred(f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y}", size=11, style="I")
    pdf.ln(4)

    pdf.row("Đơn vị thu:", f"{organisation.name} (mã {organisation.code})", bold=True)
    if request.account_number:
        pdf.row("Tài khoản thu:", f"{request.account_number} tại {request.treasury_name} (mã {request.treasury_code})")
    pdf.row("Người nộp:", request.payer_name, bold=True)
    if request.payer_identifier:
        pdf.row("Số định danh / mã số thuế:", request.payer_identifier)
    if request.reference:
        pdf.row("Mã hồ sơ:", request.reference)
    if request.procedure_name:
        pdf.row("Thủ tục hành chính:", f"{request.procedure_name} ({request.procedure_code})")
    pdf.row("Mã thanh toán:", request.code)
    pdf.ln(2)

    # The lines.
    pdf.set_font(FAMILY, "B", 10.5)
    widths = (12.0, pdf.epw - 12 - 24 - 30 - 36, 24.0, 30.0, 36.0)
    headings = ("STT", "Tên khoản thu", "Loại", "Số lượng", "Số tiền")
    for width, heading in zip(widths, headings, strict=True):
        pdf.cell(width, 8, heading, border=1, align=Align.C)
    pdf.ln()
    pdf.set_font(FAMILY, "", 10.5)
    for index, line in enumerate(request.lines.all(), start=1):
        name = line.name + (" (miễn)" if line.exempt else "")
        wrapped: Any = pdf.multi_cell(widths[1], 6, name, dry_run=True, output="LINES")
        lines_needed = len(wrapped)
        height = max(8.0, lines_needed * 6.0)
        if pdf.y + height > pdf.page_break_trigger:
            pdf.add_page()
        start_y = pdf.y
        pdf.cell(widths[0], height, str(index), border=1, align=Align.C)
        x = pdf.get_x()
        pdf.rect(x, start_y, widths[1], height)
        pdf.multi_cell(widths[1], 6 if lines_needed > 1 else height, name, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_xy(x + widths[1], start_y)
        pdf.cell(widths[2], height, KIND_WORDS.get(line.kind, line.kind), border=1, align=Align.C)
        pdf.cell(widths[3], height, str(line.quantity), border=1, align=Align.C)
        pdf.cell(widths[4], height, money(line.amount), border=1, align=Align.R)
        pdf.set_xy(pdf.l_margin, start_y + height)
    pdf.set_font(FAMILY, "B", 10.5)
    pdf.cell(sum(widths[:4]), 8, "Tổng cộng", border=1, align=Align.R)
    pdf.cell(widths[4], 8, money(receipt.amount), border=1, align=Align.R)
    pdf.ln(10)
    pdf.set_font(FAMILY, "", 11)
    pdf.multi_cell(
        0,
        6.5,
        align=Align.L,
        text=f"Số tiền bằng chữ: {amount_in_words(receipt.amount)}.",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )

    txn = request.settled_transaction
    if request.paid_via == PaidVia.COUNTER:
        way = "Nộp tại Bộ phận Một cửa"
        if request.paper_receipt_number:
            way += f" (biên lai giấy số {request.paper_receipt_number})"
    elif txn is not None:
        gateway = gateway_find(txn.gateway)
        with translation.override("vi"):  # the receipt is a Vietnamese paper whatever the reader's language
            label = str(gateway.label) if gateway is not None else txn.gateway
        way = f"Thanh toán trực tuyến qua {label}, mã giao dịch {txn.initiator_transaction_id}"
        if txn.gateway_transaction_id:
            way += f" / {txn.gateway_transaction_id}"
        if txn.bank_code:
            way += f", ngân hàng {txn.bank_code}"
    else:
        way = ""
    if way:
        pdf.multi_cell(0, 6.5, f"Hình thức thanh toán: {way}.", align=Align.L, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if request.paid_at:
        paid = _local(request.paid_at)
        pdf.multi_cell(
            0, 6.5, f"Thời điểm thanh toán: {paid:%H:%M} ngày {paid:%d/%m/%Y}.", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
    pdf.ln(4)

    # Verification: the QR code and short code of the public page (no digital signature on this receipt).
    if document is not None:
        url = issued_document_verification_url(document=document)
        buffer = io.BytesIO()
        segno.make(url, error="m").save(buffer, kind="png", scale=6, border=2)
        buffer.seek(0)
        top = pdf.y
        pdf.image(buffer, x=pdf.l_margin, y=top, w=28, h=28, alt_text=url)
        pdf.set_xy(pdf.l_margin + 32, top)
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(
            pdf.epw / 2 - 32,
            5.5,
            f"Mã tra cứu: {document.short_code}\nTra cứu biên lai tại: {url}\n"
            "Biên lai điện tử do hệ thống lập khi nhận được tiền; không có chữ ký số.",
            align=Align.L,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_xy(pdf.l_margin + pdf.epw / 2, top)
    else:
        pdf.set_x(pdf.l_margin + pdf.epw / 2)
    pdf.set_font(FAMILY, "B", 11)
    pdf.cell(pdf.epw / 2, 6.5, "ĐƠN VỊ THU", align=Align.C, new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "I", 10)
    pdf.cell(pdf.epw / 2, 6, organisation.name, align=Align.C)
    return bytes(pdf.output())
