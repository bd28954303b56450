"""Keys on a PKCS#11 token (SoftHSM2): generated on the token, certified by the dev PKI, registered, and used to
sign PDF and XML documents that pdfsig and xmlsec1 accept; the key never leaves the token."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pytest
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11 import Attribute, KeyType
from pkcs11.util.ec import encode_ec_public_key, encode_named_curve_parameters

from motcua.agencies.models import Role
from motcua.core.exceptions import InvalidState, PermissionDenied, ValidationFailed
from motcua.core.permissions import SYSTEM
from motcua.signatures.keys import (
    MAX_WRONG_PINS,
    pdf_sign_with,
    signing_key_change_pin,
    signing_key_register_pkcs11,
    signing_key_unlock,
    xml_sign_with,
)
from motcua.signatures.keys.tokens import Pkcs11EcPrivateKey, Pkcs11RsaPrivateKey
from motcua.signatures.models import Certificate, SigningKey
from motcua.signatures.pdf import StampText, pdf_verify
from motcua.signatures.reports import Status
from motcua.signatures.services import DevPki, certificate_issue, certificate_issue_for_public_key
from tests.factories import OrganisationFactory, PositionFactory
from tests.signatures.conftest import pdfsig, simple_pdf, xmlsec1_verify

pytestmark = pytest.mark.django_db

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
TOKEN_PIN = "112233"
SO_PIN = "99887766"
XML = b'<HoSo xmlns="urn:motcua:test"><MaHoSo>000.00.20.H49-261123-0001</MaHoSo></HoSo>'


@dataclass(frozen=True)
class Token:
    label: str
    rsa_public: rsa.RSAPublicKey
    ec_public: ec.EllipticCurvePublicKey


def _token_create(label: str, *, rsa_label: str | None = None, ec_label: str | None = None) -> Token:
    """Initialise a SoftHSM token and generate key pairs on it (the private keys never exist elsewhere)."""
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", TOKEN_PIN, "--so-pin", SO_PIN],
        check=True,
        capture_output=True,
        env=os.environ,
    )
    library = pkcs11.lib(MODULE)
    library.reinitialize()  # a token made by another process appears after C_Initialize
    token = library.get_token(token_label=label)
    rsa_public: rsa.RSAPublicKey | None = None
    ec_public: ec.EllipticCurvePublicKey | None = None
    with token.open(rw=True, user_pin=TOKEN_PIN) as session:
        if rsa_label:
            public, _private = session.generate_keypair(KeyType.RSA, 2048, label=rsa_label, store=True)
            rsa_public = rsa.RSAPublicNumbers(
                int.from_bytes(public[Attribute.PUBLIC_EXPONENT], "big"),
                int.from_bytes(public[Attribute.MODULUS], "big"),
            ).public_key()
        if ec_label:
            parameters = session.create_domain_parameters(
                KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
            )
            public, _private = parameters.generate_keypair(store=True, label=ec_label)
            loaded = serialization.load_der_public_key(encode_ec_public_key(public))
            assert isinstance(loaded, ec.EllipticCurvePublicKey)
            ec_public = loaded
    return Token(label=label, rsa_public=rsa_public, ec_public=ec_public)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def softhsm_directory(tmp_path_factory) -> Iterator[Path]:
    """SoftHSM2 configured (SOFTHSM2_CONF) to keep its tokens in a directory of this test session."""
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    configuration = directory / "softhsm2.conf"
    configuration.write_text(
        f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
    )
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(configuration)
    yield directory
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


@pytest.fixture(scope="session")
def token(softhsm_directory) -> Token:
    return _token_create("motcua-test", rsa_label="seal-rsa", ec_label="personal-ec")


def _pem(certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


def _organisation():
    return OrganisationFactory(code="000.00.20.H49", name="Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh")


def _seal_on_token(dev_pki: DevPki, token: Token, organisation) -> SigningKey:
    certificate = certificate_issue_for_public_key(
        pki=dev_pki,
        public_key=token.rsa_public,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
    )
    return signing_key_register_pkcs11(
        module=MODULE,
        token_label=token.label,
        key_label="seal-rsa",
        certificate_pem=_pem(certificate) + dev_pki.issuing.certificate_pem(),
        kind=Certificate.Kind.AGENCY_SEAL,
        organisation=organisation,
        actor=SYSTEM,
    )


def _personal_on_token(dev_pki: DevPki, token: Token, user, organisation, *, key_label: str = "personal-ec"):
    certificate = certificate_issue_for_public_key(
        pki=dev_pki,
        public_key=token.ec_public,
        kind=Certificate.Kind.PERSONAL,
        common_name=user.full_name,
        title="Giám đốc",
        organisation_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        holder=user,
    )
    return signing_key_register_pkcs11(
        module=MODULE,
        token_label=token.label,
        key_label=key_label,
        certificate_pem=_pem(certificate),
        kind=Certificate.Kind.PERSONAL,
        holder=user,
        organisation=organisation,
        actor=user,
    )


@pytest.mark.django_db(transaction=True)
def test_an_rsa_seal_on_a_token_signs_pdf_and_xml_that_pdfsig_and_xmlsec1_accept(token, pki_served, tmp_path):
    organisation = _organisation()
    key = _seal_on_token(pki_served, token, organisation)
    assert (key.storage, bytes(key.encrypted_key), key.key_derivation) == (SigningKey.Storage.PKCS11, b"", {})
    assert key.certificate.kind == Certificate.Kind.AGENCY_SEAL and not key.certificate.is_imported
    clerk = PositionFactory(organisation=organisation, role=Role.ONE_STOP_CLERK).user

    signer = signing_key_unlock(signing_key=key, pin=TOKEN_PIN, actor=clerk)
    assert isinstance(signer.private_key, Pkcs11RsaPrivateKey)
    assert isinstance(signer.private_key, rsa.RSAPrivateKey) and signer.private_key.key_size == 2048
    with pytest.raises(UnsupportedAlgorithm):
        signer.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    signed_pdf = pdf_sign_with(
        data=simple_pdf(), signer=signer, field_name="ChuKyCoQuan", stamp=StampText(signer_name=organisation.name)
    )
    report = pdf_verify(signed_pdf, trust_roots=[pki_served.root.certificate])
    assert report.signatures[0].status == Status.VALID, report
    assert report.signatures[0].timestamp_time is not None
    assert report.signatures[0].algorithm.startswith("sha256_rsa")
    output = pdfsig(tmp_path, signed_pdf, pki_served.root.certificate_pem())
    assert "Signature is Valid" in output and "Certificate is Trusted" in output, output

    signed_xml = xml_sign_with(data=XML, signer=signer, actor=clerk)
    accepted = xmlsec1_verify(tmp_path, signed_xml, pki_served.root.certificate_pem())
    assert accepted.returncode == 0, accepted.stderr
    assert xmlsec1_verify(tmp_path, signed_xml.replace(b"0001", b"0002"), pki_served.root.certificate_pem()).returncode


@pytest.mark.django_db(transaction=True)
def test_an_ec_personal_key_on_a_token_signs_pdf_and_xml(token, pki_served, tmp_path):
    organisation = _organisation()
    leader = PositionFactory(organisation=organisation, role=Role.AGENCY_LEADER, title="Giám đốc").user
    key = _personal_on_token(pki_served, token, leader, organisation)

    with pytest.raises(PermissionDenied):
        signing_key_unlock(signing_key=key, pin=TOKEN_PIN, actor=PositionFactory(organisation=organisation).user)
    signer = signing_key_unlock(signing_key=key, pin=TOKEN_PIN, actor=leader)
    assert isinstance(signer.private_key, Pkcs11EcPrivateKey)
    assert isinstance(signer.private_key, ec.EllipticCurvePrivateKey) and signer.private_key.curve.name == "secp256r1"

    signed_pdf = pdf_sign_with(
        data=simple_pdf(),
        signer=signer,
        field_name="ChuKyLanhDao",
        stamp=StampText(signer_name=leader.full_name, position="Giám đốc", agency=organisation.name),
        actor=leader,
    )
    report = pdf_verify(signed_pdf, trust_roots=[pki_served.root.certificate])
    assert report.signatures[0].status == Status.VALID, report
    assert report.signatures[0].algorithm.startswith("sha256_ecdsa")
    output = pdfsig(tmp_path, signed_pdf, pki_served.root.certificate_pem())
    assert "Signature is Valid" in output and "Certificate is Trusted" in output, output

    signed_xml = xml_sign_with(data=XML, signer=signer, actor=leader)
    assert b"ecdsa-sha256" in signed_xml
    accepted = xmlsec1_verify(tmp_path, signed_xml, pki_served.root.certificate_pem())
    assert accepted.returncode == 0, accepted.stderr


def test_wrong_pins_on_a_token_are_counted_like_any_other(softhsm_directory, dev_pki):
    own_token = _token_create("motcua-wrong-pin", ec_label="personal-ec")
    organisation = _organisation()
    user = PositionFactory(organisation=organisation).user
    key = _personal_on_token(dev_pki, own_token, user, organisation)

    with pytest.raises(ValidationFailed) as wrong:
        signing_key_unlock(signing_key=key, pin="000000", actor=user)
    assert wrong.value.code == "wrong_pin" and wrong.value.details["remaining_attempts"] == MAX_WRONG_PINS - 1
    key.refresh_from_db()
    assert key.failed_attempts == 1
    assert signing_key_unlock(signing_key=key, pin=TOKEN_PIN, actor=user) is not None
    key.refresh_from_db()
    assert key.failed_attempts == 0

    for attempt in range(MAX_WRONG_PINS):
        with pytest.raises((ValidationFailed, InvalidState)):
            signing_key_unlock(signing_key=key, pin=f"00000{attempt}", actor=user)
    key.refresh_from_db()
    assert key.locked_at is not None
    with pytest.raises(InvalidState) as locked:
        signing_key_unlock(signing_key=key, pin=TOKEN_PIN, actor=user)
    assert locked.value.code == "signing_key_locked"


def test_the_pin_of_a_token_is_changed_on_the_token(softhsm_directory, dev_pki):
    own_token = _token_create("motcua-pin-change", ec_label="personal-ec")
    organisation = _organisation()
    user = PositionFactory(organisation=organisation).user
    key = _personal_on_token(dev_pki, own_token, user, organisation)

    signing_key_change_pin(signing_key=key, old_pin=TOKEN_PIN, new_pin="55667788", actor=user)
    with pytest.raises(ValidationFailed):
        signing_key_unlock(signing_key=key, pin=TOKEN_PIN, actor=user)
    assert signing_key_unlock(signing_key=key, pin="55667788", actor=user) is not None
    # The token itself has the new PIN: logging in directly with it works.
    with pkcs11.lib(MODULE).get_token(token_label="motcua-pin-change").open(user_pin="55667788") as session:
        assert session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, label="personal-ec") is not None


def test_registration_refuses_a_certificate_for_another_key_or_a_missing_token(token, dev_pki):
    organisation = _organisation()
    software = certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
    )
    cases = [
        ({"key_label": "seal-rsa"}, "key_certificate_mismatch"),  # the token's key is not this certificate's
        ({"key_label": "seal-rsa", "token_label": "no-such-token"}, "pkcs11_token_missing"),
        ({"key_label": "seal-rsa", "module": "/usr/lib/no-such-module.so"}, "pkcs11_module_missing"),
    ]
    for overrides, code in cases:
        arguments = {"module": MODULE, "token_label": token.label, **overrides}
        with pytest.raises(ValidationFailed) as refused:
            signing_key_register_pkcs11(
                certificate_pem=software.certificate_pem(),
                kind=Certificate.Kind.AGENCY_SEAL,
                organisation=organisation,
                actor=SYSTEM,
                **arguments,
            )
        assert refused.value.code == code, overrides
    with pytest.raises(PermissionDenied):
        _seal_on_token_as(dev_pki, token, organisation, PositionFactory(organisation=organisation).user)
    assert not SigningKey.objects.exists()


def _seal_on_token_as(dev_pki: DevPki, token: Token, organisation, actor) -> SigningKey:
    certificate = certificate_issue_for_public_key(
        pki=dev_pki,
        public_key=token.rsa_public,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
    )
    return signing_key_register_pkcs11(
        module=MODULE,
        token_label=token.label,
        key_label="seal-rsa",
        certificate_pem=_pem(certificate),
        kind=Certificate.Kind.AGENCY_SEAL,
        organisation=organisation,
        actor=actor,
    )


def test_a_key_label_that_names_the_wrong_key_is_found_out_at_unlock(token, dev_pki):
    """Registered under the label of another key on the token (its public half hidden, say), the key is refused
    when the test signature does not verify with the certificate."""
    organisation = _organisation()
    user = PositionFactory(organisation=organisation).user
    certificate = certificate_issue_for_public_key(
        pki=dev_pki,
        public_key=token.ec_public,
        kind=Certificate.Kind.PERSONAL,
        common_name=user.full_name,
        holder=user,
    )
    key = SigningKey.objects.create(
        certificate=Certificate.objects.get(serial_number=format(certificate.serial_number, "x")),
        storage=SigningKey.Storage.PKCS11,
        pkcs11_module=MODULE,
        pkcs11_token_label=token.label,
        pkcs11_key_label="seal-rsa",  # an RSA key, not the certificate's EC key
    )
    with pytest.raises(InvalidState) as refused:
        signing_key_unlock(signing_key=key, pin=TOKEN_PIN, actor=user)
    assert refused.value.code == "pkcs11_key_mismatch"
    key.refresh_from_db()
    assert key.failed_attempts == 0
