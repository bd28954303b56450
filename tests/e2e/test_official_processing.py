"""Officials process a dossier in real Chromium on the demo data: counter intake to returned result."""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import secrets

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from pypdf import PdfReader

from motcua.agencies.models import Role, Unit
from motcua.agencies.selectors import organisation_get
from motcua.agencies.services import agencies_load_demo, position_assign
from motcua.core.permissions import SYSTEM
from motcua.dossiers.models import Dossier, DossierFile, DossierStatus, SupplementRequest
from motcua.procedures.services import procedures_load_demo
from tests.factories import OfficialFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"
QN_CENTRE = "000.00.20.H49"
QN_JUSTICE = "000.00.01.H49"
PROCEDURE = "2.000488"  # Cấp Phiếu lý lịch tư pháp, Sở Tư pháp Quảng Ninh, received at the service centre
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def official(username: str, full_name: str, organisation_code: str, role: str, unit_code: str = "") -> tuple:
    """An official with a position and a confirmed authenticator whose secret the test knows."""
    user = OfficialFactory(username=username, full_name=full_name)
    organisation = organisation_get(code_or_id=organisation_code)
    unit = Unit.objects.get(organisation=organisation, code=unit_code) if unit_code else None
    position_assign(
        actor=SYSTEM,
        user=user,
        organisation=organisation,
        role=role,
        unit=unit,
        valid_from=dt.date(2025, 7, 1),
    )
    key = secrets.token_hex(20)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True, key=key)
    return user, pyotp.TOTP(base64.b32encode(bytes.fromhex(key)).decode())


def signed_in_page(browser, live_server, user, totp):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/second-factor/verify/**")
    page.fill("input[name=token]", totp.now())
    page.click("main form button[type=submit]")
    page.wait_for_url("**/workspace/**")
    return page


def act(page, action: str, **fields: str) -> None:
    """Open an action on the processing page, fill its fields, submit, wait for the reloaded page."""
    box = page.locator(f"#action-{action}")
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
    assert page.locator(".message--success").count() == 1, page.locator("main").inner_text()[:1500]


def pdf_text(page, url: str) -> str:
    if url.startswith("/"):
        url = re.match(r"https?://[^/]+", page.url).group(0) + url
    response = page.context.request.get(url)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    return re.sub(r"\s+", "", " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages))


def test_officials_process_a_dossier_from_the_counter_to_the_returned_result(browser, live_server, tmp_path):
    agencies_load_demo(actor=SYSTEM)
    procedures_load_demo(actor=SYSTEM)
    clerk, clerk_totp = official("tn.qn", "Trần Thị Thu", QN_CENTRE, Role.ONE_STOP_CLERK, "TN")
    specialist, specialist_totp = official("cv.stp", "Lê Văn Minh", QN_JUSTICE, Role.SPECIALIST)
    head, head_totp = official("tp.stp", "Phạm Thị Hạnh", QN_JUSTICE, Role.UNIT_HEAD)
    leader, leader_totp = official("ld.stp", "Hoàng Văn Quân", QN_JUSTICE, Role.AGENCY_LEADER)

    # The clerk registers the dossier brought in person and prints the receipt.
    desk = signed_in_page(browser, live_server, clerk, clerk_totp)
    desk.locator("main a[href$='/dossiers/work/counter/']").first.click()
    desk.select_option("select[name=procedure]", PROCEDURE)
    with desk.expect_navigation():
        desk.locator("main form[method=get] button[type=submit]").click()
    desk.fill("input[name=applicant_full_name]", "Nguyễn Thị Hồng Nhung")
    desk.fill("input[name=applicant_identifier]", "022190001234")
    desk.fill("input[name=applicant_phone]", "0912345678")
    desk.fill("input[name=applicant_address]", "Phường Hồng Gai, tỉnh Quảng Ninh")
    desk.fill("input[name=form_full_name]", "Nguyễn Thị Hồng Nhung")
    desk.fill("input[name=form_personal_id]", "022190001234")
    desk.fill("textarea[name=form_address]", "Phường Hồng Gai, tỉnh Quảng Ninh")
    desk.select_option("select[name=form_certificate_kind]", "1")
    desk.fill("input[name=form_purpose]", "Xin việc")
    desk.fill("input[name=form_extra_copies]", "1")
    scan = tmp_path / "to-khai.pdf"
    scan.write_bytes(PDF_BYTES)
    desk.set_input_files("input[name=file_TK]", str(scan))
    desk.check("input[name=paper_CCCD]")
    with desk.expect_navigation():
        desk.locator("main form[method=post] button[type=submit]").last.click()
    dossier = Dossier.objects.get()
    assert dossier.receiving_organisation.code == QN_CENTRE and dossier.processing_organisation.code == QN_JUSTICE
    assert desk.url.endswith(f"/dossiers/work/{dossier.code}/")
    receipt = pdf_text(desk, desk.locator("#print-receipt").get_attribute("href"))
    assert "PHIẾUTIẾPNHẬNHỒSƠVÀHẸNTRẢKẾTQUẢ" in receipt and dossier.code in receipt
    assert "NguyễnThịHồngNhung" in receipt
    process_path = f"/dossiers/work/{dossier.code}/"
    act(desk, "forward")

    # The specialist finds it in their queue, takes it and asks for a supplement: the clock pauses.
    desk_of_specialist = signed_in_page(browser, live_server, specialist, specialist_totp)
    desk_of_specialist.goto(f"{live_server.url}/dossiers/work/")
    desk_of_specialist.locator("input[name=q]").fill("nguyen thi hong nhung")
    desk_of_specialist.wait_for_function("() => document.querySelectorAll('#queue-results tbody tr').length === 1")
    with desk_of_specialist.expect_navigation():
        desk_of_specialist.locator("#queue-results button[type=submit]").first.click()  # "Take"
    desk_of_specialist.goto(live_server.url + process_path)
    act(
        desk_of_specialist,
        "request_supplement",
        items="Bản chụp Căn cước còn hạn",
        reason="Căn cước trong hồ sơ đã hết hạn",
    )
    assert desk_of_specialist.locator("#due-date .badge--paused").count() == 1
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.SUPPLEMENT_REQUESTED
    due_before = dossier.due_at

    # The applicant brings the papers to the counter; the clerk records them: the clock runs again.
    desk.goto(live_server.url + process_path)
    if not desk.locator("#action-supply").evaluate("node => node.open"):
        desk.locator("#action-supply summary").click()
    desk.fill("textarea[name=supply-note]", "Nộp bản chụp Căn cước mới")
    desk.set_input_files("input[name=supply-file_CCCD]", str(scan))
    with desk.expect_navigation():
        desk.locator("#action-supply button[type=submit]").click()
    request_row = SupplementRequest.objects.get(dossier=dossier)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and request_row.supplied_at is not None
    # The appointment moves later by the working time spent waiting (none at night: then it stays).
    assert request_row.due_at_after >= due_before and dossier.due_at == request_row.due_at_after
    assert "appointment moved" in desk.locator("main").inner_text() or "hẹn" in desk.locator("main").inner_text()

    desk_of_specialist.goto(live_server.url + process_path)
    act(desk_of_specialist, "forward")
    desk_of_head = signed_in_page(browser, live_server, head, head_totp)
    desk_of_head.goto(live_server.url + process_path)
    act(desk_of_head, "forward")
    desk_of_leader = signed_in_page(browser, live_server, leader, leader_totp)
    desk_of_leader.goto(live_server.url + process_path)
    act(desk_of_leader, "approve")  # the decision step; the result desk's hand-over step starts
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.FINISHED
    assert DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.RESULT).exists()

    # The clerk returns the result at the counter; the page shows every step in the control slip.
    desk.goto(live_server.url + process_path)
    act(desk, "return_result", method="counter")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED
    slip = desk.locator("#control-slip").inner_text()
    for step in ("Tiếp nhận, kiểm tra hồ sơ", "Chuyên viên tra cứu", "Trưởng phòng kiểm tra", "Lãnh đạo Sở ký phiếu"):
        assert step in slip
    assert "Trả kết quả" in slip
    text = pdf_text(desk, f"{live_server.url}/dossiers/work/{dossier.code}/documents/control-slip/")
    assert "PHIẾUKIỂMSOÁTQUÁTRÌNHGIẢIQUYẾTHỒSƠ" in text and "LêVănMinh" in text and "PhạmThịHạnh" in text
