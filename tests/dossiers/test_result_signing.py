"""Signed results: the approver signs with their personal certificate, the document clerk applies the seal.

Real keys (the dev PKI, keys encrypted under a PIN), real PAdES signatures checked by Motcua's verifier and by
the registry of issued documents whose short code and QR code are printed on the result.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from motcua.agencies.models import Organisation, Role
from motcua.core.exceptions import InvalidState, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers import services
from motcua.dossiers.models import DossierEvent, DossierFile, DossierStatus
from motcua.signatures.keys import signing_key_find
from motcua.signatures.models import Certificate, IssuedDocument, SigningKey
from motcua.signatures.registry import issued_document_get
from motcua.signatures.reports import Status
from motcua.signatures.services import certificate_issue
from motcua.signatures.verification import document_verify
from tests.dossiers.conftest import at_step, received, state_of
from tests.dossiers.factories import QN_JUSTICE, at, official_in
from tests.signatures.conftest import SIGNING_PIN, dev_pki, dev_pki_files  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def officials(clerk, specialist, unit_head, leader):
    return {"tiep_nhan": clerk, "tham_dinh": specialist, "kiem_tra": unit_head, "phe_duyet": leader}


@pytest.fixture
def document_clerk(directory):
    return official_in(QN_JUSTICE, Role.DOCUMENT_CLERK, title="Văn thư")


@pytest.fixture
def keys(dev_pki, leader):  # noqa: F811
    """The leader's personal key and the Department of Justice's seal, both under SIGNING_PIN."""
    justice = Organisation.objects.get(code=QN_JUSTICE)
    certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.PERSONAL,
        common_name=leader.full_name,
        title="Phó Giám đốc Sở",
        organisation_name=justice.name,
        organisation_code=QN_JUSTICE,
        organisation=justice,
        holder=leader,
        pin=SIGNING_PIN,
    )
    certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=justice.name,
        organisation_code=QN_JUSTICE,
        organisation=justice,
        pin=SIGNING_PIN,
    )
    return dev_pki


def at_decision(citizen, version, officials):
    dossier = received(citizen, version, officials["tiep_nhan"])
    return at_step(dossier, officials, "phe_duyet")


def result_bytes(dossier) -> bytes:
    item = DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT)
    with item.file.open("rb") as handle:
        return handle.read()


def text_of(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def test_approving_with_the_pin_issues_a_signed_result_registered_under_its_short_code(
    citizen, version, officials, keys
):
    dossier = at_decision(citizen, version, officials)
    leader = officials["phe_duyet"]
    dossier = services.dossier_approve_and_sign(actor=leader, dossier=dossier, pin=SIGNING_PIN, at=at(3, 15))

    assert dossier.status == DossierStatus.FINISHED
    pdf = result_bytes(dossier)
    report = document_verify(data=pdf)
    assert report.status == Status.VALID, report.as_dict()
    assert [signature.signer_name for signature in report.signatures] == [leader.full_name]
    assert report.signatures[0].timestamp_time is not None  # B-T: a trusted time, not only the claimed one

    code = dossier.result["issued_document"]
    issued = issued_document_get(short_code=code)
    item = DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT)
    assert issued.sha256 == item.sha256  # the registry holds the very copy the applicant will get
    assert issued.reference == dossier.code and issued.organisation_code == QN_JUSTICE
    text = text_of(pdf)
    assert f"Mã kiểm tra: {code}" in text
    assert f"/verify/{code}" in re.sub(r"\s+", "", text)
    assert [entry["kind"] for entry in dossier.result["signatures"]] == ["personal"]
    assert DossierEvent.objects.filter(dossier=dossier, action="sign_result").count() == 1


def test_the_qr_code_on_the_result_leads_to_its_verification_page(citizen, version, officials, keys, tmp_path):
    zbarimg, pdftoppm = shutil.which("zbarimg"), shutil.which("pdftoppm")
    assert zbarimg and pdftoppm, "zbar-tools and poppler-utils are installed by the test setup"
    dossier = at_decision(citizen, version, officials)
    dossier = services.dossier_approve_and_sign(
        actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN, at=at(3, 15)
    )
    (tmp_path / "result.pdf").write_bytes(result_bytes(dossier))
    subprocess.run([pdftoppm, "-r", "150", "-png", str(tmp_path / "result.pdf"), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    decoded = subprocess.run([zbarimg, "--raw", "-q", *map(str, pages)], capture_output=True, text=True)
    code = dossier.result["issued_document"]
    assert decoded.stdout.strip().endswith(f"/verify/{code}")


def test_a_wrong_pin_leaves_the_dossier_as_it_was(citizen, version, officials, keys, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    dossier = at_decision(citizen, version, officials)
    before = state_of(dossier)
    files, registered = DossierFile.objects.count(), IssuedDocument.objects.count()
    stored = sorted((tmp_path / "media").rglob("*"))

    with pytest.raises(ValidationFailed) as error:
        services.dossier_approve_and_sign(actor=officials["phe_duyet"], dossier=dossier, pin="999999", at=at(3, 15))

    assert error.value.code == "wrong_pin"
    assert state_of(dossier) == before
    assert DossierFile.objects.count() == files and IssuedDocument.objects.count() == registered
    # Nor a rendered result (the applicant's data) left in storage, where the rollback cannot reach.
    assert sorted((tmp_path / "media").rglob("*")) == stored


def test_approving_without_a_pin_is_refused_when_signing_is_asked(citizen, version, officials, keys):
    dossier = at_decision(citizen, version, officials)
    before = state_of(dossier)
    with pytest.raises(ValidationFailed) as error:
        services.dossier_approve_and_sign(actor=officials["phe_duyet"], dossier=dossier, pin="", at=at(3, 15))
    assert "pin" in error.value.details
    assert state_of(dossier) == before


def test_the_seal_comes_after_the_signature_and_both_stay_valid(
    citizen, version, officials, keys, document_clerk, django_capture_on_commit_callbacks
):
    dossier = at_decision(citizen, version, officials)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_approve(actor=officials["phe_duyet"], dossier=dossier, at=at(3, 15))
    assert result_bytes(dossier)  # issued unsigned after the approval (no PIN given)

    with pytest.raises(InvalidState) as early:
        services.dossier_result_seal(actor=document_clerk, dossier=dossier, pin=SIGNING_PIN)
    assert early.value.code == "dossier_result_not_signed"

    dossier = services.dossier_result_sign(actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN)
    with pytest.raises(InvalidState) as twice:
        services.dossier_result_sign(actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN)
    assert twice.value.code == "dossier_result_already_signed"

    dossier = services.dossier_result_seal(actor=document_clerk, dossier=dossier, pin=SIGNING_PIN, at=at(3, 16))
    report = document_verify(data=result_bytes(dossier))
    assert report.status == Status.VALID, report.as_dict()
    justice = Organisation.objects.get(code=QN_JUSTICE)
    assert [signature.signer_name for signature in report.signatures] == [
        officials["phe_duyet"].full_name,
        justice.name,
    ]
    assert all(signature.status == Status.VALID for signature in report.signatures)
    assert [entry["kind"] for entry in dossier.result["signatures"]] == ["personal", "agency_seal"]
    issued = issued_document_get(short_code=dossier.result["issued_document"])
    assert issued.sha256 == DossierFile.objects.get(dossier=dossier, purpose=DossierFile.Purpose.RESULT).sha256


def test_only_the_approver_signs_and_only_the_seal_keeper_seals(
    citizen, version, officials, keys, document_clerk, django_capture_on_commit_callbacks
):
    dossier = at_decision(citizen, version, officials)
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_approve(actor=officials["phe_duyet"], dossier=dossier, at=at(3, 15))
    for intruder in (officials["kiem_tra"], officials["tiep_nhan"], document_clerk):
        with pytest.raises((PermissionDenied, NotFound)):
            services.dossier_result_sign(actor=intruder, dossier=dossier, pin=SIGNING_PIN)
    services.dossier_result_sign(actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN)
    before = state_of(dossier)
    for intruder in (officials["tham_dinh"], officials["tiep_nhan"]):
        with pytest.raises((PermissionDenied, NotFound)):
            services.dossier_result_seal(actor=intruder, dossier=dossier, pin=SIGNING_PIN)
    assert state_of(dossier) == before


def test_an_agency_with_a_seal_returns_results_online_only_once_sealed(
    citizen, version, officials, keys, document_clerk
):
    dossier = at_decision(citizen, version, officials)
    dossier = services.dossier_approve_and_sign(
        actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN, at=at(3, 15)
    )
    with pytest.raises(InvalidState) as error:
        services.dossier_return_result(actor=officials["tiep_nhan"], dossier=dossier, method="online")
    assert error.value.code == "dossier_result_not_sealed"

    services.dossier_result_seal(actor=document_clerk, dossier=dossier, pin=SIGNING_PIN)
    dossier = services.dossier_return_result(actor=officials["tiep_nhan"], dossier=dossier, method="online")
    assert dossier.status == DossierStatus.RETURNED


def test_without_a_personal_key_the_approver_is_told_to_get_one(citizen, version, officials, dev_pki):  # noqa: F811
    dossier = at_decision(citizen, version, officials)
    before = state_of(dossier)
    with pytest.raises(InvalidState) as error:
        services.dossier_approve_and_sign(actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN)
    assert error.value.code == "signing_key_missing"
    assert state_of(dossier) == before
    assert signing_key_find(holder=officials["phe_duyet"], kind="personal") is None
    assert not SigningKey.objects.exists()


# ----------------------------------------------------------------------------- pages and API


def test_the_pages_ask_for_the_pin_sign_seal_and_show_the_signatures(citizen, version, officials, keys, document_clerk):
    from django.conf import settings
    from django.test import Client
    from django.urls import reverse

    from tests.dossiers.test_official_views import act
    from tests.support.sessions import sign_in_with_second_factor

    def signed_in(user):
        browser = sign_in_with_second_factor(Client(), user)
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return browser

    dossier = at_decision(citizen, version, officials)
    leader_client = signed_in(officials["phe_duyet"])
    page = leader_client.get(reverse("dossiers:process", kwargs={"code": dossier.code})).content.decode()
    assert 'name="approve-pin"' in page

    wrong = act(leader_client, dossier, "approve", pin="000000")
    assert wrong.status_code == 422 and "PIN" in wrong.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.PROCESSING

    assert act(leader_client, dossier, "approve", pin=SIGNING_PIN).status_code == 303
    dossier.refresh_from_db()
    assert dossier.status == DossierStatus.FINISHED

    clerk_client = signed_in(document_clerk)
    page = clerk_client.get(reverse("dossiers:process", kwargs={"code": dossier.code})).content.decode()
    assert "Apply the agency seal" in page
    assert act(clerk_client, dossier, "seal_result", pin=SIGNING_PIN).status_code == 303

    desk = signed_in(officials["tiep_nhan"])
    assert act(desk, dossier, "return_result", method="online").status_code == 303

    citizen_client = signed_in(citizen)
    detail = citizen_client.get(reverse("dossiers:mine_detail", kwargs={"code": dossier.code})).content.decode()
    dossier.refresh_from_db()
    code = dossier.result["issued_document"]
    assert "Digitally signed by" in detail and officials["phe_duyet"].full_name in detail
    assert f"/verify/{code}" in detail

    public = Client().get(f"/verify/{code}", HTTP_ACCEPT_LANGUAGE="en")
    assert public.status_code == 200


def test_the_api_approves_and_signs_then_seals(citizen, version, officials, keys, document_clerk):
    from django.test import Client

    from tests.support.sessions import sign_in_with_second_factor

    dossier = at_decision(citizen, version, officials)
    leader_api = sign_in_with_second_factor(Client(), officials["phe_duyet"])
    wrong = leader_api.post(
        f"/api/v1/dossiers/{dossier.code}/actions/approve", {"pin": "000000"}, content_type="application/json"
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "wrong_pin"
    response = leader_api.post(
        f"/api/v1/dossiers/{dossier.code}/actions/approve", {"pin": SIGNING_PIN}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert [entry["kind"] for entry in response.json()["result"]["signatures"]] == ["personal"]

    intruder = sign_in_with_second_factor(Client(), officials["tham_dinh"])
    refused = intruder.post(
        f"/api/v1/dossiers/{dossier.code}/actions/seal_result", {"pin": SIGNING_PIN}, content_type="application/json"
    )
    assert refused.status_code in (403, 404)
    clerk_api = sign_in_with_second_factor(Client(), document_clerk)
    sealed = clerk_api.post(
        f"/api/v1/dossiers/{dossier.code}/actions/seal_result", {"pin": SIGNING_PIN}, content_type="application/json"
    )
    assert sealed.status_code == 200, sealed.content
    assert [entry["kind"] for entry in sealed.json()["result"]["signatures"]] == ["personal", "agency_seal"]


def test_pyhanko_validation_cli_accepts_the_signed_and_sealed_result(
    citizen, version, officials, keys, document_clerk, tmp_path
):
    """pyHanko's own command line (``adesverify``), an independent validator trusting only the dev root."""
    pyhanko = shutil.which("pyhanko", path=str(Path(sys.executable).parent))
    assert pyhanko, "pyhanko-cli is a dev dependency, installed next to this Python"
    dossier = at_decision(citizen, version, officials)
    dossier = services.dossier_approve_and_sign(
        actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN, at=at(3, 15)
    )
    services.dossier_result_seal(actor=document_clerk, dossier=dossier, pin=SIGNING_PIN)
    (tmp_path / "result.pdf").write_bytes(result_bytes(dossier))
    root = keys.path_of(name="root-ca")

    def validate(path):
        return subprocess.run(
            [pyhanko, "sign", "adesverify", "--trust", str(root), "--trust-replace", "--pretty-print", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    accepted = validate(tmp_path / "result.pdf")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    # AdES-style validation: it uses the revocation data the signatures embedded (B-LT), nothing online.
    assert accepted.stdout.count("The signature is judged VALID.") == 2, accepted.stdout
    assert accepted.stdout.count("The signer's certificate is trusted.") == 2, accepted.stdout

    tampered = bytearray(result_bytes(dossier))
    middle = len(tampered) // 3
    tampered[middle] = (tampered[middle] + 1) % 256
    (tmp_path / "tampered.pdf").write_bytes(bytes(tampered))
    assert validate(tmp_path / "tampered.pdf").returncode != 0


def test_a_failure_after_the_pin_leaves_no_file_in_storage(citizen, version, officials, keys, settings, tmp_path):
    """A time-stamping authority down while signing: nothing of the approval stays, not even its files."""
    from motcua.dossiers.services import result_signing
    from motcua.signatures.tsa import TimestampFailed

    settings.MEDIA_ROOT = str(tmp_path / "media")
    dossier = at_decision(citizen, version, officials)
    before = state_of(dossier)
    stored = sorted((tmp_path / "media").rglob("*.pdf"))

    def tsa_down(**kwargs):
        raise TimestampFailed()

    original = result_signing.pdf_sign_with
    result_signing.pdf_sign_with = tsa_down
    try:
        with pytest.raises(TimestampFailed):
            services.dossier_approve_and_sign(
                actor=officials["phe_duyet"], dossier=dossier, pin=SIGNING_PIN, at=at(3, 15)
            )
    finally:
        result_signing.pdf_sign_with = original

    assert state_of(dossier) == before
    assert sorted((tmp_path / "media").rglob("*.pdf")) == stored
