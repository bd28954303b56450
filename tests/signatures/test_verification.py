"""Verification for everyone: document_verify with the deployment's trust anchors and Motcua's own revocation data.

Documents are signed with the dev PKI's certificates (conftest: ``agency_seal``, ``official_certificate``) or,
for trust-anchor configuration, expiry and embedded revocation data, with certificates made in memory
(``certificates.py``) whose root is listed in ``MOTCUA_TRUST_ANCHORS``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import logging
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from lxml import etree
from pyhanko_certvalidator import ValidationContext

from motcua.signatures.pdf import pdf_sign
from motcua.signatures.reports import FileReport, Status
from motcua.signatures.services import certificate_revoke
from motcua.signatures.verification import (
    document_kind,
    document_verify,
    trust_anchors,
    trust_intermediates,
    verification_result,
)
from motcua.signatures.xml import DS_NAMESPACE, xml_sign
from tests.signatures.certificates import NOW, SIGNING, Identity, crl, issue, name
from tests.signatures.signed_documents import (
    XML_DOCUMENT,
    asn1_certificate,
    dev_timestamper,
    encrypted_pdf,
    signed_pdf,
    signed_xml,
    signer_for,
    tampered,
    unsigned_pdf,
    with_drawing_appended,
)

pytestmark = pytest.mark.django_db

CRL_URL = "http://127.0.0.1:9/test-root.crl"  # nothing listens there; verification never fetches


@pytest.fixture(autouse=True)
def _no_configured_anchors(settings):
    """Each test says what it trusts: no anchors from the environment, the dev PKI trusted (the default)."""
    settings.TRUST_ANCHORS = []
    settings.TRUST_DEV_PKI = True


@pytest.fixture(scope="module")
def other_root() -> Identity:
    """A CA that is not the dev PKI, with signers of its own (trusted only when a test lists it)."""
    return issue(name("Motcua Test National Root CA", "Test"), None, ca=True, not_after=NOW + dt.timedelta(days=3650))


def _anchor_file(tmp_path: Path, *identities: Identity, extra: bytes = b"") -> str:
    path = tmp_path / "anchors.pem"
    path.write_bytes(b"".join(identity.pem for identity in identities) + extra)
    return str(path)


def _codes(report: FileReport, index: int = 0) -> list[str]:
    return [reason.code for reason in report.signatures[index].reasons]


def _error_codes(report: FileReport) -> list[str]:
    return [error.code for error in report.errors]


# --------------------------------------------------------------------------------------------- valid documents


def test_a_pdf_sealed_by_the_dev_pki_is_valid(dev_pki, agency_seal):
    report = document_verify(data=signed_pdf(agency_seal, dev_pki), filename="giay-phep.pdf")

    assert report.kind == "pdf"
    assert report.status == Status.VALID, report.as_dict()
    signature = report.signatures[0]
    assert signature.signer_name == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
    assert signature.issuer_name == dev_pki.issuing.certificate.subject.rfc4514_string().split("CN=")[1].split(",")[0]
    assert signature.covers_whole_document is True
    assert signature.reasons == []


def test_a_timestamped_pdf_reports_the_trusted_time(dev_pki, official_certificate):
    report = document_verify(data=signed_pdf(official_certificate, dev_pki, timestamper=dev_timestamper(dev_pki)))

    assert report.status == Status.VALID, report.as_dict()
    moment = report.signatures[0].timestamp_time
    assert moment is not None and abs(moment - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=5)


def test_an_xml_signed_by_the_dev_pki_is_valid(dev_pki, official_certificate):
    report = document_verify(data=signed_xml(official_certificate, dev_pki), filename="ket-qua.xml")

    assert report.kind == "xml"
    assert report.status == Status.VALID, report.as_dict()
    assert report.signatures[0].signer_name == "Nguyễn Thị Lan"
    assert report.signatures[0].covers_whole_document is True


def test_the_kind_comes_from_the_content_not_the_name(dev_pki, agency_seal):
    pdf = signed_pdf(agency_seal, dev_pki)
    xml = signed_xml(agency_seal, dev_pki)

    assert document_verify(data=pdf, filename="looks-like.xml").kind == "pdf"
    assert document_verify(data=xml, filename="looks-like.pdf").kind == "xml"
    assert document_kind(b"\xef\xbb\xbf  \n<a/>") == "xml"
    assert document_kind("<a/>".encode("utf-16")) == "xml"
    assert document_kind(b"\x89PNG\r\n\x1a\n") == "unknown"


# ------------------------------------------------------------------------------------------- broken documents


def test_a_pdf_changed_inside_the_signed_bytes_is_invalid(dev_pki, agency_seal):
    report = document_verify(data=tampered(signed_pdf(agency_seal, dev_pki)))

    assert report.status == Status.INVALID
    assert "bad_signature" in _codes(report)


def test_changes_appended_after_signing_are_reported(dev_pki, agency_seal):
    report = document_verify(data=with_drawing_appended(signed_pdf(agency_seal, dev_pki)))

    assert report.status == Status.INVALID
    signature = report.signatures[0]
    assert _codes(report) == ["modified_after_signing"]
    assert signature.covers_whole_document is False
    assert signature.modifications == "other"


def test_a_second_signature_keeps_the_first_valid_and_says_it_no_longer_covers_everything(
    dev_pki, agency_seal, official_certificate
):
    first = signed_pdf(official_certificate, dev_pki, field_name="Leader")
    both = signed_pdf(agency_seal, dev_pki, data=first, field_name="Seal")

    report = document_verify(data=both)

    assert report.status == Status.VALID, report.as_dict()
    assert [signature.covers_whole_document for signature in report.signatures] == [False, True]
    assert report.signatures[0].modifications == "form_filling"


def test_a_revoked_signer_is_invalid_at_once(dev_pki, agency_seal):
    pdf, xml = signed_pdf(agency_seal, dev_pki), signed_xml(agency_seal, dev_pki)
    assert document_verify(data=pdf).status == Status.VALID

    certificate_revoke(serial_number=agency_seal.serial_number, reason="keyCompromise")

    for report in (document_verify(data=pdf), document_verify(data=xml)):
        assert report.status == Status.INVALID, report.as_dict()
        assert _codes(report) == ["revoked"]


def test_a_signer_from_an_unknown_root_is_not_valid(other_root):
    stranger = issue(name("Người Lạ", "Không rõ"), other_root, key_usage=SIGNING)
    pdf = pdf_sign(
        unsigned_pdf(),
        signer=signer_for(stranger.certificate, stranger.key, [other_root.certificate]),
        field_name="Seal",
    )
    xml = xml_sign(XML_DOCUMENT, key=stranger.key, certificate=stranger.certificate)

    for report in (document_verify(data=pdf), document_verify(data=xml)):
        assert report.status == Status.INDETERMINATE, report.as_dict()
        assert _codes(report) == ["unknown_issuer"]


def test_an_expired_certificate_is_never_valid(other_root, settings, tmp_path):
    settings.TRUST_ANCHORS = [_anchor_file(tmp_path, other_root)]
    expired = issue(
        name("Phạm Hết Hạn"),
        other_root,
        key_usage=SIGNING,
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=35),
    )
    pdf = pdf_sign(
        unsigned_pdf(), signer=signer_for(expired.certificate, expired.key, [other_root.certificate]), field_name="A"
    )
    xml = xml_sign(XML_DOCUMENT, key=expired.key, certificate=expired.certificate)

    pdf_report, xml_report = document_verify(data=pdf), document_verify(data=xml)
    assert pdf_report.status == Status.INVALID
    assert _codes(pdf_report) == ["expired"]
    assert xml_report.status != Status.VALID
    assert _codes(xml_report) == ["expired"]


# --------------------------------------------------------------------------------------------------- trust


def test_configured_anchors_are_trusted_and_the_dev_pki_can_be_turned_off(
    dev_pki, agency_seal, other_root, settings, tmp_path
):
    signer = issue(name("Sở Tư pháp tỉnh Quảng Ninh", "Sở Tư pháp"), other_root, key_usage=SIGNING)
    foreign = pdf_sign(
        unsigned_pdf(), signer=signer_for(signer.certificate, signer.key, [other_root.certificate]), field_name="A"
    )
    ours = signed_pdf(agency_seal, dev_pki)
    assert document_verify(data=foreign).status == Status.INDETERMINATE

    second_root = issue(name("Another Licensed CA"), None, ca=True)
    settings.TRUST_ANCHORS = [_anchor_file(tmp_path, other_root, second_root)]
    assert document_verify(data=foreign).status == Status.VALID
    assert document_verify(data=ours).status == Status.VALID
    assert trust_anchors() == [other_root.certificate, second_root.certificate, dev_pki.root.certificate]
    assert trust_intermediates() == [dev_pki.issuing.certificate]

    settings.TRUST_DEV_PKI = False
    assert trust_intermediates() == []
    assert dev_pki.root.certificate not in trust_anchors()
    report = document_verify(data=ours)
    assert report.status == Status.INDETERMINATE
    assert _codes(report) == ["unknown_issuer"]
    assert document_verify(data=foreign).status == Status.VALID


def test_unusable_anchor_configuration_trusts_less_never_more(other_root, settings, tmp_path, caplog):
    leaf = issue(name("Not a CA"), other_root, key_usage=SIGNING)
    settings.TRUST_DEV_PKI = False
    settings.TRUST_ANCHORS = [
        str(tmp_path / "missing.pem"),
        _anchor_file(tmp_path, leaf, extra=b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n"),
    ]
    with caplog.at_level(logging.ERROR, logger="motcua.signatures.verification"):
        assert trust_anchors() == []
    assert "missing.pem" in caplog.text

    settings.TRUST_ANCHORS = [_anchor_file(tmp_path, leaf, other_root)]
    assert trust_anchors() == [other_root.certificate]  # the end-entity certificate is not an anchor


def test_revocation_data_embedded_in_a_pdf_is_used(other_root, settings, tmp_path):
    """A certificate that names a CRL needs revocation data: none gives "cannot be confirmed", B-LT is valid."""
    settings.TRUST_ANCHORS = [_anchor_file(tmp_path, other_root)]
    revocable = issue(name("Trần Minh Đức"), other_root, key_usage=SIGNING, crl_url=CRL_URL)
    signer = signer_for(revocable.certificate, revocable.key, [other_root.certificate])
    plain = pdf_sign(unsigned_pdf(), signer=signer, field_name="A")
    long_term = pdf_sign(
        unsigned_pdf(),
        signer=signer,
        field_name="A",
        validation_context=ValidationContext(
            trust_roots=[asn1_certificate(other_root.certificate)],
            crls=[crl(other_root, []).public_bytes(serialization.Encoding.DER)],
            allow_fetching=False,
            revocation_mode="hard-fail",
        ),
    )

    without = document_verify(data=plain)
    assert without.status == Status.INDETERMINATE
    assert _codes(without) == ["revocation_unknown"]
    assert document_verify(data=long_term).status == Status.VALID


def test_a_crl_embedded_in_an_xml_signature_is_used(other_root, settings, tmp_path):
    settings.TRUST_ANCHORS = [_anchor_file(tmp_path, other_root)]
    settings.TRUST_DEV_PKI = False
    signer = issue(name("Lê Văn Bị Thu Hồi"), other_root, key_usage=SIGNING, crl_url=CRL_URL)
    signed = xml_sign(XML_DOCUMENT, key=signer.key, certificate=signer.certificate)
    assert document_verify(data=signed).status == Status.VALID

    # KeyInfo is outside what the signature covers, so adding the CRL there keeps the signature intact.
    root = etree.fromstring(signed)
    x509_data = root.find(f".//{{{DS_NAMESPACE}}}X509Data")
    revocations = crl(other_root, [signer.certificate]).public_bytes(serialization.Encoding.DER)
    etree.SubElement(x509_data, f"{{{DS_NAMESPACE}}}X509CRL").text = base64.b64encode(revocations).decode()
    etree.SubElement(x509_data, f"{{{DS_NAMESPACE}}}X509CRL").text = "bm90IGEgQ1JM"  # "not a CRL": ignored
    with_crl = etree.tostring(root, xml_declaration=True, encoding="UTF-8")

    report = document_verify(data=with_crl)
    assert report.status == Status.INVALID, report.as_dict()
    assert _codes(report) == ["revoked"]


# ------------------------------------------------------------------------------------ files that are not right


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "unsupported_format"),
        (b"just some text", "unsupported_format"),
        (b"%PDF-1.7\n garbage \x00\xff", "malformed"),
        (b"<not-closed>", "malformed"),
        (b'<?xml version="1.0"?>\n<a>text</a>', "no_signature"),
    ],
)
def test_garbage_gives_a_clear_error_and_never_valid(dev_pki, data, code):
    report = document_verify(data=data)

    assert report.status == Status.INVALID
    assert _error_codes(report) == [code]
    assert all(error.message for error in report.errors)


def test_an_unsigned_or_encrypted_pdf_is_not_valid(dev_pki):
    assert _error_codes(document_verify(data=unsigned_pdf())) == ["no_signature"]
    report = document_verify(data=encrypted_pdf(unsigned_pdf()))
    assert report.status == Status.INVALID
    assert _error_codes(report) == ["encrypted"]


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "boom">]><a>&x;</a>',
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>',
        b'<!DOCTYPE a SYSTEM "http://127.0.0.1:9/a.dtd"><a/>',
    ],
)
def test_xml_with_a_dtd_or_external_entity_is_refused(dev_pki, data):
    report = document_verify(data=data)

    assert report.status == Status.INVALID
    assert _error_codes(report) == ["dtd_forbidden"]
    assert "root:" not in str(report.as_dict())


def test_oversized_files_are_refused_before_anything_is_parsed(dev_pki, agency_seal, settings):
    signed = signed_pdf(agency_seal, dev_pki)
    settings.VERIFY_MAX_BYTES = len(signed) - 1

    report = document_verify(data=signed)

    assert report.status == Status.INVALID
    assert _error_codes(report) == ["too_large"]
    assert report.signatures == []


def test_the_result_names_the_file_that_was_checked(dev_pki, agency_seal):
    signed = signed_pdf(agency_seal, dev_pki)
    result = verification_result(report=document_verify(data=signed), data=signed, filename="giay-phep.pdf")

    assert result["status"] == "valid"
    assert result["sha256"] == hashlib.sha256(signed).hexdigest()
    assert result["size"] == len(signed)
    assert result["filename"] == "giay-phep.pdf"
    assert dt.datetime.fromisoformat(result["checked_at"])
    assert result["signatures"][0]["signer_name"] == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
