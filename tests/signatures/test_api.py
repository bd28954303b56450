"""Signatures API: POST /api/v1/signatures/verify and GET /api/v1/signatures/documents/{short_code}."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.test import Client

from motcua.core.models import AuditEvent
from motcua.signatures import verification
from motcua.signatures.registry import issued_document_file_set, issued_document_register, issued_document_withdraw
from tests.signatures.signed_documents import signed_pdf, signed_xml, tampered

pytestmark = pytest.mark.django_db

BASE = "/api/v1/signatures"
REPORT_KEYS = {"kind", "status", "signatures", "errors", "filename", "sha256", "size", "checked_at"}


@pytest.fixture(autouse=True)
def _settings(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TRUST_ANCHORS = []
    settings.TRUST_DEV_PKI = True
    monkeypatch.setattr(verification, "_rate_window", lambda: 1)  # one rate-limit window per test


def api_client(**options: object) -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en", **options)  # type: ignore[arg-type]


def post_file(client: Client, data: bytes, name: str = "document.pdf"):
    named = io.BytesIO(data)
    named.name = name
    return client.post(f"{BASE}/verify", {"file": named})


def test_verify_returns_the_report(dev_pki, agency_seal):
    signed = signed_pdf(agency_seal, dev_pki)

    response = post_file(api_client(), signed)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == REPORT_KEYS
    assert body["kind"] == "pdf" and body["status"] == "valid"
    assert body["sha256"] == hashlib.sha256(signed).hexdigest()
    signature = body["signatures"][0]
    assert signature["status"] == "valid" and signature["reasons"] == []
    assert signature["signer_name"] == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
    assert signature["covers_whole_document"] is True


def test_verify_reports_what_is_wrong_with_codes_and_translated_messages(dev_pki, official_certificate):
    tampered_report = post_file(api_client(), tampered(signed_pdf(official_certificate, dev_pki))).json()
    garbage = post_file(api_client(), b"GIF89a not a document", "photo.xml").json()
    french = post_file(Client(HTTP_ACCEPT_LANGUAGE="fr"), b"GIF89a", "photo.xml")

    assert tampered_report["status"] == "invalid"
    assert "bad_signature" in [reason["code"] for reason in tampered_report["signatures"][0]["reasons"]]
    assert garbage["status"] == "invalid" and garbage["kind"] == "unknown"
    assert garbage["errors"][0]["code"] == "unsupported_format"
    assert french.status_code == 200 and french.json()["errors"][0]["code"] == "unsupported_format"


def test_verify_accepts_xml(dev_pki, official_certificate):
    body = post_file(api_client(), signed_xml(official_certificate, dev_pki), "ket-qua.bin").json()

    assert body["kind"] == "xml" and body["status"] == "valid"


def test_verify_needs_a_file_and_refuses_oversized_ones(dev_pki, agency_seal, settings):
    missing = api_client().post(f"{BASE}/verify", {})
    assert missing.status_code == 422 and missing.json()["code"] == "validation_failed"

    settings.VERIFY_MAX_BYTES = 1000
    too_large = post_file(api_client(), signed_pdf(agency_seal, dev_pki))

    assert too_large.status_code == 422
    body = too_large.json()
    assert body["code"] == "file_too_large"
    assert "too large" in body["details"]["file"][0]


def test_verify_is_rate_limited_in_the_api_error_format(dev_pki, settings):
    settings.VERIFY_RATE_PER_MINUTE = 2
    client = api_client()
    for _attempt in range(2):
        assert post_file(client, b"%PDF-1.7 junk").status_code == 200

    limited = post_file(client, b"%PDF-1.7 junk")

    assert limited.status_code == 429
    assert limited.json() == {
        "code": "rate_limited",
        "message": "Too many documents checked from your address. Please wait a minute and try again.",
        "details": {},
    }
    assert api_client().get(f"{BASE}/documents/ZZZZ-ZZZZ-ZZZZ").status_code == 429  # one counter for both


def test_verify_needs_no_csrf_token_and_acts_for_no_one(dev_pki, agency_seal, citizen):
    """Public and stateless: no session is read and nothing changes, so a token would protect nothing."""
    browser = api_client(enforce_csrf_checks=True)
    browser.force_login(citizen)
    events_before = AuditEvent.objects.count()

    response = post_file(browser, signed_pdf(agency_seal, dev_pki))

    assert response.status_code == 200 and response.json()["status"] == "valid"
    assert AuditEvent.objects.count() == events_before
    # Session-authenticated writes elsewhere in the API still need the token.
    upload = io.BytesIO(b"%PDF-1.4 x")
    upload.name = "a.pdf"
    assert browser.post("/api/v1/dossiers/uploads", {"file": upload}).status_code in {401, 403}


def test_the_endpoints_are_public_in_the_openapi_document():
    schema = api_client().get("/api/v1/openapi.json").json()

    verify = schema["paths"][f"{BASE}/verify"]["post"]
    document = schema["paths"][f"{BASE}/documents/{{short_code}}"]["get"]
    assert "security" not in verify and "security" not in document
    assert "multipart/form-data" in verify["requestBody"]["content"]


@pytest.fixture
def issued(dev_pki, agency_seal):
    document = issued_document_register(
        title="Giấy phép hoạt động",
        number="123/GP-SCT",
        reference="000.00.20.H49-260302-0001",
        organisation_code="000.00.20.H49",
        organisation_name="Sở Công Thương tỉnh Quảng Ninh",
    )
    signed = signed_pdf(agency_seal, dev_pki)
    return issued_document_file_set(document=document, data=signed), signed


def test_document_metadata_and_the_registered_copys_report(issued, settings):
    document, signed = issued

    response = api_client().get(f"{BASE}/documents/{document.short_code.replace('-', '').lower()}")

    assert response.status_code == 200
    body = response.json()
    assert body["short_code"] == document.short_code
    assert body["title"] == "Giấy phép hoạt động" and body["number"] == "123/GP-SCT"
    assert body["organisation_name"] == "Sở Công Thương tỉnh Quảng Ninh"
    assert body["withdrawn"] is False and body["withdrawn_at"] is None
    assert body["verification_url"] == f"{settings.SITE_URL}/verify/{document.short_code}"
    assert body["file_url"] == f"{settings.SITE_URL}/verify/{document.short_code}/file"
    assert body["sha256"] == hashlib.sha256(signed).hexdigest() == body["report"]["sha256"]
    assert body["report"]["status"] == "valid"
    assert "reference" not in body and document.reference not in response.content.decode()


def test_a_withdrawn_document_and_one_without_its_copy(issued, platform_admin, dev_pki):
    document, _signed = issued
    issued_document_withdraw(document=document, reason="Cấp nhầm", actor=platform_admin)
    pending = issued_document_register(title="Đang ký")

    withdrawn = api_client().get(f"{BASE}/documents/{document.short_code}").json()
    waiting = api_client().get(f"{BASE}/documents/{pending.short_code}").json()

    assert withdrawn["withdrawn"] is True and withdrawn["withdrawn_at"] is not None
    assert waiting["report"] is None and waiting["file_url"] is None and waiting["sha256"] == ""


def test_an_unknown_document_is_a_404_in_the_error_format():
    for code in ("ZZZZ-ZZZZ-ZZZY", "not-a-code"):
        response = api_client().get(f"{BASE}/documents/{code}")
        assert response.status_code == 404
        body = response.json()
        assert body["code"] == "issued_document_not_found"
        assert body["message"] == "No issued document has this code."
