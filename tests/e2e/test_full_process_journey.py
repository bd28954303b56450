"""The full-process online service end to end, in real Chromium, on the demo data as `motcua demo` loads it.

A citizen applies online for "Cấp Phiếu lý lịch tư pháp" (2.000488, full-process, 200,000 đồng), pays on the
payment sandbox's hosted page (its own process; the settlement comes by the sandbox's signed server callback to
the live server), comes back to a dossier page that says "paid"; the one-stop desk receives it, the Department of
Justice processes it, the director approves and signs with the demo PIN, the document clerk seals, the desk returns
the result online; the citizen downloads it, rates the service, and finds every step in the in-app inbox.

Second journey: status 6 (financial obligation) for a dossier registered at the counter for someone without an
account, followed on the tracking page and paid in cash at the desk, recorded by the clerk.
"""

from __future__ import annotations

import base64
import io
import re
import secrets
from pathlib import Path

import pyotp
import pytest
from django.core.management import call_command
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect
from pypdf import PdfReader

from motcua.accounts.models import User
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierFile, DossierRating, DossierStatus
from motcua.dossiers.national_portal.records import dossier_sync_record
from motcua.notifications.models import Notification
from motcua.payments.models import PaymentRequest, RequestStatus
from motcua.procedures.models import ProcedureVersion
from tests.support.payment_sandbox import CLIENT_ID, SECRET, SandboxProcess

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PROCEDURE = "2.000488"  # Cấp Phiếu lý lịch tư pháp: full-process, 200,000 đồng, Sở Tư pháp via the province's centre
# The assertions read English (the source strings); the people of the demo chose it in their accounts.
LANGUAGE = "en"


# --- set-up: the demo, the sandbox, second factors -------------------------------------------------------------


@pytest.fixture
def demo(tmp_path, settings, live_server):
    """`motcua demo` in a data directory of this test, its PKI naming the live server, the sandbox in its process."""
    settings.DATA_DIR = tmp_path
    settings.PKI_DIR = tmp_path / "pki"
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.SITE_URL = live_server.url
    settings.PKI_BASE_URL = live_server.url
    settings.TRUST_DEV_PKI = True
    sandbox = SandboxProcess.start(database=tmp_path / "sandbox.sqlite3")
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.PAYMENT_SANDBOX_URL = sandbox.url
    settings.PAYMENT_SANDBOX_CLIENT_ID = CLIENT_ID
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    # The notification reaches the live server before the browser is sent back (as the real platform may do).
    sandbox.control(callback="before_redirect", retry_delays=[0.1], max_attempts=3)
    call_command("demo")
    logins = (tmp_path / "demo-logins.txt").read_text()
    password = logins.rsplit("password for all: ", 1)[1].strip()
    pin = re.search(r"signing PIN for every demo certificate: (\d{6})", logins).group(1)
    User.objects.update(preferred_language=LANGUAGE)
    yield {"password": password, "pin": pin, "sandbox": sandbox}
    sandbox.stop()


def second_factor(username: str) -> pyotp.TOTP:
    """A confirmed authenticator for a demo official (who would set one up at first sign-in)."""
    key = secrets.token_hex(20)
    TOTPDevice.objects.create(user=User.objects.get(username=username), name="app", confirmed=True, key=key)
    return pyotp.TOTP(base64.b32encode(bytes.fromhex(key)).decode())


def new_page(browser, *, phone: bool = False):
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    context = browser.new_context(locale="vi-VN", viewport=size, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    return page


def signed_in_citizen(browser, live_server, username: str, password: str):
    page = new_page(browser, phone=True)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    return page


def signed_in_official(browser, live_server, username: str, password: str):
    totp = second_factor(username)
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/second-factor/verify/**")
    page.fill("input[name=token]", totp.now())
    page.click("main form button[type=submit]")
    page.wait_for_url("**/workspace/**")
    return page


def submit_action(page, action: str, **fields: str) -> None:
    """Open an action on the processing page, fill its fields and submit; waits for the page that answers."""
    box = page.locator(f"#action-{action}")
    expect(box).to_be_visible()
    if box.evaluate("node => node.tagName === 'DETAILS' && !node.open"):
        box.locator("summary").click()
    for name, value in fields.items():
        field = box.locator(f"[name='{action}-{name}']")
        if field.evaluate("node => node.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    with page.expect_navigation():
        box.locator("button[type=submit]").click()


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).split())


def scan_file(tmp_path: Path) -> Path:
    from motcua.dossiers.documents import render_receipt
    from motcua.dossiers.documents.samples import sample_receipt

    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(render_receipt(sample_receipt()))  # a real, small PDF
    return scan


# --- the full-process journey --------------------------------------------------------------------------------


def test_apply_pay_online_process_receive_the_result_and_rate(browser, live_server, demo, tmp_path):
    password, pin, sandbox = demo["password"], demo["pin"], demo["sandbox"]
    citizen = User.objects.get(username="congdan")
    told_before = set(Notification.objects.filter(user=citizen).values_list("pk", flat=True))  # the demo's feedback
    scan = scan_file(tmp_path)

    # The citizen applies on a phone: guide, form (pre-filled from the account), documents, fees, review.
    page = signed_in_citizen(browser, live_server, "congdan", password)
    page.goto(f"{live_server.url}/dossiers/apply/{PROCEDURE}/")
    page.locator(f"main form[action$='/apply/{PROCEDURE}/'] button[type=submit]").click()
    page.wait_for_url("**/form/")
    assert page.input_value("input[name=full_name]") == citizen.full_name
    page.select_option("select[name=certificate_kind]", "1")
    page.fill("input[name=purpose]", "Bổ sung hồ sơ xin việc")
    page.fill("input[name=extra_copies]", "1")
    page.locator("main button[value=continue]").click()
    page.wait_for_url("**/documents/")
    page.set_input_files("input[name=file_TK]", str(scan))
    page.set_input_files("input[name=file_CCCD]", str(scan))
    page.locator("main button[value=continue]").click()

    # The fees: the quote, and the plain question about the exempt groups (the desk checks the proof later).
    page.wait_for_url("**/fees/")
    expect(page.locator("#fee-total")).to_have_text("200,000 đồng")
    expect(page.locator("main")).to_contain_text("Are you in one of these groups?")
    page.get_by_label("Người cao tuổi").check()
    page.locator("main button[value=update]").click()
    expect(page.locator("#fee-total")).to_have_text("0 đồng")  # the elderly pay nothing for this fee
    page.get_by_label("No, none of these").check()
    page.locator("main button[value=continue]").click()
    page.wait_for_url("**/review/")
    expect(page.locator("#review-fee-total")).to_have_text("200,000 đồng")
    page.locator("main form[action$='/submit/'] button[type=submit]").click()

    # Submitted: the dossier waits for its fees; "Pay online now" is offered, and the desk as well.
    page.wait_for_url("**/submitted/")
    dossier = Dossier.objects.get()
    bill = PaymentRequest.objects.get(subject_id=dossier.pk)
    assert (bill.purpose, bill.amount, bill.status, bill.organisation.code) == (
        "dossier_fees",
        200000,
        RequestStatus.OPEN,
        "000.00.01.H49",
    )
    assert dossier.fees_due == 200000 and dossier.status == DossierStatus.NEW
    expect(page.locator("main")).to_contain_text("The desk receives your dossier once they are paid")
    expect(page.locator("main")).to_contain_text("You can also pay in cash at the one-stop desk")
    page.locator(f"[data-payment='{bill.code}'] button.pay-online").click()

    # The sandbox's hosted page, in Vietnamese: the bill, a bank, pay.
    page.wait_for_url(f"{sandbox.url}/thanh-toan/**")
    expect(page.locator("h1")).to_have_text("Thanh toán phí, lệ phí")
    hosted = page.locator("main").inner_text()
    assert dossier.code in hosted and "Sở Tư pháp tỉnh Quảng Ninh" in hosted
    page.get_by_label("Vietcombank").check()
    page.get_by_role("button", name="Thanh toán 200.000 đồng").click()

    # Back at Motcua: settled by the sandbox's callback to the live server, then on to the dossier's page.
    page.wait_for_url(f"{live_server.url}/payments/return/**")
    expect(page.locator("#result.message--success")).to_be_visible()
    page.get_by_role("link", name=f"Back to {dossier.code}").click()
    page.wait_for_url(f"**/dossiers/mine/{dossier.code}/")
    paid = page.locator(f"[data-payment='{bill.code}']")
    expect(paid).to_have_attribute("data-status", "paid")
    expect(paid.locator(".payment-status")).to_have_text("Paid")
    receipt_link = paid.locator("a.receipt-link")
    expect(receipt_link).to_be_visible()
    receipt = page.request.get(f"{live_server.url}{receipt_link.get_attribute('href')}")
    assert receipt.ok and receipt.headers["content-type"] == "application/pdf"
    text = pdf_text(receipt.body())
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text and "Hai trăm nghìn đồng" in text and dossier.code in text
    bill.refresh_from_db()
    dossier.refresh_from_db()
    assert bill.status == RequestStatus.PAID and bill.paid_via == "gateway"
    assert dossier.fees_paid == 200000 and dossier.status == DossierStatus.NEW
    assert [event.action for event in dossier.events.order_by("sequence")] == ["submit", "record_fees"]
    # The national portal hears that it was paid online through the national payment platform.
    assert dossier_sync_record(dossier=dossier).DuocThanhToanTrucTuyen == 1
    # "My payments" in the menu lists it.
    page.locator("nav.primary-nav a[href='/payments/']").click()
    expect(page.locator("main")).to_contain_text(bill.code)

    # The one-stop desk of the provincial centre receives it and sends it on.
    process_url = f"{live_server.url}/dossiers/work/{dossier.code}/"
    desk = signed_in_official(browser, live_server, "motcua.qn", password)
    desk.goto(process_url)
    expect(desk.locator(f"#payments [data-payment='{bill.code}']")).to_contain_text("Paid")
    submit_action(desk, "accept")
    expect(desk.locator(".message--success")).to_contain_text("The dossier was received")
    submit_action(desk, "forward")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.current_step_code == "TC"

    # The Department of Justice: the specialist checks, the head of unit submits, the director approves and signs.
    for username in ("chuyenvien.qn", "truongphong.qn"):
        official = signed_in_official(browser, live_server, username, password)
        official.goto(process_url)
        submit_action(official, "forward")
        expect(official.locator(".message--success")).to_contain_text("forwarded")
        official.context.close()
    director = signed_in_official(browser, live_server, "lanhdao.qn", password)
    director.goto(process_url)
    submit_action(director, "approve", pin=pin, note="Đủ điều kiện cấp Phiếu")
    expect(director.locator(".message--success")).to_contain_text("result document signed")
    keeper = signed_in_official(browser, live_server, "vanthu.stp", password)
    keeper.goto(process_url)
    submit_action(keeper, "seal_result", pin=pin)
    expect(keeper.locator(".message--success")).to_contain_text("agency seal was applied")

    # The desk hands the result over online.
    desk.goto(process_url)
    submit_action(desk, "return_result", method="online")
    expect(desk.locator(".message--success")).to_contain_text("returned to the applicant")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED and dossier.result_method == "online"

    # The citizen downloads the signed result and rates the service.
    page.goto(f"{live_server.url}/dossiers/mine/{dossier.code}/")
    result_file = DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT)
    with page.expect_download() as download_info:
        page.locator("section[aria-labelledby=result-title] ul a").first.click()
    downloaded = Path(download_info.value.path()).read_bytes()
    assert downloaded.startswith(b"%PDF-") and len(downloaded) == result_file.size
    page.locator("input[name=score][value='5']").check()
    page.fill("textarea[name=comment]", "Nhanh, không phải đi lại.")
    page.get_by_role("button", name="Send my rating").click()
    expect(page.locator(".message--success")).to_contain_text("Thank you for your rating")
    assert DossierRating.objects.get(dossier=dossier).score == 5

    # Every step reached the citizen's inbox: the application with its fees, the payment with its receipt (told
    # once, by payments), receipt, processing, the result ready, handed over.
    events = list(
        Notification.objects.filter(user=citizen, channel="inbox")
        .exclude(pk__in=told_before)
        .order_by("created_at")
        .values_list("event", flat=True)
    )
    assert events == [
        "dossiers.submitted",
        "payments.succeeded",
        "dossiers.received",
        "dossiers.processing",
        "dossiers.finished",
        "dossiers.returned",
    ]
    page.goto(f"{live_server.url}/notifications/")
    inbox = page.locator("main")
    expect(inbox).to_contain_text(f"Application {dossier.code} received online")
    expect(inbox).to_contain_text(f"Payment received for {dossier.code}")
    expect(inbox).to_contain_text(f"Dossier {dossier.code}: result handed over")
    page.locator("main .notification__subject a", has_text="Payment received").click()
    expect(page.locator("main")).to_contain_text("Electronic receipt: series MC/")


# --- status 6, paid at the counter ---------------------------------------------------------------------------


def test_status_6_for_a_counter_dossier_paid_in_cash_and_followed_on_the_tracking_page(
    browser, live_server, demo, settings
):
    password = demo["password"]
    clerk = User.objects.get(username="motcua.qn")
    version = ProcedureVersion.objects.get(procedure__code=PROCEDURE, procedure__current_version__isnull=False)
    # Someone without an account brings the papers to the desk: registered (and received) at once.
    dossier = services.dossier_receive_at_counter(
        actor=clerk,
        procedure_version=version,
        applicant={
            "kind": "citizen",
            "full_name": "Trần Văn Nam",
            "identifier": "022085000777",
            "email": "tranvannam@example.vn",
            "phone": "0987654321",
        },
        form_data={
            "full_name": "Trần Văn Nam",
            "personal_id": "022085000777",
            "address": "Tổ 2, khu 5, phường Hạ Long",
            "certificate_kind": "2",
            "purpose": "Xuất khẩu lao động",
            "extra_copies": 1,
        },
        paper_components=["TK", "CCCD"],
    )
    secret = dossier.lookup_secret
    dossier = services.dossier_forward(actor=clerk, dossier=dossier)
    process_url = f"{live_server.url}/dossiers/work/{dossier.code}/"

    # The specialist asks for a financial obligation (status 6): the clock stops, the applicant is told.
    specialist = signed_in_official(browser, live_server, "chuyenvien.qn", password)
    specialist.goto(process_url)
    submit_action(
        specialist, "request_payment", amount="150000", note="Phí xác minh lý lịch tư pháp tại địa phương khác"
    )
    expect(specialist.locator(".message--success")).to_contain_text("asked to pay")
    dossier.refresh_from_db()
    bill = PaymentRequest.objects.get(subject_id=dossier.pk, purpose="dossier_obligation")
    assert dossier.status == DossierStatus.FINANCIAL_OBLIGATION and dossier.portal_status == 6
    assert (bill.amount, bill.status, bill.payer_user) == (150000, RequestStatus.OPEN, None)
    told = Notification.objects.get(event="dossiers.payment_requested", channel="email")
    assert told.address == "tranvannam@example.vn" and "/payments/pay/" in told.body  # the pay link, no account
    assert not Notification.objects.filter(event="payments.requested").exists()  # told once, by dossiers

    # The applicant looks it up with the receipt's code and secret: 150,000 đồng to pay, online or at the desk.
    visitor = new_page(browser, phone=True)
    visitor.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": LANGUAGE, "url": live_server.url}])
    visitor.goto(f"{live_server.url}/dossiers/track/?code={dossier.code}")
    visitor.fill("input[name=secret]", secret)
    visitor.locator("main form button[type=submit]").click()
    to_pay = visitor.locator(f"[data-payment='{bill.code}']")
    expect(to_pay).to_have_attribute("data-status", "open")
    expect(to_pay.locator("button.pay-online")).to_have_text("Pay 150,000 đồng online now")

    # They pay in cash at the desk: the clerk records it (a wrong amount first: refused, nothing changes).
    desk = signed_in_official(browser, live_server, "motcua.qn", password)
    desk.goto(process_url)
    submit_action(desk, "record_payment", amount="100000", reference="0004567")
    expect(desk.locator("#action-record_payment .error-summary")).to_contain_text("150.000")
    bill.refresh_from_db()
    assert bill.status == RequestStatus.OPEN
    submit_action(desk, "record_payment", amount="150000", reference="0004567")
    expect(desk.locator(".message--success")).to_contain_text("processing resumes")
    dossier.refresh_from_db()
    bill.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.fees_paid == 150000
    assert (bill.status, bill.paid_via, bill.recorded_by, bill.paper_receipt_number) == (
        RequestStatus.PAID,
        "counter",
        clerk,
        "0004567",
    )
    # The history names the clerk; the applicant is told once, with the receipt, by payments.
    recorded = dossier.events.get(action="record_payment")
    assert recorded.actor == clerk and recorded.details["paid_via"] == "counter"
    assert Notification.objects.filter(event="payments.succeeded", channel="email").count() == 1

    # The tracking page now says paid and gives the receipt.
    visitor.goto(f"{live_server.url}/dossiers/track/?code={dossier.code}")
    visitor.fill("input[name=secret]", secret)
    visitor.locator("main form button[type=submit]").click()
    expect(visitor.locator(f"[data-payment='{bill.code}']")).to_have_attribute("data-status", "paid")
    with visitor.expect_download() as download_info:
        visitor.locator(f"[data-payment='{bill.code}'] button.receipt-link").click()
    text = pdf_text(Path(download_info.value.path()).read_bytes())
    assert "BIÊN LAI THU PHÍ, LỆ PHÍ" in text and "Một trăm năm mươi nghìn đồng" in text
