"""An official document in real Chromium, on a phone: the leader signs it with the PIN, the document clerk numbers,
seals and sends it, and the receiving agency's clerk finds it among the documents to register, registers it and
assigns it; the sender's page then shows the receiver's statuses."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from motcua.agencies.models import Role
from motcua.core.permissions import SYSTEM
from motcua.exchange import services
from motcua.exchange.identity import node_key_init
from motcua.exchange.models import IncomingDocument, OutgoingDocument
from motcua.signatures.models import Certificate
from motcua.signatures.services import DevPki, certificate_issue, pki_create, pki_register
from tests.e2e.test_signed_result import PASSWORD, official
from tests.factories import OrganisationFactory, UnitFactory
from tests.signatures.conftest import SIGNING_PIN, simple_pdf

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def pki_files(tmp_path_factory) -> DevPki:
    return pki_create(directory=tmp_path_factory.mktemp("pki"), ca_key_size=2048)


@pytest.fixture
def agencies(pki_files, settings, tmp_path):
    settings.PKI_DIR = str(pki_files.directory)
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXCHANGE_NODE_KEY_FILE = tmp_path / "node-key.pem"
    settings.EXCHANGE_NODE_CERTIFICATE_FILE = tmp_path / "node-certificate.pem"
    settings.EXCHANGE_SERVED_ORGANISATIONS = []
    pki_register(pki=pki_files)
    node_key_init(actor=SYSTEM)
    sender = OrganisationFactory(code="000.00.01.H49", name="Sở Tư pháp tỉnh Quảng Ninh", abbreviation="STP")
    receiver = OrganisationFactory(code="000.00.00.G22", name="Văn phòng Chính phủ", abbreviation="VPCP")
    UnitFactory(organisation=sender, code="VP", name="Văn phòng Sở", abbreviation="VP")
    UnitFactory(organisation=receiver, code="KSTT", name="Cục Kiểm soát thủ tục hành chính", abbreviation="KSTT")
    people = {
        "specialist": official("cv.stp", "Lê Văn Minh", sender.code, Role.SPECIALIST, "VP"),
        "head": official("tp.stp", "Phạm Thị Hạnh", sender.code, Role.UNIT_HEAD, "VP", title="Chánh Văn phòng"),
        "leader": official("gd.stp", "Hoàng Văn Quân", sender.code, Role.AGENCY_LEADER, title="Giám đốc Sở"),
        "clerk": official("vt.stp", "Phan Thị Thu", sender.code, Role.DOCUMENT_CLERK, "VP"),
        "receiving_clerk": official("vt.vpcp", "Hoàng Thị Mai", receiver.code, Role.DOCUMENT_CLERK, "KSTT"),
        "expert": official("cv.kstt", "Đặng Thu Hà", receiver.code, Role.SPECIALIST, "KSTT"),
    }
    leader = people["leader"][0]
    certificate_issue(
        pki=pki_files,
        kind=Certificate.Kind.PERSONAL,
        common_name=leader.full_name,
        title="Giám đốc Sở",
        organisation_name=sender.name,
        organisation_code=sender.code,
        holder=leader,
        key_type="ec",
        pin=SIGNING_PIN,
    )
    certificate_issue(
        pki=pki_files,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=sender.name,
        organisation_code=sender.code,
        organisation=sender,
        key_type="ec",
        pin=SIGNING_PIN,
    )
    return sender, receiver, people


def _phone_page(browser):
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(20000)
    return page


def _sign_in(browser, live_server, person):
    user, totp = person
    page = _phone_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/second-factor/verify/**")
    page.fill("input[name=token]", totp.now())
    page.click("main form button[type=submit]")
    page.wait_for_url("**/workspace/**")
    return page


def _act(page, action: str, **fields: str) -> None:
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


def test_sign_seal_send_register_and_assign_in_the_browser(browser, live_server, agencies):
    sender, receiver, people = agencies
    specialist, head = people["specialist"][0], people["head"][0]
    document = services.outgoing_create(
        actor=specialist,
        organisation=sender,
        data={
            "document_type": "BC",
            "subject": "Báo cáo kết quả kiểm soát thủ tục hành chính",
            "recipients": [receiver.code],
        },
    )
    pdf = simple_pdf("Báo cáo kết quả kiểm soát thủ tục hành chính")
    services.outgoing_file_add(
        actor=specialist, document=document, content=io.BytesIO(pdf), name="bao-cao.pdf", main=True
    )
    services.outgoing_submit(actor=specialist, document=document)
    services.outgoing_review(actor=head, document=document)
    detail = f"{live_server.url}/exchange/outgoing/{document.pk}/"

    # The leader signs, from the overview's "To sign" card, with the PIN of the personal key.
    leader = _sign_in(browser, live_server, people["leader"])
    leader.goto(f"{live_server.url}/exchange/")
    leader.get_by_role("link", name="To sign").click()
    leader.get_by_role("link", name=document.subject).click()
    _act(leader, "sign", pin="000000")
    expect(leader.locator("#action-sign .error-summary")).to_be_visible()
    _act(leader, "sign", pin=SIGNING_PIN)
    expect(leader.locator(".message--success")).to_contain_text("The document is signed.")

    # The document clerk numbers and registers it, then seals and sends it.
    clerk = _sign_in(browser, live_server, people["clerk"])
    clerk.goto(detail)
    _act(clerk, "register")
    expect(clerk.locator("h1")).to_contain_text("1/BC-STP")
    _act(clerk, "send", pin=SIGNING_PIN)
    expect(clerk.locator(".message--success")).to_contain_text("sealed and queued")
    clerk.reload()
    expect(clerk.locator("#recipients-title + .table-wrapper")).to_contain_text("01")

    # The receiving clerk finds it to register, registers it and assigns it to an official.
    incoming = IncomingDocument.objects.get(organisation=receiver)
    receiving = _sign_in(browser, live_server, people["receiving_clerk"])
    receiving.goto(f"{live_server.url}/exchange/incoming/?view=to_register")
    receiving.get_by_role("link", name=document.subject).click()
    _act(receiving, "register")
    expect(receiving.locator(".message--success")).to_contain_text("registered in the incoming book")
    expert = people["expert"][0]
    _act(receiving, "assign", assignee=str(expert.pk), note="Tổng hợp, báo cáo lãnh đạo")
    incoming.refresh_from_db()
    assert incoming.status == "assigned" and incoming.assigned_to == expert

    # The sender sees what the receiver did.
    clerk.goto(detail)
    statuses = clerk.locator("#recipients-title + .table-wrapper")
    expect(statuses).to_contain_text("04")
    assert OutgoingDocument.objects.get(pk=document.pk).recipients.get().status_code == "04"
