"""Demo documents for the embedded run (``motcua demo``): the Department of Justice of Quảng Ninh reports to the
Government Office and to the province's People's Committee; the Government Office registers it; a second report
waits for the director's signature.

Every step goes through the services, by the demo officials whose job it is, with the demo signing PIN.
"""

from __future__ import annotations

import io
import logging
from typing import Any

from django.contrib.auth import get_user_model
from fpdf import FPDF

from motcua.agencies.selectors import organisation_get
from motcua.core.pdf_fonts import static_font_files
from motcua.core.permissions import SYSTEM
from motcua.exchange.identity import node_key_exists, node_key_init, node_key_load
from motcua.exchange.models import IncomingDocument, OutgoingDocument
from motcua.exchange.services.drafting import (
    outgoing_approve_and_sign,
    outgoing_create,
    outgoing_file_add,
    outgoing_review,
    outgoing_submit,
)
from motcua.exchange.services.issuing import outgoing_register, outgoing_send
from motcua.exchange.services.receiving import incoming_register
from motcua.signatures.models import Certificate

logger = logging.getLogger(__name__)

DEPARTMENT = "000.00.01.H49"  # Sở Tư pháp tỉnh Quảng Ninh
RECIPIENTS = ["000.00.00.G22", "000.00.00.H49"]  # Văn phòng Chính phủ, Ủy ban nhân dân tỉnh Quảng Ninh


def _pdf(title: str, body: str) -> bytes:
    pdf = FPDF()
    pdf.add_font("NotoSans", "", str(static_font_files()[""]))
    pdf.add_page()
    pdf.set_font("NotoSans", size=13)
    pdf.multi_cell(0, 8, f"SỞ TƯ PHÁP TỈNH QUẢNG NINH\n\n{title}\n\n{body}", new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def _user(username: str) -> Any:
    return get_user_model().objects.get(username=username)


def _draft(subject: str, summary: str) -> OutgoingDocument:
    specialist = _user("chuyenvien.qn")
    document = outgoing_create(
        actor=specialist,
        organisation=organisation_get(code_or_id=DEPARTMENT),
        data={"document_type": "BC", "subject": subject, "content_summary": summary, "recipients": RECIPIENTS},
    )
    data = _pdf(subject.upper(), summary)
    outgoing_file_add(actor=specialist, document=document, content=io.BytesIO(data), name="bao-cao.pdf", main=True)
    outgoing_submit(actor=specialist, document=document)
    return outgoing_review(actor=_user("truongphong.qn"), document=document)


def exchange_demo_load(*, pin: str) -> int:
    """Load the demo documents once (nothing when the department already issued one); the number created."""
    from motcua.exchange.transport.outbox import outbox_deliver

    department = organisation_get(code_or_id=DEPARTMENT)
    if OutgoingDocument.objects.filter(organisation=department).exists():
        return 0
    # A node key left by an earlier demo database (its certificate unknown to this inventory) is replaced.
    stale = (
        node_key_exists() and not Certificate.objects.filter(sha256_fingerprint=node_key_load().fingerprint).exists()
    )
    node_key_init(actor=SYSTEM, force=stale)
    report = _draft(
        "Báo cáo kết quả công tác tư pháp năm 2025",
        "Kết quả thực hiện nhiệm vụ công tác tư pháp, cải cách thủ tục hành chính và phương hướng năm 2026.",
    )
    report = outgoing_approve_and_sign(actor=_user("lanhdao.qn"), document=report, pin=pin)
    report = outgoing_register(actor=_user("vanthu.stp"), document=report)
    outgoing_send(actor=_user("vanthu.stp"), document=report, pin=pin)
    outbox_deliver()
    arrived = IncomingDocument.objects.filter(document_id=report.document_id, organisation__code=RECIPIENTS[0]).first()
    if arrived is not None:
        incoming_register(actor=_user("vanthu.vpcp"), document=arrived)
        outbox_deliver()
    _draft(
        "Báo cáo tình hình triển khai dịch vụ công trực tuyến toàn trình quý IV",
        "Số liệu hồ sơ tiếp nhận, giải quyết trực tuyến và kiến nghị.",
    )
    logger.info("demo documents loaded")
    return 2
