"""The receipt (biên lai): numbered per agency and series, registered for verification, a PDF in Vietnamese."""

import io

import pytest
from pypdf import PdfReader

from motcua.payments import services
from motcua.signatures.models import IssuedDocument
from tests.payments.conftest import make_request

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_the_receipt_pdf_says_in_vietnamese_who_paid_what_to_whom(bill, clerk):
    services.payment_record_at_counter(actor=clerk, request=bill, amount=210000, paper_receipt_number="0000456")
    receipt = bill.receipt
    pdf = services.receipt_pdf(receipt=receipt)
    text = _text(pdf)
    for expected in (
        "BIÊN LAI THU PHÍ, LỆ PHÍ",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Sở Tư pháp tỉnh Quảng Ninh",
        f"Ký hiệu: {receipt.series}",
        "Số: 0000001",
        "Nguyễn Thị Hoa",
        "022190000123",
        "Phí cấp Phiếu lý lịch tư pháp",
        "200.000 đồng",
        "210.000 đồng",
        "Hai trăm mười nghìn đồng",
        "Nộp tại Bộ phận Một cửa (biên lai giấy số 0000456)",
        "3511.0.1054321",
        receipt.issued_document.short_code,
    ):
        assert expected in text, expected
    assert PdfReader(io.BytesIO(pdf)).metadata.title.startswith("BIÊN LAI THU PHÍ")


def test_the_receipt_is_registered_and_its_pdf_stored_once(bill, clerk, client):
    services.payment_record_at_counter(actor=clerk, request=bill, amount=210000)
    document = IssuedDocument.objects.get(reference=bill.code)
    assert document.title == "Biên lai thu phí, lệ phí" and not document.file
    first = services.receipt_pdf(receipt=bill.receipt)
    document.refresh_from_db()
    assert document.file and document.size == len(first)
    assert services.receipt_pdf(receipt=bill.receipt) == first
    page = client.get(f"/verify/{document.short_code}")
    assert page.status_code == 200 and "<h1>Biên lai thu phí, lệ phí</h1>" in page.content.decode()


def test_receipts_are_numbered_per_agency_without_gaps(agency, payer, clerk, counter_organisation):
    numbers = []
    for index in range(3):
        request = make_request(agency, payer, counter=counter_organisation, reference=f"HS-{index}")
        services.payment_record_at_counter(actor=clerk, request=request, amount=request.amount)
        numbers.append(request.receipt.number)
    assert numbers == [1, 2, 3]
