"""A citizen applies online in real Chromium, then downloads the receipt and tracks the dossier."""

import io
from pathlib import Path

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from motcua.agencies.services import agencies_load_demo
from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.billing import open_requests_of
from motcua.dossiers.documents import render_receipt
from motcua.dossiers.documents.samples import sample_receipt
from motcua.dossiers.models import Dossier, DossierStatus
from motcua.payments import services as payments
from motcua.procedures.services import procedures_load_demo
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"
PROCEDURE = "2.000488"  # Cấp Phiếu lý lịch tư pháp


def test_citizen_applies_online_downloads_the_receipt_and_tracks_the_dossier(page, live_server, tmp_path):
    agencies_load_demo(actor=SYSTEM)
    procedures_load_demo(actor=SYSTEM)
    UserFactory(
        username="nguyen.thi.hoa",
        full_name="Nguyễn Thị Hoa",
        personal_id="022190000123",
        phone="0912345678",
        address="Số 15, tổ 3, phường Hồng Gai, tỉnh Quảng Ninh",
    )
    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(render_receipt(sample_receipt()))  # a real, small PDF

    # Find the procedure in the catalogue by typing without diacritics.
    page.goto(f"{live_server.url}/procedures/")
    page.fill("input[name=q]", "phieu ly lich tu phap")
    page.locator("main form button[type=submit]").first.click()
    page.locator("main a", has_text="Cấp Phiếu lý lịch tư pháp").first.click()
    page.locator(f"main a[href$='/dossiers/apply/{PROCEDURE}/']").click()

    # Applying needs an account: sign in, and come back to the guide.
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "nguyen.thi.hoa")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"**/dossiers/apply/{PROCEDURE}/")
    assert "Tờ khai yêu cầu cấp Phiếu lý lịch tư pháp theo mẫu" in page.locator("main").inner_text()
    page.locator(f"main form[action$='/apply/{PROCEDURE}/'] button[type=submit]").click()

    # Step 2: the form, pre-filled from the account.
    page.wait_for_url("**/form/")
    assert page.input_value("input[name=full_name]") == "Nguyễn Thị Hoa"
    assert page.input_value("input[name=personal_id]") == "022190000123"
    page.select_option("select[name=certificate_kind]", "1")
    page.fill("input[name=extra_copies]", "1")
    page.locator("main button[value=continue]").click()
    # A required answer was left out: the error summary says which, and nothing moves on.
    expect(page.locator(".error-summary a[href='#id_purpose']")).to_be_visible()
    page.fill("input[name=purpose]", "Bổ sung hồ sơ xin việc")
    page.locator("main button[value=continue]").click()

    # Step 3: documents, a real PDF for each required paper.
    page.wait_for_url("**/documents/")
    page.set_input_files("input[name=file_TK]", str(scan))
    page.set_input_files("input[name=file_CCCD]", str(scan))
    page.locator("main button[value=continue]").click()

    # Step 4: fees, in đồng.
    page.wait_for_url("**/fees/")
    assert "200.000 đồng" in page.locator("main").inner_text()
    page.locator("main button[value=continue]").click()

    # Step 5: review everything, then submit.
    page.wait_for_url("**/review/")
    review = page.locator("main").inner_text()
    assert "Bổ sung hồ sơ xin việc" in review and "to-khai.pdf" in review
    page.locator("main form[action$='/submit/'] button[type=submit]").click()

    page.wait_for_url("**/submitted/")
    dossier = Dossier.objects.get()
    assert dossier.code in page.locator(".panel-success").inner_text()
    secret = page.locator("[data-secret]").inner_text().strip()
    assert len(secret) == 10
    assert dossier.status == DossierStatus.NEW and dossier.files.count() == 2

    # The fees are paid at the desk, which receives it (server side); then the citizen downloads the receipt.
    (bill,) = open_requests_of(dossier)
    payments.payment_record_at_counter(actor=SYSTEM, request=bill, amount=bill.amount)
    services.dossier_accept(actor=SYSTEM, dossier=dossier)
    page.goto(f"{live_server.url}/dossiers/mine/")
    page.locator(f"main a[href$='/mine/{dossier.code}/']").click()
    with page.expect_download() as download_info:
        page.locator(f"main a[href$='/mine/{dossier.code}/receipt/']").click()
    receipt = download_info.value
    assert receipt.suggested_filename == f"phieu-tiep-nhan-{dossier.code}.pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(Path(receipt.path()).read_bytes())).pages)
    assert dossier.code in text

    # Anyone with the code (from the QR link) and the secret follows it without an account.
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/dossiers/track/?code={dossier.code}")
    assert page.input_value("input[name=code]") == dossier.code
    page.fill("input[name=secret]", secret)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("ol.history li")).to_have_count(3)  # submitted, fees paid, received
    history = page.locator("ol.history").inner_text()
    assert dossier.code in page.locator("h1").inner_text()
    assert "Nguyễn Thị Hoa" not in page.locator("main").inner_text()
    assert history
