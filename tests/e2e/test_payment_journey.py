"""A citizen pays a payment request in real Chromium on the sandbox's hosted page (its own process) and comes back
to Motcua, which has settled it from the sandbox's signed notification; then the receipt."""

import io

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from motcua.agencies.models import Organisation
from motcua.agencies.services import agencies_load_demo
from motcua.core.permissions import SYSTEM
from motcua.payments import services
from motcua.payments.handlers import payment_settlement_handler_register, payment_settlement_handler_unregister
from motcua.payments.models import RequestStatus
from tests.factories import UserFactory
from tests.support.payment_sandbox import CLIENT_ID, SECRET, SandboxProcess

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"


@pytest.fixture
def sandbox(tmp_path, settings, live_server):
    process = SandboxProcess.start(database=tmp_path / "sandbox.sqlite3")
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.PAYMENT_SANDBOX_URL = process.url
    settings.PAYMENT_SANDBOX_CLIENT_ID = CLIENT_ID
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.SITE_URL = live_server.url
    # Delivered while the browser waits for the sandbox: the live server answers one request at a time.
    process.control(callback="before_redirect", retry_delays=[0.1], max_attempts=3)
    yield process
    process.stop()


def test_a_citizen_pays_on_the_hosted_page_and_comes_back_to_a_settled_payment(page, live_server, sandbox):
    settled = []
    payment_settlement_handler_register("journey_fee", lambda request, transaction: settled.append(request.code))
    try:
        agencies_load_demo(actor=SYSTEM)
        agency = Organisation.objects.get(code="000.00.01.H49")
        services.collection_account_set(
            actor=SYSTEM,
            organisation=agency,
            account_number="3511.0.1054321",
            account_name="Sở Tư pháp tỉnh Quảng Ninh – thu phí, lệ phí",
            treasury_code="0111",
            treasury_name="Kho bạc Nhà nước khu vực V",
        )
        payer = UserFactory(username="nguyen.thi.hoa", full_name="Nguyễn Thị Hoa", personal_id="022190000123")
        bill = services.payment_request_create(
            actor=SYSTEM,
            purpose="journey_fee",
            subject_id=None,
            reference="000.00.20.H49-260302-0007",
            organisation=agency,
            procedure_code="1.001193",
            procedure_name="Cấp Phiếu lý lịch tư pháp",
            payer_name=payer.full_name,
            payer_identifier=payer.personal_id,
            payer_user=payer,
            lines=[
                services.FeeLine(
                    code="LLTP",
                    name="Phí cấp Phiếu lý lịch tư pháp",
                    kind="fee",
                    unit_amount=200000,
                    quantity=1,
                    amount=200000,
                )
            ],
        )

        page.goto(f"{live_server.url}/accounts/login/?next=/payments/requests/{bill.pk}/")
        page.fill("input[name=username]", "nguyen.thi.hoa")
        page.fill("input[name=password]", PASSWORD)
        page.click("main form button[type=submit]")
        page.wait_for_url(f"**/payments/requests/{bill.pk}/")
        expect(page.locator("#total")).to_have_text("200.000 đồng")
        page.locator("#pay-online").click()

        # The sandbox's own page, in Vietnamese, on a phone-sized screen.
        page.wait_for_url(f"{sandbox.url}/thanh-toan/**")
        expect(page.locator("h1")).to_have_text("Thanh toán phí, lệ phí")
        assert "Sở Tư pháp tỉnh Quảng Ninh" in page.locator("main").inner_text()
        expect(page.locator("#total")).to_have_text("200.000 đồng")
        page.get_by_label("Vietcombank").check()
        page.get_by_role("button", name="Thanh toán 200.000 đồng").click()

        # Back at Motcua: already settled by the notification delivered before the redirect.
        page.wait_for_url(f"{live_server.url}/payments/return/**")
        expect(page.locator("#result.message--success")).to_be_visible()
        bill.refresh_from_db()
        assert bill.status == RequestStatus.PAID and settled == [bill.code]
        page.locator("#back-to-request").click()
        page.wait_for_url(f"**/payments/requests/{bill.pk}/")
        link = page.locator(f"main a[href$='/payments/requests/{bill.pk}/receipt/']")
        expect(link).to_be_visible()
        pdf = page.request.get(f"{live_server.url}{link.get_attribute('href')}")
        assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages).split())
        assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text and "Hai trăm nghìn đồng" in text
    finally:
        payment_settlement_handler_unregister("journey_fee")
