"""Sealing and verifying packages with the development PKI: the sender's seal, forged and tampered packages."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from lxml import etree

from motcua.core.exceptions import ValidationFailed
from motcua.core.models import AuditEvent
from motcua.exchange.edxml import (
    NAMESPACE,
    Attachment,
    ParseLimits,
    StatusCode,
    certificate_organisation_code,
    package_build,
    package_parse,
    package_sign,
    package_verify,
    status_build,
    status_parse,
    status_sign,
    status_verify,
)
from motcua.signatures.reports import Status
from motcua.signatures.services import certificate_revoke
from motcua.signatures.verification import VerificationTrust
from motcua.signatures.xml import DS_NAMESPACE, xml_sign
from tests.exchange.edxml.conftest import (
    GOVERNMENT_OFFICE,
    QUANG_NINH,
    fixture_bytes,
    fixture_path,
    package_make,
    signer_make,
)
from tests.signatures.conftest import official_certificate, xmlsec1_verify  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db
E = f"{{{NAMESPACE}}}"
NO_TRUST = VerificationTrust(anchors=[], intermediates=[])


def _reasons(verification) -> list[str]:
    return [reason.code for signature in verification.report.signatures for reason in signature.reasons]


def _problems(verification) -> list[str]:
    return [problem.code for problem in verification.problems]


@pytest.fixture
def sealed(quang_ninh_signer) -> bytes:
    signer, clerk = quang_ninh_signer
    return package_sign(package_build(package_make()), signer=signer, actor=clerk)


def test_a_package_sealed_by_its_sender_is_accepted(quang_ninh_signer, limits, sealed, tmp_path, dev_pki):
    _signer, clerk = quang_ninh_signer
    verification = package_verify(sealed)
    assert verification.accepted and verification.status == Status.VALID, verification.as_dict()
    assert verification.signer_organisation_code == verification.sender_organisation_code == QUANG_NINH
    assert verification.kind == "package" and verification.header == package_make().header
    assert verification.signer_certificate == quang_ninh_signer[0].certificate
    signature = verification.report.signatures[0]
    assert signature.covers_whole_document and signature.signer_name == "Ủy ban nhân dân tỉnh Quảng Ninh"

    header = etree.fromstring(sealed).find(f"{E}edXMLEnvelope/{E}edXMLHeader")
    assert [etree.QName(child).localname for child in header] == ["MessageHeader", "TraceHeaderList", "Signature"]
    assert header[2].tag == f"{{{DS_NAMESPACE}}}Signature"

    with package_parse(sealed, limits=limits, strict=True) as parsed:
        assert parsed.signed and parsed.header == package_make().header
    event = AuditEvent.objects.filter(action="signatures.document_signed").latest("id")
    assert event.after["format"] == "xml" and event.actor_id == clerk.pk

    root_pem = dev_pki.root.certificate.public_bytes(Encoding.PEM)
    independent = xmlsec1_verify(tmp_path, sealed, root_pem)  # xmlsec1, another implementation, agrees
    assert independent.returncode == 0, independent.stdout + independent.stderr


def test_a_seal_is_refused_for_a_package_of_another_sender(government_office_seal, limits):
    signer, clerk = signer_make(government_office_seal, code=GOVERNMENT_OFFICE)
    unsigned = package_build(package_make())
    before = AuditEvent.objects.filter(action="signatures.document_signed").count()
    with pytest.raises(ValidationFailed) as caught:
        package_sign(unsigned, signer=signer, actor=clerk)
    assert caught.value.code == "edxml_signer_not_sender"
    assert AuditEvent.objects.filter(action="signatures.document_signed").count() == before


def test_a_package_is_sealed_once(quang_ninh_signer, sealed):
    signer, clerk = quang_ninh_signer
    with pytest.raises(ValidationFailed) as caught:
        package_sign(sealed, signer=signer, actor=clerk)
    assert caught.value.code == "edxml_already_signed"


def test_a_package_sealed_by_another_organisation_is_not_accepted(government_office_seal, quang_ninh_seal):
    forged = xml_sign(
        package_build(package_make()),
        key=government_office_seal.private_key,
        certificate=government_office_seal.certificate,
        signature_parent_xpath="//e:edXMLHeader",
        namespaces={"e": NAMESPACE},
    )
    verification = package_verify(forged)
    assert verification.status == Status.VALID and not verification.accepted
    assert _problems(verification) == ["signer_not_sender"]
    assert verification.signer_organisation_code == GOVERNMENT_OFFICE
    assert verification.sender_organisation_code == QUANG_NINH


def test_a_personal_certificate_is_not_an_agency_seal(official_certificate):  # noqa: F811
    signed = xml_sign(
        package_build(package_make()),
        key=official_certificate.private_key,
        certificate=official_certificate.certificate,
        signature_parent_xpath="//e:edXMLHeader",
        namespaces={"e": NAMESPACE},
    )
    verification = package_verify(signed)
    assert verification.status == Status.VALID and _problems(verification) == ["signer_organisation_unknown"]


def test_a_tampered_package_is_refused(sealed):
    tampered = sealed.replace("quý I năm 2024".encode(), "quý II năm 2024".encode())
    assert tampered != sealed
    verification = package_verify(tampered)
    assert verification.status == Status.INVALID and _reasons(verification) == ["modified_after_signing"]
    assert not verification.accepted and verification.header is None

    static = package_verify(fixture_bytes("signed/tampered.edxml"), trust=NO_TRUST)
    assert static.status == Status.INVALID and _reasons(static) == ["modified_after_signing"]


def test_an_attachment_changed_after_sealing_is_refused(sealed):
    root = etree.fromstring(sealed)
    content = root.find(f"{E}AttachmentEncoded/{E}Attachment/{E}ContentTransferEncoded")
    content.text = "JVBERi0xLjQKJSBmb3JnZWQ="
    verification = package_verify(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    assert _reasons(verification) == ["modified_after_signing"] and not verification.accepted


def test_signature_wrapping_and_partial_seals_are_refused():
    for name in ("signed/wrapping.edxml", "signed/partial.edxml"):
        verification = package_verify(fixture_bytes(name), trust=NO_TRUST)
        assert verification.status == Status.INVALID, name
        assert _reasons(verification) == ["unexpected_reference"], name
        assert not verification.accepted and verification.header is None


def test_a_self_signed_seal_is_not_trusted(dev_pki):
    verification = package_verify(fixture_bytes("signed/self_signed.edxml"))
    assert verification.status == Status.INDETERMINATE and _reasons(verification) == ["unknown_issuer"]
    assert verification.signer_organisation_code == QUANG_NINH and not verification.accepted


def test_a_revoked_seal_is_refused(quang_ninh_seal, sealed):
    assert package_verify(sealed).accepted
    certificate_revoke(serial_number=quang_ninh_seal.serial_number, reason="keyCompromise")
    verification = package_verify(sealed)
    assert verification.status == Status.INVALID and _reasons(verification) == ["revoked"]
    assert not verification.accepted


def test_the_seal_is_checked_at_the_moment_given(quang_ninh_seal, sealed):
    before = quang_ninh_seal.certificate.not_valid_before_utc - dt.timedelta(days=1)
    verification = package_verify(sealed, at=before)
    assert verification.status == Status.INDETERMINATE and _reasons(verification) == ["not_yet_valid"]


def test_unsigned_and_doubly_signed_packages_are_not_accepted(quang_ninh_seal, sealed):
    unsigned = package_verify(package_build(package_make()))
    assert _problems(unsigned) == ["no_signature"] and not unsigned.accepted
    twice = xml_sign(
        sealed,
        key=quang_ninh_seal.private_key,
        certificate=quang_ninh_seal.certificate,
        signature_parent_xpath="//e:edXMLHeader",
        namespaces={"e": NAMESPACE},
    )
    verification = package_verify(twice)
    assert "several_signatures" in _problems(verification) and not verification.accepted
    garbage = package_verify(fixture_bytes("refused/garbage.bin"))
    assert not garbage.accepted and garbage.report.status == Status.INVALID


def test_status_packages_are_sealed_and_verified(quang_ninh_signer, limits):
    signer, clerk = quang_ninh_signer
    with status_parse(fixture_path("valid/status_03.edxml"), limits=limits) as parsed:
        sealed = status_sign(status_build(parsed.status), signer=signer, actor=clerk)
    verification = status_verify(sealed)
    assert verification.accepted and verification.kind == "status"
    assert verification.header == parsed.status and verification.header.status_code == StatusCode.ACCEPTED
    assert status_parse(sealed, limits=limits, strict=True).signed
    document = package_sign(package_build(package_make()), signer=signer, actor=clerk)
    assert _problems(status_verify(document)) == ["wrong_kind"]


def test_large_attachments_are_sealed_and_verified(quang_ninh_signer, tmp_path):
    """Over libxml2's 10 MB text limit once in base64: the signing and verifying parsers must lift it."""
    signer, clerk = quang_ninh_signer
    content = tmp_path / "so-lieu.bin"
    content.write_bytes(bytes(range(256)) * (32 * 1024))  # 8 MiB, 11 MiB of base64
    package = package_make(attachments=(Attachment(name="so-lieu.bin", content=content),))
    sealed = package_sign(package_build(package), signer=signer, actor=clerk)
    assert len(sealed) > 10 * 1024 * 1024
    verification = package_verify(sealed)
    assert verification.accepted, verification.as_dict()
    roomy = ParseLimits(max_attachment_bytes=16 * 1024 * 1024, temp_dir=str(tmp_path))
    with package_parse(sealed, limits=roomy) as parsed:
        assert parsed.attachments[0].size == 8 * 1024 * 1024


def test_the_organisation_code_of_a_certificate(quang_ninh_seal, official_certificate):  # noqa: F811
    assert certificate_organisation_code(quang_ninh_seal.certificate) == QUANG_NINH
    assert certificate_organisation_code(official_certificate.certificate) == ""

    def with_subject(*attributes: x509.NameAttribute) -> x509.Certificate:
        certificate = quang_ninh_seal.certificate
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name(list(attributes)))
            .issuer_name(certificate.issuer)
            .public_key(certificate.public_key())
            .serial_number(1)
            .not_valid_before(certificate.not_valid_before_utc)
            .not_valid_after(certificate.not_valid_after_utc)
        )
        from cryptography.hazmat.primitives import hashes

        return builder.sign(quang_ninh_seal.private_key, hashes.SHA256())

    uid = with_subject(x509.NameAttribute(NameOID.USER_ID, "MĐĐT:000.00.00.g22"))
    assert certificate_organisation_code(uid) == GOVERNMENT_OFFICE
    not_a_code = with_subject(x509.NameAttribute(NameOID.SERIAL_NUMBER, "CMND:012345678"))
    assert certificate_organisation_code(not_a_code) == ""
    skips_a_level = with_subject(x509.NameAttribute(NameOID.SERIAL_NUMBER, "000.12.00.H49"))
    assert certificate_organisation_code(skips_a_level) == ""


def test_the_verification_answers_as_json(sealed):
    data = package_verify(sealed).as_dict()
    assert data["accepted"] is True and data["status"] == "valid"
    assert data["signed_header"]["from_organ"]["organ_id"] == QUANG_NINH
    assert data["report"]["signatures"][0]["status"] == "valid"
