"""The signed electronic result in real Chromium: the leader signs while approving, the document clerk seals,
the one-stop desk returns it online, and the applicant downloads it and checks it on the public page.

Decree 30/2020/NĐ-CP, art. 13: the competent official signs the result with a personal certificate, then the
agency's seal certificate is applied; both signatures stay valid in the one PDF the applicant receives.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import re
import secrets
import shutil
import time
from pathlib import Path

import pyotp
import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from motcua.agencies.models import Role, Unit
from motcua.agencies.selectors import organisation_get
from motcua.agencies.services import agencies_load_demo, position_assign
from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.billing import open_requests_of
from motcua.dossiers.models import DossierFile, DossierStatus, ResultMethod
from motcua.payments import services as payments
from motcua.signatures.models import Certificate, IssuedDocument, SigningKey
from motcua.signatures.reports import Status
from motcua.signatures.services import DevPki, certificate_issue, pki_create, pki_register
from motcua.signatures.verification import document_verify
from tests.dossiers.factories import PDF_BYTES, PNG_BYTES, QN_CENTRE, QN_JUSTICE, valid_form, version_create
from tests.factories import OfficialFactory, UserFactory
from tests.signatures.conftest import SIGNING_PIN, pdfsig

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"
WRONG_PIN = "135799"
JUSTICE_NAME = "Sở Tư pháp tỉnh Quảng Ninh"
# Everyone here chose English (signing in sets the language cookie from the account): the assertions read the
# source strings, which do not move when the Vietnamese translation of these new pages is reworded.
LANGUAGE = "en"
BYTE_RANGE = re.compile(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]")


# --- set-up ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki_files(tmp_path_factory) -> DevPki:
    """Root CA, issuing CA, TSA and OCSP responder, generated once for this module (files only)."""
    return pki_create(directory=tmp_path_factory.mktemp("pki"))


@pytest.fixture
def served_pki(pki_files: DevPki, live_server, settings, tmp_path) -> DevPki:
    """The dev PKI in this test's inventory, trusted by the verifier, and naming the live server.

    Like ``pki_served`` of tests/signatures: certificates issued from now on name the live server's OCSP
    responder, so that poppler's ``pdfsig`` (NSS) can check them; the result document's QR code and the
    "check the signatures" link lead to the live server's /verify/ page.
    """
    settings.PKI_DIR = str(pki_files.directory)
    settings.PKI_BASE_URL = live_server.url
    settings.SITE_URL = live_server.url
    settings.TRUST_DEV_PKI = True
    settings.MEDIA_ROOT = str(tmp_path / "media")  # the files of this test only
    pki_register(pki=pki_files)
    return pki_files


def official(username: str, full_name: str, organisation_code: str, role: str, unit_code: str = "", title: str = ""):
    """An official with a position and a confirmed authenticator whose secret the test knows."""
    user = OfficialFactory(username=username, full_name=full_name, preferred_language=LANGUAGE)
    organisation = organisation_get(code_or_id=organisation_code)
    unit = Unit.objects.get(organisation=organisation, code=unit_code) if unit_code else None
    position_assign(
        actor=SYSTEM,
        user=user,
        organisation=organisation,
        role=role,
        unit=unit,
        title=title,
        valid_from=dt.date(2025, 7, 1),
    )
    key = secrets.token_hex(20)
    TOTPDevice.objects.create(user=user, name="app", confirmed=True, key=key)
    return user, pyotp.TOTP(base64.b32encode(bytes.fromhex(key)).decode())


def new_page(browser):
    context = browser.new_context(locale="vi-VN", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def signed_in_official(browser, live_server, user, totp):
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
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


def eventually(condition, seconds: float = 10.0) -> bool:
    """Whether ``condition()`` becomes true within ``seconds`` (for what the application writes after replying)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def tampered(data: bytes) -> bytes:
    """The file with one byte changed near its middle, in a part every signature covers (not a /Contents hole)."""
    holes = [(int(m[1]) + int(m[2]), int(m[3])) for m in BYTE_RANGE.finditer(data)]
    assert holes, "a signed PDF names the bytes its signatures cover"
    position = len(data) // 2
    for start, end in holes:
        if start <= position < end:
            position = start - 200  # inside the signature dictionary, which the signature covers
    changed = bytearray(data)
    changed[position] ^= 0x01
    return bytes(changed)


# --- the journey -------------------------------------------------------------------------------------------


def test_leader_signs_clerk_seals_desk_returns_online_and_the_applicant_verifies_the_result(
    browser, live_server, served_pki, tmp_path
):
    agencies_load_demo(actor=SYSTEM)
    version = version_create()  # Cấp Phiếu lý lịch tư pháp: received at the centre, decided by the Department
    clerk, clerk_totp = official("tn.qn", "Trần Thị Thu", QN_CENTRE, Role.ONE_STOP_CLERK, "TN")
    specialist, _ = official("cv.stp", "Lê Văn Minh", QN_JUSTICE, Role.SPECIALIST)
    head, _ = official("tp.stp", "Phạm Thị Hạnh", QN_JUSTICE, Role.UNIT_HEAD, title="Trưởng phòng")
    leader, leader_totp = official("ld.stp", "Hoàng Văn Quân", QN_JUSTICE, Role.AGENCY_LEADER, title="Giám đốc Sở")
    keeper, keeper_totp = official("vt.stp", "Phan Thị Thu", QN_JUSTICE, Role.DOCUMENT_CLERK, title="Văn thư")
    justice = organisation_get(code_or_id=QN_JUSTICE)

    # The leader's personal signing key and the Department's seal, both kept encrypted under their PIN.
    certificate_issue(
        pki=served_pki,
        kind=Certificate.Kind.PERSONAL,
        common_name=leader.full_name,
        title="Giám đốc Sở",
        organisation_name=JUSTICE_NAME,
        organisation_code=QN_JUSTICE,
        holder=leader,
        key_type="ec",
        pin=SIGNING_PIN,
    )
    certificate_issue(
        pki=served_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=JUSTICE_NAME,
        organisation_code=QN_JUSTICE,
        organisation=justice,
        pin=SIGNING_PIN,
    )
    leader_key = SigningKey.objects.get(certificate__holder=leader)

    # The citizen applied online (the browser journey of applying is test_online_application's); the desk
    # received it and the Department's officials brought it to the decision step.
    citizen = UserFactory(
        username="nguyen.thi.hoa", full_name="Nguyễn Thị Hoa", personal_id="022190000123", preferred_language=LANGUAGE
    )
    uploads = [
        services.FileRef(
            component_code=code,
            upload_id=services.dossier_file_upload(
                actor=citizen, content=io.BytesIO(content), name=name, size=len(content)
            ).pk,
        )
        for code, name, content in (("to_khai", "to-khai.pdf", PDF_BYTES), ("cccd", "cccd.png", PNG_BYTES))
    ]
    dossier = services.dossier_submit_online(
        actor=citizen, procedure_version=version, form_data=valid_form(), files=uploads
    )
    (bill,) = open_requests_of(dossier)  # the fees, paid at the desk: a full-process dossier is received once paid
    payments.payment_record_at_counter(actor=clerk, request=bill, amount=bill.amount)
    dossier = services.dossier_accept(actor=clerk, dossier=dossier)
    for actor in (clerk, specialist, head):
        dossier = services.dossier_forward(actor=actor, dossier=dossier)
    assert dossier.current_step_code == "phe_duyet" and dossier.status == DossierStatus.PROCESSING
    process_url = f"{live_server.url}/dossiers/work/{dossier.code}/"

    # The leader approves: the form asks for the PIN of the signing key. A wrong PIN changes nothing.
    desk_of_leader = signed_in_official(browser, live_server, leader, leader_totp)
    desk_of_leader.goto(process_url)
    approve = desk_of_leader.locator("#action-approve")
    if not approve.evaluate("node => node.open"):  # "Take this dossier" comes first and is drawn open
        approve.locator("summary").click()
    expect(approve.get_by_label("Signing PIN")).to_be_visible()
    submit_action(desk_of_leader, "approve", pin=WRONG_PIN, note="Đủ điều kiện cấp Phiếu")
    expect(approve.locator(".error-summary")).to_contain_text("Wrong PIN")
    expect(approve.get_by_label("Signing PIN")).to_be_visible()  # still asked: try again
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING and dossier.current_step_code == "phe_duyet"
    assert dossier.finished_at is None and not (dossier.result or {}).get("signatures")
    assert not DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.RESULT).exists()
    assert not IssuedDocument.objects.filter(reference=dossier.code).exists()
    # Only the count of wrong PINs stays: it is written on a connection of its own once the request rolled back.
    assert eventually(lambda: SigningKey.objects.get(pk=leader_key.pk).failed_attempts == 1)

    submit_action(desk_of_leader, "approve", pin=SIGNING_PIN)
    expect(desk_of_leader.locator(".message--success")).to_contain_text("result document signed")
    expect(desk_of_leader.locator(".result-signatures")).to_contain_text(leader.full_name)
    expect(desk_of_leader.locator("#action-approve")).to_have_count(0)
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.FINISHED
    assert [entry["kind"] for entry in dossier.result["signatures"]] == ["personal"]
    leader_key.refresh_from_db()
    assert leader_key.failed_attempts == 0  # the right PIN clears the count of wrong ones

    # The desk may not hand it over online before the seal: it says so, and nothing moves.
    desk = signed_in_official(browser, live_server, clerk, clerk_totp)
    desk.goto(process_url)
    submit_action(desk, "return_result", method=ResultMethod.ONLINE)
    expect(desk.locator("#action-return_result .error-summary")).to_contain_text("Apply the agency seal")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.FINISHED and dossier.returned_at is None

    # The document clerk keeps the seal and applies it with its PIN.
    desk_of_keeper = signed_in_official(browser, live_server, keeper, keeper_totp)
    desk_of_keeper.goto(process_url)
    seal = desk_of_keeper.locator("#action-seal_result")
    expect(seal.locator("summary")).to_have_text("Apply the agency seal")
    submit_action(desk_of_keeper, "seal_result", pin=SIGNING_PIN)
    expect(desk_of_keeper.locator(".message--success")).to_contain_text("agency seal was applied")
    expect(desk_of_keeper.locator("#action-seal_result")).to_have_count(0)
    expect(desk_of_keeper.locator(".result-signatures li")).to_have_count(2)

    # Now the desk returns the result online.
    desk.goto(process_url)
    submit_action(desk, "return_result", method=ResultMethod.ONLINE)
    expect(desk.locator(".message--success")).to_contain_text("returned to the applicant")
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.RETURNED and dossier.result_method == ResultMethod.ONLINE

    # The applicant opens the dossier: who signed, and the signed PDF to download.
    page = new_page(browser)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", citizen.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(lambda url: "/accounts/login/" not in url)
    page.goto(f"{live_server.url}/dossiers/mine/{dossier.code}/")
    signatures = page.locator("section[aria-labelledby=result-title] .result-signatures")
    expect(signatures).to_contain_text("Digitally signed by")
    expect(signatures.locator("li")).to_have_count(2)
    expect(signatures.locator("li").nth(0)).to_contain_text(leader.full_name)
    expect(signatures.locator("li").nth(1)).to_contain_text("Agency seal")
    result_file = DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT)
    with page.expect_download() as download_info:
        page.locator("section[aria-labelledby=result-title] ul a").first.click()
    download = download_info.value
    assert download.suggested_filename == result_file.name and download.suggested_filename.endswith(".pdf")
    signed = Path(download.path()).read_bytes()
    assert signed.startswith(b"%PDF-") and len(signed) == result_file.size

    # The bytes the applicant got carry both signatures, valid, in Decree 30's order.
    report = document_verify(data=signed, filename=download.suggested_filename)
    assert report.status == Status.VALID, report.as_dict()
    assert [signature.field_name for signature in report.signatures] == ["ChuKyNguoiCoThamQuyen", "ChuKyCoQuan"]
    assert [signature.signer_name for signature in report.signatures] == [leader.full_name, JUSTICE_NAME]
    assert all(signature.status == Status.VALID for signature in report.signatures)
    assert all(signature.timestamp_time is not None for signature in report.signatures)
    # An independent validator: poppler with NSS, asking the live server's OCSP responder about both certificates.
    assert shutil.which("pdfsig") and shutil.which("certutil"), "run `make browser` (poppler-utils, libnss3-tools)"
    output = pdfsig(tmp_path, signed, served_pki.root.certificate_pem())
    assert output.count("Signature is Valid") == 2, output
    assert output.count("Certificate is Trusted") == 2, output

    # The public page of the issued document: the registered copy is valid; the applicant's copy is the same.
    short_code = dossier.result["issued_document"]
    page.get_by_role("link", name="Check the signatures and the original").click()
    page.wait_for_url(f"**/verify/{short_code}")
    registered = page.locator("#registered-report-title")
    expect(registered).to_contain_text("Valid")
    expect(registered).not_to_contain_text("Not valid")
    expect(page.locator("main")).to_contain_text("2 signatures, in the order they were made")
    expect(page.locator("main")).to_contain_text(leader.full_name)

    copy = tmp_path / "ket-qua.pdf"
    copy.write_bytes(signed)
    page.set_input_files("main input[name=file]", str(copy))
    with page.expect_navigation():
        page.get_by_role("button", name="Compare and check").click()
    expect(page.locator("#comparison-title")).to_have_text("This copy is identical to the one issued")

    # A copy changed by one byte: it differs from the registered one, and its signatures do not hold.
    forged = tmp_path / "ket-qua-sua.pdf"
    forged.write_bytes(tampered(signed))
    page.set_input_files("main input[name=file]", str(forged))
    with page.expect_navigation():
        page.get_by_role("button", name="Compare and check").click()
    expect(page.locator("#comparison-title")).to_have_text("This copy differs from the one issued")
    expect(page.locator("#copy-report-title")).to_contain_text("Not valid")
    expect(registered).to_contain_text("Valid")
    expect(registered).not_to_contain_text("Not valid")
    assert document_verify(data=forged.read_bytes()).status == Status.INVALID
