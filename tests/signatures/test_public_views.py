"""The public verification pages, /verify/: upload and report, issued documents' pages, 404, JSON, limits, CSRF."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from motcua.signatures import verification
from motcua.signatures.registry import (
    issued_document_file_set,
    issued_document_register,
    issued_document_withdraw,
)
from tests.signatures.signed_documents import signed_pdf, signed_xml, tampered, unsigned_pdf

pytestmark = pytest.mark.django_db

INDEX = "/verify/"


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRUST_ANCHORS = []
    settings.TRUST_DEV_PKI = True
    # One rate-limit window for the whole test, so a minute boundary cannot reset the counter mid-test.
    monkeypatch.setattr(verification, "_rate_window", lambda: 1)


def visitor(**options: object) -> Client:
    client = Client(**options)  # type: ignore[arg-type]
    client.cookies["django_language"] = "en"
    return client


def upload(data: bytes, name: str = "giay-phep.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


@pytest.fixture
def issued(dev_pki, agency_seal):
    """An issued licence with its signed copy registered; returns (document, signed bytes)."""
    document = issued_document_register(
        title="Giấy phép hoạt động",
        number="123/GP-SCT",
        reference="000.00.20.H49-260302-0001",
        organisation_code="000.00.20.H49",
        organisation_name="Sở Công Thương tỉnh Quảng Ninh",
    )
    signed = signed_pdf(agency_seal, dev_pki)
    return issued_document_file_set(document=document, data=signed), signed


# ------------------------------------------------------------------------------------------------ upload page


def test_the_page_explains_and_offers_both_forms():
    response = visitor().get(INDEX)
    page = response.content.decode()

    assert response.status_code == 200
    assert "<h1>Verify a signed document</h1>" in page
    assert 'enctype="multipart/form-data"' in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert '<label class="field__label" for="id_file">' in page
    assert '<label class="field__label" for="id_code">' in page
    assert 'name="viewport"' in page  # the site's base layout


def test_a_valid_pdf_shows_valid_and_who_signed(dev_pki, agency_seal):
    client = visitor()
    response = client.post(INDEX, {"file": upload(signed_pdf(agency_seal, dev_pki, timestamper=None))})
    page = response.content.decode()

    assert response.status_code == 200
    assert "Result: <strong>Valid</strong>" in page
    assert "Every signature in this document is valid" in page
    assert "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh" in page
    assert "Motcua Development Issuing CA" in page
    assert "This signature covers the whole document: nothing was changed after it." in page
    assert "Not valid" not in page


def test_the_report_can_be_downloaded_as_json(dev_pki, agency_seal):
    signed = signed_pdf(agency_seal, dev_pki)
    client = visitor()
    page = client.post(INDEX, {"file": upload(signed)}).content.decode()
    link = page.split('href="/verify/report/', 1)[1].split('"', 1)[0]

    response = client.get(f"/verify/report/{link}")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    report = json.loads(response.content)
    assert report["status"] == "valid"
    assert report["sha256"] == hashlib.sha256(signed).hexdigest()
    assert report["filename"] == "giay-phep.pdf"
    assert visitor().get("/verify/report/not-a-token.json").status_code == 404


def test_format_json_answers_with_the_report_directly(dev_pki, official_certificate):
    response = visitor().post(
        INDEX, {"file": upload(signed_xml(official_certificate, dev_pki), "x.xml"), "format": "json"}
    )

    assert response.status_code == 200
    report = json.loads(response.content)
    assert report["kind"] == "xml" and report["status"] == "valid"
    assert report["signatures"][0]["signer_name"] == "Nguyễn Thị Lan"


def test_a_tampered_pdf_shows_not_valid_with_the_reason(dev_pki, agency_seal):
    page = visitor().post(INDEX, {"file": upload(tampered(signed_pdf(agency_seal, dev_pki)))}).content.decode()

    assert "Result: <strong>Not valid</strong>" in page
    assert "The signature does not match the document: the signed content was changed." in page


def test_a_file_that_is_not_a_document_says_why(dev_pki):
    page = visitor().post(INDEX, {"file": upload(b"\x89PNG\r\n\x1a\n\0\0", "photo.pdf")}).content.decode()

    assert "Result: <strong>Not valid</strong>" in page
    assert "This file is neither a PDF nor an XML document" in page
    assert "Result: <strong>Valid</strong>" not in page


def test_an_unsigned_document_is_not_valid(dev_pki):
    page = visitor().post(INDEX, {"file": upload(unsigned_pdf())}).content.decode()

    assert "Result: <strong>Not valid</strong>" in page
    assert "The document has no signature." in page


def test_missing_and_oversized_files_are_form_errors(dev_pki, agency_seal, settings):
    assert visitor().post(INDEX, {}).status_code == 422
    settings.VERIFY_MAX_BYTES = 1024

    response = visitor().post(INDEX, {"file": upload(signed_pdf(agency_seal, dev_pki))})

    assert response.status_code == 422
    assert "The file is too large to be checked: at most 1.0" in response.content.decode()


def test_uploads_need_the_csrf_token():
    client = visitor(enforce_csrf_checks=True)
    assert client.post(INDEX, {"file": upload(unsigned_pdf())}).status_code == 403

    page = client.get(INDEX).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="', 1)[1].split('"', 1)[0]
    response = client.post(INDEX, {"file": upload(unsigned_pdf()), "csrfmiddlewaretoken": token})
    assert response.status_code == 200


def test_checks_are_rate_limited_per_address(dev_pki, settings):
    settings.VERIFY_RATE_PER_MINUTE = 2
    client = visitor()
    for _attempt in range(2):
        assert client.post(INDEX, {"file": upload(b"%PDF-1.7 junk")}).status_code == 200

    response = client.post(INDEX, {"file": upload(b"%PDF-1.7 junk")})

    assert response.status_code == 429
    assert response["Retry-After"] == "60"
    assert "Too many documents checked from your address" in response.content.decode()
    other_address = visitor(REMOTE_ADDR="192.0.2.7")
    assert other_address.post(INDEX, {"file": upload(b"%PDF-1.7 junk")}).status_code == 200


# ---------------------------------------------------------------------------------------------- short codes


def test_the_code_box_leads_to_the_documents_page(issued):
    document, _signed = issued
    typed = document.short_code.replace("-", "").lower()

    response = visitor().get(INDEX, {"code": typed})

    assert response.status_code == 302
    assert response["Location"] == f"/verify/{document.short_code}"


def test_a_code_that_cannot_exist_is_a_form_error():
    response = visitor().get(INDEX, {"code": "hello"})

    assert response.status_code == 422
    assert "This is not a document code" in response.content.decode()


def test_an_unknown_code_is_a_friendly_404_with_the_forms():
    response = visitor().get("/verify/ZZZZ-ZZZZ-ZZZY")
    page = response.content.decode()

    assert response.status_code == 404
    assert "No document has this code" in page
    assert "ZZZZ-ZZZZ-ZZZY" in page
    assert 'name="code"' in page and 'name="file"' in page
    assert visitor().get("/verify/ZZZZ-ZZZZ-ZZZY/file").status_code == 404


# ----------------------------------------------------------------------------------------- an issued document


def test_the_documents_page_shows_who_issued_it_and_the_registered_copy_report(issued):
    document, _signed = issued
    response = visitor().get(f"/verify/{document.short_code}")
    page = response.content.decode()

    assert response.status_code == 200
    for text in ("Giấy phép hoạt động", "123/GP-SCT", "Sở Công Thương tỉnh Quảng Ninh", "Issued, not withdrawn"):
        assert text in page
    assert document.reference not in page  # the internal reference is not public
    assert "Result: <strong>Valid</strong>" in page
    assert f'href="/verify/{document.short_code}/file"' in page
    assert document.sha256 in page


def test_a_code_typed_loosely_redirects_to_the_canonical_page(issued):
    document, _signed = issued
    response = visitor().get(f"/verify/{document.short_code.replace('-', '').lower()}")

    assert response.status_code == 302
    assert response["Location"] == f"/verify/{document.short_code}"


def test_the_registered_copy_downloads_as_it_was_stored(issued):
    document, signed = issued
    response = visitor().get(f"/verify/{document.short_code}/file")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == signed
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{document.short_code}.pdf"' in response["Content-Disposition"]


def test_the_documents_report_as_json(issued):
    document, signed = issued
    response = visitor().get(f"/verify/{document.short_code}", {"format": "json"})

    body = json.loads(response.content)
    assert body["short_code"] == document.short_code
    assert body["withdrawn"] is False
    assert body["report"]["status"] == "valid"
    assert body["report"]["sha256"] == hashlib.sha256(signed).hexdigest()


def test_an_identical_copy_is_recognised(issued):
    document, signed = issued
    page = visitor().post(f"/verify/{document.short_code}", {"file": upload(signed)}).content.decode()

    assert "This copy is identical to the one issued" in page
    assert "This copy differs" not in page
    assert "Result: <strong>Valid</strong>" in page


def test_a_different_copy_is_flagged_and_checked_on_its_own(issued, dev_pki, agency_seal):
    document, signed = issued
    client = visitor()

    altered = client.post(f"/verify/{document.short_code}", {"file": upload(tampered(signed))}).content.decode()
    other = client.post(f"/verify/{document.short_code}", {"file": upload(signed_pdf(agency_seal, dev_pki))})

    assert "This copy differs from the one issued" in altered
    assert "This copy is identical" not in altered
    assert "Result: <strong>Not valid</strong>" in altered  # the uploaded copy's own report
    assert "Result: <strong>Valid</strong>" in altered  # the registered copy's report
    # Another validly signed document is still not the one issued.
    assert "This copy differs from the one issued" in other.content.decode()


def test_a_withdrawn_document_says_so(issued, platform_admin):
    document, signed = issued
    issued_document_withdraw(document=document, reason="Cấp nhầm", actor=platform_admin)

    page = visitor().get(f"/verify/{document.short_code}").content.decode()
    compared = visitor().post(f"/verify/{document.short_code}", {"file": upload(signed)}).content.decode()

    assert "This document was withdrawn" in page
    assert "Issued, not withdrawn" not in page
    assert "This document was withdrawn" in compared and "This copy is identical to the one issued" in compared


def test_a_document_without_its_copy_yet(dev_pki):
    document = issued_document_register(title="Kết quả đang ký")

    page = visitor().get(f"/verify/{document.short_code}").content.decode()

    assert "The signed copy of this document is not available yet." in page
    assert visitor().get(f"/verify/{document.short_code}/file").status_code == 404


def test_document_pages_count_towards_the_rate_limit(issued, settings):
    document, _signed = issued
    settings.VERIFY_RATE_PER_MINUTE = 1
    client = visitor()
    assert client.get(f"/verify/{document.short_code}").status_code == 200

    assert client.get(f"/verify/{document.short_code}").status_code == 429
    assert client.get(f"/verify/{document.short_code}/file").status_code == 429
    limited = client.get(f"/verify/{document.short_code}", {"format": "json"})
    assert limited.status_code == 429 and json.loads(limited.content)["code"] == "rate_limited"
