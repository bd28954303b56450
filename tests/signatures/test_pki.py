"""The dev PKI: certificates that openssl accepts, revocation in the CRL, storage, the `pki` command."""

from __future__ import annotations

import json
import re
import stat
from io import StringIO

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID, NameOID
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.core.exceptions import InvalidState, NotFound, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.signatures.keys import signing_key_unlock
from motcua.signatures.models import Certificate, SigningKey
from motcua.signatures.services import (
    certificate_fingerprint,
    certificate_issue,
    certificate_revoke,
    crl_build,
    pki_load,
    serial_normalise,
)
from tests.factories import OrganisationFactory, PositionFactory
from tests.signatures.conftest import openssl

pytestmark = pytest.mark.django_db


def _write(path, data: bytes):
    path.write_bytes(data)
    return str(path)


def _verify(dev_pki, leaf_path: str, *extra: str):
    return openssl(
        "verify",
        "-CAfile",
        str(dev_pki.path_of(name="root-ca")),
        "-untrusted",
        str(dev_pki.path_of(name="issuing-ca")),
        *extra,
        leaf_path,
    )


def test_openssl_verifies_seal_and_personal_certificates_up_to_the_root(
    dev_pki, agency_seal, official_certificate, tmp_path
):
    for certified in (agency_seal, official_certificate):
        leaf = _write(tmp_path / f"{certified.serial_number}.pem", certified.certificate_pem())
        result = _verify(dev_pki, leaf)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip().endswith(b": OK")
        # Without the issuing CA there is no path: the leaf is not signed by the root itself.
        alone = openssl("verify", "-CAfile", str(dev_pki.path_of(name="root-ca")), leaf)
        assert alone.returncode != 0
    assert isinstance(agency_seal.private_key, rsa.RSAPrivateKey)
    assert isinstance(official_certificate.private_key, ec.EllipticCurvePrivateKey)


def test_openssl_rejects_a_certificate_from_another_root(dev_pki, tmp_path):
    from motcua.signatures.services import pki_create

    other = pki_create(directory=tmp_path / "other", ca_key_size=2048)
    leaf = _write(tmp_path / "other-tsa.pem", other.tsa.certificate_pem())
    result = _verify(dev_pki, leaf)
    assert result.returncode != 0
    assert b"unable to get local issuer certificate" in result.stdout + result.stderr


def test_subject_names_carry_agency_code_position_and_organisation(agency_seal, official_certificate):
    seal = agency_seal.certificate.subject
    assert (
        seal.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
    )
    assert (
        seal.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
    )
    assert seal.get_attributes_for_oid(NameOID.SERIAL_NUMBER)[0].value == "000.00.20.H49"
    personal = official_certificate.certificate.subject
    assert personal.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "Nguyễn Thị Lan"
    assert personal.get_attributes_for_oid(NameOID.TITLE)[0].value == "Phó Giám đốc"
    assert (
        personal.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value
        == "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh"
    )
    assert not personal.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    row = Certificate.objects.get(sha256_fingerprint=certificate_fingerprint(agency_seal.certificate))
    assert (row.kind, row.organisation_code, row.serial_number) == (
        Certificate.Kind.AGENCY_SEAL,
        "000.00.20.H49",
        agency_seal.serial_number,
    )


def test_extensions_fit_each_role(dev_pki, agency_seal):
    def extension(certificate, kind):
        return certificate.extensions.get_extension_for_class(kind)

    for ca in (dev_pki.root.certificate, dev_pki.issuing.certificate):
        constraints = extension(ca, x509.BasicConstraints)
        assert constraints.critical and constraints.value.ca
        usage = extension(ca, x509.KeyUsage).value
        assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    assert extension(dev_pki.issuing.certificate, x509.BasicConstraints).value.path_length == 0
    assert (
        extension(dev_pki.issuing.certificate, x509.AuthorityKeyIdentifier).value.key_identifier
        == extension(dev_pki.root.certificate, x509.SubjectKeyIdentifier).value.digest
    )

    leaf = agency_seal.certificate
    assert extension(leaf, x509.BasicConstraints).critical and not extension(leaf, x509.BasicConstraints).value.ca
    usage = extension(leaf, x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and usage.value.content_commitment
    assert not usage.value.key_cert_sign
    points = extension(leaf, x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "http://127.0.0.1:8000/pki/crl/issuing-ca.crl"
    access = {
        item.access_method: item.access_location.value
        for item in extension(leaf, x509.AuthorityInformationAccess).value
    }
    assert access[AuthorityInformationAccessOID.OCSP] == "http://127.0.0.1:8000/pki/ocsp"
    assert access[AuthorityInformationAccessOID.CA_ISSUERS] == "http://127.0.0.1:8000/pki/ca/issuing-ca.crt"

    tsa_usage = extension(dev_pki.tsa.certificate, x509.ExtendedKeyUsage)
    assert tsa_usage.critical and list(tsa_usage.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    assert list(extension(dev_pki.ocsp.certificate, x509.ExtendedKeyUsage).value) == [ExtendedKeyUsageOID.OCSP_SIGNING]
    extension(dev_pki.ocsp.certificate, x509.OCSPNoCheck)  # raises ExtensionNotFound if missing
    assert dev_pki.root.private_key.key_size == 3072


def test_urls_in_new_certificates_follow_the_base_url_setting(dev_pki, settings):
    settings.PKI_BASE_URL = "https://motcua.hue.gov.vn/"
    certified = certificate_issue(pki=dev_pki, kind=Certificate.Kind.PERSONAL, common_name="Trần Văn Bình")
    points = certified.certificate.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert points[0].full_name[0].value == "https://motcua.hue.gov.vn/pki/crl/issuing-ca.crl"


def test_keys_are_private_to_the_owner_and_the_pki_loads_back(dev_pki, tmp_path):
    keys = list(dev_pki.directory.glob("*.key.pem"))
    assert len(keys) == 4  # root, issuing CA, TSA, OCSP responder
    for key in keys:
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
    loaded = pki_load(directory=dev_pki.directory)
    for name in ("root", "issuing", "tsa", "ocsp"):
        assert getattr(loaded, name).certificate == getattr(dev_pki, name).certificate
    with pytest.raises(NotFound):
        pki_load(directory=tmp_path / "nothing-here")


def test_issued_keys_are_kept_encrypted_under_the_pin_never_in_files(dev_pki):
    certified = certificate_issue(pki=dev_pki, kind=Certificate.Kind.AGENCY_SEAL, common_name="Sở Nội vụ", pin="135790")
    assert not (dev_pki.directory / "issued").exists()
    key = SigningKey.objects.get(certificate__serial_number=certified.serial_number)
    assert key.storage == SigningKey.Storage.SOFTWARE
    assert certified.private_key_pem() not in bytes(key.encrypted_key)
    again = signing_key_unlock(signing_key=key, pin="135790", actor=SYSTEM)
    assert again.private_key.private_numbers() == certified.private_key.private_numbers()
    # Without a PIN the key is only handed back (tests, keys put on a token): nothing is stored.
    bare = certificate_issue(pki=dev_pki, kind=Certificate.Kind.PERSONAL, common_name="Trần Văn Bình")
    assert not SigningKey.objects.filter(certificate__serial_number=bare.serial_number).exists()


def test_revocation_appears_in_the_crl_and_openssl_refuses_the_certificate(dev_pki, agency_seal, client, tmp_path):
    leaf = _write(tmp_path / "leaf.pem", agency_seal.certificate_pem())
    crl_path = tmp_path / "issuing.crl"
    root_crl = tmp_path / "root.crl"
    _write(root_crl, crl_build(pki=dev_pki, ca_name="root-ca"))
    pem_crls = tmp_path / "crls.pem"

    def crl_check():
        crl_path.write_bytes(client.get("/pki/crl/issuing-ca.crl").content)
        pem = b""
        for path in (crl_path, root_crl):
            converted = openssl("crl", "-inform", "DER", "-in", str(path), "-outform", "PEM")
            assert converted.returncode == 0, converted.stderr
            pem += converted.stdout
        pem_crls.write_bytes(pem)
        return _verify(dev_pki, leaf, "-crl_check_all", "-CRLfile", str(pem_crls))

    before = crl_check()
    assert before.returncode == 0, before.stdout + before.stderr

    row = certificate_revoke(serial_number=agency_seal.serial_number, reason="keyCompromise")
    assert row.revoked_at is not None and row.revocation_reason == "keyCompromise"
    assert AuditEvent.objects.filter(action="signatures.certificate_revoked", object_id=str(row.pk)).exists()

    response = client.get("/pki/crl/issuing-ca.crl")
    assert response.status_code == 200 and response["Content-Type"] == "application/pkix-crl"
    crl_path.write_bytes(response.content)
    text = openssl("crl", "-inform", "DER", "-in", str(crl_path), "-noout", "-text")
    assert text.returncode == 0, text.stderr
    listed = re.findall(rb"Serial Number: ([0-9A-F]+)", text.stdout)
    assert [int(serial, 16) for serial in listed] == [agency_seal.certificate.serial_number]
    assert b"Key Compromise" in text.stdout
    signature = openssl(
        "crl", "-inform", "DER", "-in", str(crl_path), "-noout", "-CAfile", str(dev_pki.directory / "chain.pem")
    )
    assert b"verify OK" in signature.stdout + signature.stderr

    after = crl_check()
    assert after.returncode != 0
    assert b"certificate revoked" in after.stdout + after.stderr


def test_revocation_errors_are_clear_and_change_nothing(agency_seal):
    with pytest.raises(ValidationFailed):
        certificate_revoke(serial_number=agency_seal.serial_number, reason="because")
    with pytest.raises(NotFound):
        certificate_revoke(serial_number="abcdef0123", reason="keyCompromise")
    with pytest.raises(ValidationFailed):
        serial_normalise("not-hex")
    assert not Certificate.objects.filter(revoked_at__isnull=False).exists()
    certificate_revoke(serial_number=agency_seal.serial_number, reason="superseded")
    with pytest.raises(InvalidState):
        certificate_revoke(serial_number=agency_seal.serial_number, reason="keyCompromise")
    assert Certificate.objects.get(serial_number=agency_seal.serial_number).revocation_reason == "superseded"


def test_ca_certificates_are_served_as_der(dev_pki, client):
    for name, certified in (("root-ca", dev_pki.root), ("issuing-ca", dev_pki.issuing)):
        response = client.get(f"/pki/ca/{name}.crt")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pkix-cert"
        assert x509.load_der_x509_certificate(response.content) == certified.certificate
    assert client.get("/pki/ca/tsa.crt").status_code == 404
    assert client.get("/pki/crl/nothing.crl").status_code == 404


def test_endpoints_say_not_found_before_the_pki_exists(client, settings, tmp_path):
    settings.PKI_DIR = str(tmp_path / "empty")
    assert client.get("/pki/ca/root-ca.crt").status_code == 404
    assert client.get("/pki/crl/issuing-ca.crl").status_code == 404


def test_pki_command_init_is_idempotent_and_issues_for_the_directory(settings, tmp_path, monkeypatch):
    settings.PKI_DIR = str(tmp_path / "pki")
    organisation = OrganisationFactory(code="000.00.20.H49", name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh")
    OrganisationFactory(code="000.00.21.H49", name="Cơ quan đã giải thể", is_active=False)
    position = PositionFactory(organisation=organisation, title="Giám đốc", user__full_name="Lê Văn Cường")
    PositionFactory(organisation=organisation, title="")  # no job title: no personal certificate

    monkeypatch.delenv("MOTCUA_DEMO_SIGNING_PIN", raising=False)
    with pytest.raises(CommandError, match="PIN"):
        call_command("pki", "init", "--ca-key-size", "2048", stdout=StringIO())
    out = StringIO()
    call_command("pki", "init", "--ca-key-size", "2048", "--pin", "135790", stdout=out)
    assert "created" in out.getvalue()
    seals = Certificate.objects.filter(kind=Certificate.Kind.AGENCY_SEAL)
    assert [(row.organisation_code, row.subject_common_name) for row in seals] == [
        ("000.00.20.H49", "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh")
    ]
    personal = Certificate.objects.get(kind=Certificate.Kind.PERSONAL)
    assert personal.holder_id == position.user_id
    assert personal.subject_common_name == "Lê Văn Cường"
    subject = x509.load_pem_x509_certificate(personal.pem.encode()).subject
    assert subject.get_attributes_for_oid(NameOID.TITLE)[0].value == "Giám đốc"
    root_before = (tmp_path / "pki" / "root-ca.pem").read_bytes()
    count = Certificate.objects.count()
    assert count == 6  # root, issuing, TSA, OCSP, one seal, one personal
    keys = SigningKey.objects.select_related("certificate")
    assert sorted(key.certificate.kind for key in keys) == [Certificate.Kind.AGENCY_SEAL, Certificate.Kind.PERSONAL]
    assert signing_key_unlock(signing_key=keys.get(certificate=personal), pin="135790", actor=position.user)
    # One PIN for the whole run: one scrypt derivation (one salt), a nonce of its own for every key.
    derivations = [key.key_derivation for key in keys]
    assert len({item["salt"] for item in derivations}) == 1 and len({item["nonce"] for item in derivations}) == 2

    out = StringIO()
    monkeypatch.setenv("MOTCUA_DEMO_SIGNING_PIN", "135790")
    call_command("pki", "init", stdout=out)
    assert "already present" in out.getvalue() and "issued 0 agency seals and 0 personal" in out.getvalue()
    assert (tmp_path / "pki" / "root-ca.pem").read_bytes() == root_before
    assert Certificate.objects.count() == count

    call_command("pki", "revoke", personal.serial_number, "--reason", "affiliationChanged", stdout=StringIO())
    out = StringIO()
    call_command("pki", "list", stdout=out)
    listed = {row["serial_number"]: row for row in json.loads(out.getvalue())}
    assert listed[personal.serial_number]["revocation_reason"] == "affiliationChanged"
    assert listed[personal.serial_number]["revoked_at"]
    assert {row["kind"] for row in listed.values()} == set(Certificate.Kind.values)

    with pytest.raises(CommandError):
        call_command("pki", "revoke", personal.serial_number, "--reason", "keyCompromise", stdout=StringIO())

    call_command("pki", "init", "--force", "--ca-key-size", "2048", "--no-directory", stdout=StringIO())
    assert (tmp_path / "pki" / "root-ca.pem").read_bytes() != root_before
    assert Certificate.objects.count() == 4
    assert not SigningKey.objects.exists()


def test_long_vietnamese_names_are_cut_to_the_x520_bound_on_a_letter(dev_pki):
    name = "Trung tâm Phục vụ hành chính công và Kiểm soát thủ tục hành chính thành phố Huế"
    certified = certificate_issue(pki=dev_pki, kind=Certificate.Kind.AGENCY_SEAL, common_name=name)
    common_name = certified.certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert len(common_name.encode()) <= 64 < len(name.encode())
    assert name.startswith(common_name)
