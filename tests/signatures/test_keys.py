"""Signing keys: encrypted at rest under a PIN, wrong PINs counted and locking, who may unlock, imports,
and documents signed with stored keys, checked by our verifier and by pdfsig and xmlsec1."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from django.db import transaction
from django.utils import timezone

from motcua.agencies.models import Organisation, Role
from motcua.core.audit import audit_chain_verify, audit_record
from motcua.core.exceptions import Conflict, InvalidState, NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.signatures.keys import (
    MAX_WRONG_PINS,
    KeySigner,
    pdf_sign_with,
    pin_validate,
    signing_key_change_pin,
    signing_key_find,
    signing_key_import,
    signing_key_unblock,
    signing_key_unlock,
    xml_sign_with,
)
from motcua.signatures.models import Certificate, SigningKey
from motcua.signatures.pdf import StampText, pdf_verify
from motcua.signatures.reports import Status
from motcua.signatures.services import (
    DevPki,
    certificate_fingerprint,
    certificate_issue,
    certificate_revoke,
    pki_init,
)
from motcua.signatures.tsa import tsa_respond
from tests.factories import OrganisationFactory, PositionFactory
from tests.signatures.certificates import NOW, SIGNING, Identity, issue, name, rsa_key
from tests.signatures.conftest import SIGNING_PIN, pdfsig, simple_pdf, xmlsec1_verify

pytestmark = pytest.mark.django_db

WRONG_PINS = ["000000", "111111", "222222", "333333", "444444", "555555"]
EDXML = (
    '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><edXMLEnvelope><From>000.00.20.H49</From>'
    "</edXMLEnvelope><edXMLBody>Văn bản gửi qua trục liên thông</edXMLBody></edXML>"
).encode()


# --- helpers -------------------------------------------------------------------------------------------------


def _organisation(code: str = "000.00.20.H49", name_: str = "Sở Tư pháp tỉnh Quảng Ninh") -> Organisation:
    return Organisation.objects.filter(code=code).first() or OrganisationFactory(code=code, name=name_)


def _official(organisation: Organisation, role: str = Role.SPECIALIST, title: str = "Chuyên viên"):
    return PositionFactory(organisation=organisation, role=role, title=title).user


def _personal_key(dev_pki: DevPki, user, organisation=None, *, key_type: str = "ec", pin: str = SIGNING_PIN):
    certified = certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.PERSONAL,
        common_name=user.full_name,
        title="Chuyên viên",
        organisation_name=organisation.name if organisation else "",
        organisation_code=organisation.code if organisation else "",
        organisation=organisation,
        holder=user,
        key_type=key_type,
        pin=pin,
    )
    return SigningKey.objects.get(certificate__serial_number=certified.serial_number), certified


def _seal_key(dev_pki: DevPki, organisation: Organisation, *, pin: str = SIGNING_PIN):
    certified = certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        pin=pin,
    )
    return SigningKey.objects.get(certificate__serial_number=certified.serial_number), certified


def _wait_for_wrong_pin_records() -> None:
    """Wrong PINs counted from inside a caller's transaction are written by a helper thread; wait for it."""
    for thread in threading.enumerate():
        if thread.name.startswith("motcua-wrong-pin"):
            thread.join(timeout=60)


def _audit_text() -> str:
    return json.dumps([[event.before, event.after] for event in AuditEvent.objects.all()], ensure_ascii=False)


# --- encryption at rest --------------------------------------------------------------------------------------


def test_a_software_key_is_stored_encrypted_and_opens_with_its_pin(dev_pki):
    organisation = _organisation()
    user = _official(organisation)
    key, certified = _personal_key(dev_pki, user, organisation)

    assert key.storage == SigningKey.Storage.SOFTWARE and key.failed_attempts == 0
    derivation = key.key_derivation
    assert (derivation["kdf"], derivation["n"], derivation["r"], derivation["p"]) == ("scrypt", 2**15, 8, 1)
    assert derivation["cipher"] == "aes-256-gcm" and derivation["pepper"] == "hkdf-sha256(SECRET_KEY)"
    assert len(base64.b64decode(derivation["salt"])) == 16 and len(base64.b64decode(derivation["nonce"])) == 12
    assert SIGNING_PIN not in json.dumps(derivation)

    stored = bytes(key.encrypted_key)
    private_key = certified.private_key
    pkcs8 = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    secret_scalar = private_key.private_numbers().private_value.to_bytes(32, "big")
    assert pkcs8 not in stored and secret_scalar not in stored and b"PRIVATE KEY" not in stored
    assert len(stored) == len(pkcs8) + 16  # AES-GCM: the same length plus the tag
    assert not (dev_pki.directory / "issued").exists()  # nothing unencrypted on disk

    signer = signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user)
    assert isinstance(signer, KeySigner)
    assert signer.private_key.private_numbers() == private_key.private_numbers()
    assert signer.certificate == certified.certificate
    assert signer.chain == [dev_pki.issuing.certificate, dev_pki.root.certificate]
    assert AuditEvent.objects.filter(action="signatures.signing_key_unlocked", object_id=str(key.pk)).count() == 1
    assert SIGNING_PIN not in _audit_text()


def test_the_same_key_under_the_same_pin_gives_another_ciphertext_and_a_copied_ciphertext_does_not_open(dev_pki):
    organisation = _organisation()
    first, _certified = _personal_key(dev_pki, _official(organisation), organisation)
    second, _other = _personal_key(dev_pki, _official(organisation), organisation)
    assert first.key_derivation["salt"] != second.key_derivation["salt"]

    # The ciphertext is bound to its certificate: moved onto another key row, the right PIN does not open it.
    SigningKey.objects.filter(pk=second.pk).update(
        encrypted_key=bytes(first.encrypted_key), key_derivation=first.key_derivation
    )
    second.refresh_from_db()
    with pytest.raises(ValidationFailed) as refused:
        signing_key_unlock(signing_key=second, pin=SIGNING_PIN, actor=SYSTEM)
    assert refused.value.code == "wrong_pin"


@pytest.mark.parametrize("pin", ["123456", "Ab#9xY12zz!Q", "000000000000"])
def test_pins_of_6_to_12_printable_characters_are_accepted(pin):
    pin_validate(pin=pin)


@pytest.mark.parametrize("pin", ["", "12345", "1234567890123", "123 456", "12345é", "123456\n"])
def test_other_pins_are_refused_and_nothing_is_issued(dev_pki, pin):
    with pytest.raises(ValidationFailed) as refused:
        pin_validate(pin=pin)
    assert refused.value.code == "pin_invalid" and "6" in str(refused.value.message)
    with pytest.raises(ValidationFailed):
        certificate_issue(pki=dev_pki, kind=Certificate.Kind.PERSONAL, common_name="Lê Văn Tám", pin=pin)
    assert not Certificate.objects.filter(kind=Certificate.Kind.PERSONAL).exists()
    assert not SigningKey.objects.exists()


def test_another_secret_key_is_not_taken_for_a_wrong_pin_and_fallbacks_still_open(dev_pki, settings):
    key, _certified = _personal_key(dev_pki, _official(_organisation()))
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY = "a-completely-different-secret-key-for-this-deployment-0123456789"
    with pytest.raises(InvalidState) as refused:
        signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=SYSTEM)
    assert refused.value.code == "signing_key_secret_changed"
    key.refresh_from_db()
    assert key.failed_attempts == 0

    settings.SECRET_KEY_FALLBACKS = [old_secret]
    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=SYSTEM).private_key is not None


# --- wrong PINs ----------------------------------------------------------------------------------------------


def test_wrong_pins_are_counted_and_the_fifth_in_a_row_locks_the_key(dev_pki):
    user = _official(_organisation())
    key, _certified = _personal_key(dev_pki, user)

    for attempt in range(1, MAX_WRONG_PINS):
        with pytest.raises(ValidationFailed) as wrong:
            signing_key_unlock(signing_key=key, pin=WRONG_PINS[attempt], actor=user)
        assert wrong.value.code == "wrong_pin"
        assert wrong.value.details["remaining_attempts"] == MAX_WRONG_PINS - attempt
        key.refresh_from_db()
        assert key.failed_attempts == attempt and key.locked_at is None

    with pytest.raises(InvalidState) as locked:
        signing_key_unlock(signing_key=key, pin=WRONG_PINS[0], actor=user)
    assert locked.value.code == "signing_key_locked"
    key.refresh_from_db()
    assert key.failed_attempts == MAX_WRONG_PINS and key.locked_at is not None

    # Locked means locked: the right PIN does not open it either, and is not even tried.
    with pytest.raises(InvalidState) as still_locked:
        signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user)
    assert still_locked.value.code == "signing_key_locked"

    events = AuditEvent.objects.filter(object_id=str(key.pk))
    assert events.filter(action="signatures.signing_key_wrong_pin").count() == MAX_WRONG_PINS
    assert events.filter(action="signatures.signing_key_locked").count() == 1
    assert not events.filter(action="signatures.signing_key_unlocked").exists()
    audit = _audit_text()
    assert not any(pin in audit for pin in [SIGNING_PIN, *WRONG_PINS])
    assert audit_chain_verify().intact


def test_a_right_pin_resets_the_count(dev_pki):
    user = _official(_organisation())
    key, _certified = _personal_key(dev_pki, user)
    for pin in WRONG_PINS[:3]:
        with pytest.raises(ValidationFailed):
            signing_key_unlock(signing_key=key, pin=pin, actor=user)
    signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user)
    key.refresh_from_db()
    assert key.failed_attempts == 0

    for pin in WRONG_PINS[: MAX_WRONG_PINS - 1]:
        with pytest.raises(ValidationFailed):
            signing_key_unlock(signing_key=key, pin=pin, actor=user)
    key.refresh_from_db()
    assert key.failed_attempts == MAX_WRONG_PINS - 1 and key.locked_at is None
    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user).private_key is not None


@pytest.mark.django_db(transaction=True)
def test_wrong_pins_stay_counted_when_the_callers_transaction_rolls_back(dev_pki):
    organisation = _organisation()
    user = _official(organisation)
    key, _certified = _personal_key(dev_pki, user, organisation)

    for attempt in range(1, MAX_WRONG_PINS + 1):
        expected = InvalidState if attempt == MAX_WRONG_PINS else ValidationFailed
        # A service that writes and audits, then signs, in one transaction (approve and sign, say): the audit
        # chain's head is locked by the caller until it rolls back.
        with pytest.raises(expected), transaction.atomic():
            Organisation.objects.filter(pk=organisation.pk).update(name=f"Đổi tên lần {attempt}")
            audit_record(action="tests.caller_step", instance=organisation, actor=user)
            signing_key_unlock(signing_key=key, pin=WRONG_PINS[attempt], actor=user)
        _wait_for_wrong_pin_records()
        key.refresh_from_db()
        organisation.refresh_from_db()
        assert key.failed_attempts == attempt
        assert organisation.name == "Sở Tư pháp tỉnh Quảng Ninh"  # the caller's own change was rolled back

    assert key.locked_at is not None
    with pytest.raises(InvalidState) as locked:
        signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user)
    assert locked.value.code == "signing_key_locked"
    events = AuditEvent.objects.filter(object_id=str(key.pk))
    assert events.filter(action="signatures.signing_key_wrong_pin").count() == MAX_WRONG_PINS
    assert events.filter(action="signatures.signing_key_locked").count() == 1
    assert not AuditEvent.objects.filter(action="tests.caller_step").exists()
    assert audit_chain_verify().intact


def test_changing_the_pin(dev_pki):
    user = _official(_organisation())
    key, certified = _personal_key(dev_pki, user)
    old_salt = key.key_derivation["salt"]

    with pytest.raises(ValidationFailed) as wrong:
        signing_key_change_pin(signing_key=key, old_pin="999999", new_pin="13572468", actor=user)
    assert wrong.value.code == "wrong_pin"
    with pytest.raises(ValidationFailed) as invalid:
        signing_key_change_pin(signing_key=key, old_pin=SIGNING_PIN, new_pin="123", actor=user)
    assert invalid.value.code == "pin_invalid" and "new_pin" in invalid.value.details
    with pytest.raises(ValidationFailed) as same:
        signing_key_change_pin(signing_key=key, old_pin=SIGNING_PIN, new_pin=SIGNING_PIN, actor=user)
    assert same.value.code == "pin_unchanged"
    key.refresh_from_db()
    assert key.failed_attempts == 1  # only the wrong old PIN counted
    with pytest.raises(PermissionDenied):
        signing_key_change_pin(signing_key=key, old_pin=SIGNING_PIN, new_pin="13572468", actor=_official(_other()))

    changed = signing_key_change_pin(signing_key=key, old_pin=SIGNING_PIN, new_pin="13572468", actor=user)
    assert changed.key_derivation["salt"] != old_salt and changed.failed_attempts == 0
    with pytest.raises(ValidationFailed):
        signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user)
    signer = signing_key_unlock(signing_key=key, pin="13572468", actor=user)
    assert signer.private_key.private_numbers() == certified.private_key.private_numbers()
    assert AuditEvent.objects.filter(action="signatures.signing_key_pin_changed", object_id=str(key.pk)).exists()
    assert "13572468" not in _audit_text()


def _other() -> Organisation:
    return _organisation("000.00.21.H49", "Sở Y tế tỉnh Quảng Ninh")


def test_administrators_unblock_a_locked_key_and_the_pin_stays(dev_pki):
    organisation = _organisation()
    user = _official(organisation)
    key, _certified = _personal_key(dev_pki, user, organisation)
    with pytest.raises(InvalidState):
        signing_key_unblock(signing_key=key, actor=SYSTEM)  # not locked
    for pin in WRONG_PINS[:MAX_WRONG_PINS]:
        with pytest.raises((ValidationFailed, InvalidState)):
            signing_key_unlock(signing_key=key, pin=pin, actor=user)

    for stranger in (
        user,  # the holder cannot unblock their own key
        _official(organisation, Role.SPECIALIST),
        _official(_other(), Role.AGENCY_ADMIN),
    ):
        with pytest.raises(PermissionDenied):
            signing_key_unblock(signing_key=key, actor=stranger)
    key.refresh_from_db()
    assert key.locked_at is not None

    unblocked = signing_key_unblock(signing_key=key, actor=_official(organisation, Role.AGENCY_ADMIN))
    assert unblocked.locked_at is None and unblocked.failed_attempts == 0
    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user).private_key is not None
    assert AuditEvent.objects.filter(action="signatures.signing_key_unblocked", object_id=str(key.pk)).exists()

    for pin in WRONG_PINS[:MAX_WRONG_PINS]:
        with pytest.raises((ValidationFailed, InvalidState)):
            signing_key_unlock(signing_key=key, pin=pin, actor=user)
    assert signing_key_unblock(signing_key=key, actor=_official(_other(), Role.PLATFORM_ADMIN)).locked_at is None


# --- who may unlock ------------------------------------------------------------------------------------------


def test_only_the_holder_unlocks_a_personal_key(dev_pki):
    organisation = _organisation()
    holder = _official(organisation)
    key, _certified = _personal_key(dev_pki, holder, organisation)
    for stranger in (_official(organisation, Role.AGENCY_LEADER), _official(organisation, Role.AGENCY_ADMIN)):
        with pytest.raises(PermissionDenied):
            signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=stranger)
        with pytest.raises(PermissionDenied):
            signing_key_unlock(signing_key=key, pin=WRONG_PINS[0], actor=stranger)
    with pytest.raises(NotAuthenticated):
        signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=None)
    key.refresh_from_db()
    assert key.failed_attempts == 0  # refusals change nothing
    assert (
        not AuditEvent.objects.filter(object_id=str(key.pk), action__startswith="signatures.signing_key_")
        .exclude(action="signatures.signing_key_created")
        .exists()
    )

    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=holder).signing_key == key
    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=SYSTEM).signing_key == key


def test_a_seal_is_used_by_its_organisations_leaders_and_clerks_only(dev_pki):
    organisation, other = _organisation(), _other()
    key, _certified = _seal_key(dev_pki, organisation)
    for role in (Role.AGENCY_LEADER, Role.DOCUMENT_CLERK, Role.ONE_STOP_CLERK):
        assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=_official(organisation, role)) is not None
    for stranger in (
        _official(organisation, Role.SPECIALIST),
        _official(organisation, Role.AUDITOR),
        _official(other, Role.ONE_STOP_CLERK),  # a clerk of another agency
        _official(other, Role.AGENCY_LEADER),
    ):
        with pytest.raises(PermissionDenied):
            signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=stranger)
    key.refresh_from_db()
    assert key.failed_attempts == 0


def test_a_revoked_expired_or_deactivated_key_does_not_unlock_and_is_not_found(dev_pki):
    user = _official(_organisation())
    key, certified = _personal_key(dev_pki, user)
    assert signing_key_find(holder=user, kind=Certificate.Kind.PERSONAL) == key

    certificate_revoke(serial_number=certified.serial_number, reason="keyCompromise")
    with pytest.raises(InvalidState) as revoked:
        signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user)
    assert revoked.value.code == "certificate_revoked"
    assert signing_key_find(holder=user, kind=Certificate.Kind.PERSONAL) is None

    expired_key, expired = _personal_key(dev_pki, user)
    Certificate.objects.filter(serial_number=expired.serial_number).update(not_after=timezone.now() - dt.timedelta(1))
    with pytest.raises(InvalidState) as too_late:
        signing_key_unlock(signing_key=expired_key, pin=SIGNING_PIN, actor=user)
    assert too_late.value.code == "certificate_expired"
    assert signing_key_find(holder=user, kind=Certificate.Kind.PERSONAL) is None

    inactive_key, _inactive = _personal_key(dev_pki, user)
    SigningKey.objects.filter(pk=inactive_key.pk).update(is_active=False)
    with pytest.raises(InvalidState) as inactive:
        signing_key_unlock(signing_key=inactive_key, pin=SIGNING_PIN, actor=user)
    assert inactive.value.code == "signing_key_inactive"
    assert signing_key_find(holder=user, kind=Certificate.Kind.PERSONAL) is None


def test_find_gives_the_newest_valid_key_of_a_holder_or_an_organisation(dev_pki):
    organisation = _organisation()
    user = _official(organisation)
    older, _older = _personal_key(dev_pki, user, organisation)
    Certificate.objects.filter(pk=older.certificate_id).update(not_before=timezone.now() - dt.timedelta(days=30))
    newer, newer_certified = _personal_key(dev_pki, user, organisation)
    seal, _seal = _seal_key(dev_pki, organisation)

    assert signing_key_find(holder=user, kind=Certificate.Kind.PERSONAL) == newer
    assert signing_key_find(organisation_code=organisation.code, kind=Certificate.Kind.AGENCY_SEAL) == seal
    assert signing_key_find(organisation_code=organisation.code, kind=Certificate.Kind.PERSONAL) == newer
    assert signing_key_find(holder=_official(organisation), kind=Certificate.Kind.PERSONAL) is None
    assert signing_key_find(organisation_code="000.00.99.H99", kind=Certificate.Kind.AGENCY_SEAL) is None
    assert signing_key_find(kind=Certificate.Kind.PERSONAL) is None
    certificate_revoke(serial_number=newer_certified.serial_number, reason="superseded")
    assert signing_key_find(holder=user, kind=Certificate.Kind.PERSONAL) == older


# --- importing keys from other CAs ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def foreign_ca() -> tuple[Identity, Identity]:
    """Another CA's root and issuing CA (a licensed CA, say), made in memory."""
    root = issue(name("Foreign Root CA", "Foreign CA"), None, ca=True, not_after=NOW + dt.timedelta(days=3650))
    return root, issue(name("Foreign Issuing CA", "Foreign CA"), root, ca=True)


def _p12(identity: Identity, cas: list[Identity], password: bytes | None = b"mat-khau-p12") -> bytes:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(
        b"motcua", identity.key, identity.certificate, [ca.certificate for ca in cas], encryption
    )


def _pem(*certificates: x509.Certificate, key=None, password: bytes | None = None) -> bytes:
    data = b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in certificates)
    if key is not None:
        encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
        data += key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
    return data


def test_import_a_pkcs12_file_with_its_chain_and_sign_with_it(dev_pki, foreign_ca, tmp_path):
    root, issuing = foreign_ca
    organisation = _organisation()
    user = _official(organisation)
    signer_identity = issue(
        name("Trần Thị Bình", "Sở Tư pháp tỉnh Quảng Ninh"), issuing, key=rsa_key(), key_usage=SIGNING
    )

    key = signing_key_import(
        data=_p12(signer_identity, [issuing, root]),
        password="mat-khau-p12",
        pin="864209",
        kind=Certificate.Kind.PERSONAL,
        holder=user,
        organisation=organisation,
        actor=user,  # the holder imports their own certificate
    )

    row = key.certificate
    assert key.storage == SigningKey.Storage.SOFTWARE and key.label == "Trần Thị Bình"
    assert (row.kind, row.is_imported, row.holder, row.organisation_code) == (
        Certificate.Kind.PERSONAL,
        True,
        user,
        organisation.code,
    )
    assert row.issuer_sha256_fingerprint == certificate_fingerprint(issuing.certificate)
    issuing_row = Certificate.objects.get(sha256_fingerprint=certificate_fingerprint(issuing.certificate))
    root_row = Certificate.objects.get(sha256_fingerprint=certificate_fingerprint(root.certificate))
    assert (issuing_row.kind, issuing_row.is_imported) == (Certificate.Kind.ISSUING_CA, True)
    assert (root_row.kind, root_row.is_imported) == (Certificate.Kind.ROOT_CA, True)
    assert AuditEvent.objects.filter(action="signatures.signing_key_created", object_id=str(key.pk)).exists()

    signer = signing_key_unlock(signing_key=key, pin="864209", actor=user)
    assert signer.chain == [issuing.certificate, root.certificate]
    signed_xml = xml_sign_with(data=EDXML, signer=signer, actor=user)
    accepted = xmlsec1_verify(tmp_path, signed_xml, root.pem)
    assert accepted.returncode == 0, accepted.stderr
    refused = xmlsec1_verify(tmp_path, signed_xml, dev_pki.root.certificate_pem())  # not the signer's root
    assert refused.returncode != 0

    signed_pdf = pdf_sign_with(data=simple_pdf(), signer=signer, field_name="ChuKy", actor=user)
    report = pdf_verify(signed_pdf, trust_roots=[root.certificate, dev_pki.root.certificate])
    assert [signature.status for signature in report.signatures] == [Status.VALID], report
    assert report.signatures[0].timestamp_time is not None


def test_import_a_pem_file_with_an_encrypted_key_as_an_agency_seal(dev_pki, foreign_ca):
    root, issuing = foreign_ca
    organisation = _organisation()
    seal = issue(name("Sở Tư pháp tỉnh Quảng Ninh", "Sở Tư pháp tỉnh Quảng Ninh"), issuing, key_usage=SIGNING)
    admin = _official(organisation, Role.AGENCY_ADMIN)

    key = signing_key_import(
        data=_pem(seal.certificate, issuing.certificate, root.certificate, key=seal.key, password=b"pem-pass"),
        password="pem-pass",
        pin="Seal-2026",
        kind=Certificate.Kind.AGENCY_SEAL,
        organisation=organisation,
        label="Dấu Sở Tư pháp",
        actor=admin,
    )
    assert key.label == "Dấu Sở Tư pháp"
    assert (key.certificate.kind, key.certificate.organisation_code) == (
        Certificate.Kind.AGENCY_SEAL,
        organisation.code,
    )
    assert signing_key_find(organisation_code=organisation.code, kind=Certificate.Kind.AGENCY_SEAL) == key
    clerk = _official(organisation, Role.DOCUMENT_CLERK)
    signer = signing_key_unlock(signing_key=key, pin="Seal-2026", actor=clerk)
    assert isinstance(signer.private_key, ec.EllipticCurvePrivateKey)


def _refusal_cases(root: Identity, issuing: Identity) -> dict[str, tuple[bytes, str | None, str]]:
    good = issue(name("Nguyễn Văn Đúng"), issuing, key_usage=SIGNING)
    other = issue(name("Người Khác"), issuing, key_usage=SIGNING)
    expired = issue(
        name("Phạm Hết Hạn"),
        issuing,
        key_usage=SIGNING,
        not_before=NOW - dt.timedelta(days=400),
        not_after=NOW - dt.timedelta(days=1),
    )
    early = issue(
        name("Vũ Chưa Đến"),
        issuing,
        key_usage=SIGNING,
        not_before=NOW + dt.timedelta(days=10),
        not_after=NOW + dt.timedelta(days=400),
    )
    encryption_only = issue(name("Đỗ Mã Hoá"), issuing, key_usage={"key_encipherment"})
    chain = [issuing, root]
    return {
        "garbage": (b"\x00\x01 this is not a key file \xff" * 10, None, "key_file_unreadable"),
        "truncated PKCS#12": (_p12(good, chain)[:200], "mat-khau-p12", "key_file_unreadable"),
        "wrong password": (_p12(good, chain), "sai-mat-khau", "key_file_wrong_password"),
        "no password": (_p12(good, chain), None, "key_file_password_required"),
        "wrong PEM password": (
            _pem(good.certificate, key=good.key, password=b"dung"),
            "sai",
            "key_file_wrong_password",
        ),
        "key of another certificate": (
            _pem(good.certificate, *[c.certificate for c in chain], key=other.key),
            None,
            "key_certificate_mismatch",
        ),
        "no key": (_pem(good.certificate, issuing.certificate), None, "key_missing"),
        "no key in PKCS#12": (
            pkcs12.serialize_key_and_certificates(
                b"x", None, good.certificate, None, serialization.BestAvailableEncryption(b"p")
            ),
            "p",
            "key_missing",
        ),
        "expired": (_p12(expired, chain), "mat-khau-p12", "certificate_expired"),
        "not yet valid": (_p12(early, chain), "mat-khau-p12", "certificate_not_yet_valid"),
        "encryption only": (_p12(encryption_only, chain), "mat-khau-p12", "certificate_wrong_key_usage"),
        "no chain": (_p12(good, []), "mat-khau-p12", "certificate_chain_incomplete"),
        "chain without root": (_p12(good, [issuing]), "mat-khau-p12", "certificate_chain_incomplete"),
    }


REFUSALS = [
    "garbage",
    "truncated PKCS#12",
    "wrong password",
    "no password",
    "wrong PEM password",
    "key of another certificate",
    "no key",
    "no key in PKCS#12",
    "expired",
    "not yet valid",
    "encryption only",
    "no chain",
    "chain without root",
]


@pytest.mark.parametrize("case", REFUSALS)
def test_imports_that_cannot_sign_are_refused_with_a_precise_reason_and_change_nothing(dev_pki, foreign_ca, case):
    data, password, code = _refusal_cases(*foreign_ca)[case]
    user = _official(_organisation())
    certificates_before = Certificate.objects.count()

    with pytest.raises(ValidationFailed) as refused:
        signing_key_import(
            data=data, password=password, pin="864209", kind=Certificate.Kind.PERSONAL, holder=user, actor=SYSTEM
        )

    assert refused.value.code == code
    assert str(refused.value.message) and refused.value.details
    assert Certificate.objects.count() == certificates_before
    assert not SigningKey.objects.exists()


def test_only_the_holder_or_an_administrator_imports(dev_pki, foreign_ca):
    root, issuing = foreign_ca
    organisation = _organisation()
    holder = _official(organisation)
    identity = issue(name("Lý Văn Nhập"), issuing, key_usage=SIGNING)
    for stranger in (_official(organisation), _official(_other(), Role.AGENCY_ADMIN)):
        with pytest.raises(PermissionDenied):
            signing_key_import(
                data=_p12(identity, [issuing, root]),
                password="mat-khau-p12",
                pin="864209",
                kind=Certificate.Kind.PERSONAL,
                holder=holder,
                organisation=organisation,
                actor=stranger,
            )
    seal = issue(name("Sở Tư pháp"), issuing, key_usage=SIGNING)
    with pytest.raises(PermissionDenied):
        signing_key_import(
            data=_p12(seal, [issuing, root]),
            password="mat-khau-p12",
            pin="864209",
            kind=Certificate.Kind.AGENCY_SEAL,
            organisation=organisation,
            actor=_official(organisation, Role.DOCUMENT_CLERK),
        )
    assert not SigningKey.objects.exists()
    assert (
        signing_key_import(
            data=_p12(identity, [issuing, root]),
            password="mat-khau-p12",
            pin="864209",
            kind=Certificate.Kind.PERSONAL,
            holder=holder,
            organisation=organisation,
            actor=_official(organisation, Role.AGENCY_ADMIN),
        ).certificate.holder
        == holder
    )


def test_the_same_certificate_is_not_imported_twice_nor_for_someone_else(dev_pki, foreign_ca):
    root, issuing = foreign_ca
    organisation = _organisation()
    holder, other = _official(organisation), _official(organisation)
    data = _p12(issue(name("Lý Văn Hai Lần"), issuing, key_usage=SIGNING), [issuing, root])
    arguments = {"data": data, "password": "mat-khau-p12", "pin": "864209", "kind": Certificate.Kind.PERSONAL}
    first = signing_key_import(**arguments, holder=holder, actor=SYSTEM)

    with pytest.raises(ValidationFailed) as someone_else:
        signing_key_import(**arguments, holder=other, actor=SYSTEM)
    assert someone_else.value.code == "certificate_other_owner"
    with pytest.raises(Conflict) as again:
        signing_key_import(**arguments, holder=holder, actor=SYSTEM)
    assert again.value.code == "signing_key_exists"
    assert list(SigningKey.objects.all()) == [first]


def test_recreating_the_dev_pki_keeps_keys_imported_from_other_cas(dev_pki, foreign_ca, tmp_path):
    root, issuing = foreign_ca
    user = _official(_organisation())
    imported = signing_key_import(
        data=_p12(issue(name("Đặng Thị Giữ"), issuing, key_usage=SIGNING), [issuing, root]),
        password="mat-khau-p12",
        pin="864209",
        kind=Certificate.Kind.PERSONAL,
        holder=user,
        actor=SYSTEM,
    )
    issued, _certified = _personal_key(dev_pki, user)

    pki_init(directory=tmp_path / "new-pki", force=True, ca_key_size=2048, issue_for_directory=False)

    assert list(SigningKey.objects.all()) == [imported]
    assert not Certificate.objects.filter(pk=issued.certificate_id).exists()
    assert Certificate.objects.filter(is_imported=True).count() == 3  # the certificate, its issuing CA and root
    assert signing_key_unlock(signing_key=imported, pin="864209", actor=user).chain == [
        issuing.certificate,
        root.certificate,
    ]


# --- signing documents ---------------------------------------------------------------------------------------


def _stamp(certified, title: str = "") -> StampText:
    subject = certified.certificate.subject
    return StampText(
        signer_name=str(subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value),
        position=title,
        agency="Sở Tư pháp tỉnh Quảng Ninh",
    )


@pytest.mark.django_db(transaction=True)
def test_a_pdf_signed_with_a_stored_key_is_pades_b_lt_and_independent_validators_accept_it(pki_served, tmp_path):
    organisation = _organisation()
    user = _official(organisation, title="Phó Giám đốc")
    key, certified = _personal_key(pki_served, user, organisation)
    document = simple_pdf()

    signer = signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=user)
    signed = pdf_sign_with(
        data=document,
        signer=signer,
        field_name="ChuKyLanhDao",
        stamp=_stamp(certified, "Phó Giám đốc"),
        reason="Ký ban hành",
        location="Quảng Ninh",
        actor=user,
    )

    # Only the trusted root is given: the chain and its CRLs come from the document itself (B-LT).
    report = pdf_verify(signed, trust_roots=[pki_served.root.certificate])
    (signature,) = report.signatures
    assert signature.status == Status.VALID, signature.reasons
    assert signature.timestamp_time is not None and signature.field_name == "ChuKyLanhDao"
    assert signature.signer_name == user.full_name
    assert b"/DSS" in signed and b"/CRLs" in signed

    output = pdfsig(tmp_path, signed, pki_served.root.certificate_pem())
    assert "Signature is Valid" in output and "Certificate is Trusted" in output, output

    event = AuditEvent.objects.get(action="signatures.document_signed", object_id=str(key.pk))
    assert event.after["format"] == "pdf" and event.after["certificate_serial"] == certified.serial_number
    import hashlib

    assert event.after["sha256_before"] == hashlib.sha256(document).hexdigest()
    assert event.after["sha256_after"] == hashlib.sha256(signed).hexdigest()

    # A signature by a certificate revoked since then: our verifier says so.
    certificate_revoke(serial_number=certified.serial_number, reason="keyCompromise")
    from motcua.signatures.services import crl_build

    later = pdf_verify(signed, trust_roots=[pki_served.root.certificate], crls=[crl_build(pki=pki_served)])
    assert later.signatures[0].status != Status.VALID


@pytest.mark.django_db(transaction=True)
def test_two_officials_then_the_seal_sign_in_order_and_every_signature_stays_valid(pki_served, tmp_path):
    organisation = _organisation()
    specialist = _official(organisation, Role.SPECIALIST, "Chuyên viên")
    leader = _official(organisation, Role.AGENCY_LEADER, "Giám đốc")
    clerk = _official(organisation, Role.DOCUMENT_CLERK, "Văn thư")
    specialist_key, specialist_certified = _personal_key(pki_served, specialist, organisation)
    leader_key, leader_certified = _personal_key(pki_served, leader, organisation, key_type="rsa")
    seal_key, seal_certified = _seal_key(pki_served, organisation)

    document = simple_pdf()
    for field, key, actor, certified, box in (
        ("ChuKyChuyenVien", specialist_key, specialist, specialist_certified, (40, 40, 270, 110)),
        ("ChuKyLanhDao", leader_key, leader, leader_certified, (330, 40, 560, 110)),
        ("ChuKyCoQuan", seal_key, clerk, seal_certified, (330, 130, 560, 200)),
    ):
        signer = signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=actor)
        document = pdf_sign_with(
            data=document, signer=signer, field_name=field, stamp=_stamp(certified), box=box, actor=actor
        )

    report = pdf_verify(document, trust_roots=[pki_served.root.certificate])
    assert [signature.field_name for signature in report.signatures] == [
        "ChuKyChuyenVien",
        "ChuKyLanhDao",
        "ChuKyCoQuan",
    ]
    assert [signature.status for signature in report.signatures] == [Status.VALID] * 3, report
    assert [signature.signer_name for signature in report.signatures] == [
        specialist.full_name,
        leader.full_name,
        organisation.name,
    ]
    assert all(signature.timestamp_time is not None for signature in report.signatures)
    output = pdfsig(tmp_path, document, pki_served.root.certificate_pem())
    assert output.count("Signature is Valid") == 3, output
    assert output.count("Certificate is Trusted") == 3, output


@pytest.fixture
def http_tsa(dev_pki) -> Iterator[tuple[str, list[int]]]:
    """A stand-in for a TSA elsewhere: an HTTP server on 127.0.0.1 answering with the dev PKI's TSA."""
    requests: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            requests.append(len(body))
            reply = tsa_respond(request_der=body, pki=dev_pki)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsa", requests
    finally:
        server.shutdown()
        server.server_close()


def test_a_configured_tsa_url_is_asked_over_http(dev_pki, seal_key, http_tsa, settings):
    url, requests = http_tsa
    settings.TSA_URL = url
    signer = signing_key_unlock(signing_key=seal_key, pin=SIGNING_PIN, actor=SYSTEM)
    signed = pdf_sign_with(data=simple_pdf(), signer=signer, field_name="Dau", actor=SYSTEM)
    assert requests, "the configured TSA was not asked"
    report = pdf_verify(signed, trust_roots=[dev_pki.root.certificate])
    assert report.signatures[0].status == Status.VALID and report.signatures[0].timestamp_time is not None

    settings.TSA_URL = "http://127.0.0.1:9/tsa"  # nothing listens there
    from motcua.signatures.tsa import TimestampFailed

    with pytest.raises(TimestampFailed):
        pdf_sign_with(data=simple_pdf(), signer=signer, field_name="Dau", actor=SYSTEM)


def test_an_xml_document_signed_with_a_stored_key_passes_xmlsec1(dev_pki, seal_key, tmp_path):
    signer = signing_key_unlock(signing_key=seal_key, pin=SIGNING_PIN, actor=SYSTEM)
    assert isinstance(signer.private_key, rsa.RSAPrivateKey)
    signed = xml_sign_with(data=EDXML, signer=signer, actor=SYSTEM)

    accepted = xmlsec1_verify(tmp_path, signed, dev_pki.root.certificate_pem())
    assert accepted.returncode == 0, accepted.stderr
    assert "OK" in accepted.stdout + accepted.stderr
    tampered = signed.replace("trục liên thông".encode(), "trục khác".encode())
    assert xmlsec1_verify(tmp_path, tampered, dev_pki.root.certificate_pem()).returncode != 0

    event = AuditEvent.objects.get(action="signatures.document_signed", object_id=str(seal_key.pk))
    assert event.after["format"] == "xml"
    with pytest.raises(TypeError):
        xml_sign_with(data=EDXML, signer=signer, unknown_option=True)
