"""PDF rendering of the one-stop-shop forms (biểu mẫu một cửa) and of result documents.

The forms are those of Circular 01/2018/TT-VPCP as amended (now Circular 03/2025/TT-VPCP):
Form 01 receipt and appointment slip, 02 request to supplement, 03 refusal to receive, 04 apology and new
appointment, 05 processing control slip, 06 dossier log book; plus a generic result document laid out as
Decree 30/2020/NĐ-CP prescribes. They are legal documents and are printed in Vietnamese only: their wording
is not marked for translation and must not be translated.

Each renderer is a pure function: it takes one of the frozen dataclasses of :mod:`.context` (no database,
no request) and returns the bytes of an A4 PDF with Noto Sans embedded as a subset. The same context gives
the same bytes, since the PDF's creation date is the document's own date.
"""

from motcua.dossiers.documents.context import (
    Agency,
    Applicant,
    Channel,
    ControlSlipContext,
    ControlSlipStep,
    DelayNoticeContext,
    LogBookContext,
    LogBookEntry,
    ReceiptContext,
    ReceivedComponent,
    RefusalContext,
    ResultContext,
    SupplementItem,
    SupplementRequestContext,
    Timeliness,
)
from motcua.dossiers.documents.forms import (
    PlacedResult,
    render_control_slip,
    render_delay_notice,
    render_log_book,
    render_receipt,
    render_refusal,
    render_result,
    render_result_placed,
    render_supplement_request,
)

__all__ = [
    "Agency",
    "Applicant",
    "Channel",
    "ControlSlipContext",
    "ControlSlipStep",
    "DelayNoticeContext",
    "LogBookContext",
    "LogBookEntry",
    "PlacedResult",
    "ReceiptContext",
    "ReceivedComponent",
    "RefusalContext",
    "ResultContext",
    "SupplementItem",
    "SupplementRequestContext",
    "Timeliness",
    "render_control_slip",
    "render_delay_notice",
    "render_log_book",
    "render_receipt",
    "render_refusal",
    "render_result",
    "render_result_placed",
    "render_supplement_request",
]
