"""Officials' signing-key pages (/signatures/keys/): their own keys and usable seals, changing a PIN, importing a
PKCS#12 file, and the organisation page of agency and platform administrators (seals, officials' keys, unblock).
"""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from motcua.agencies.models import Organisation, Role
from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.signatures.keys import signing_key_unlock
from motcua.signatures.keys.inventory import certificate_of
from motcua.signatures.models import Certificate, SigningKey
from motcua.signatures.services import CertifiedKey, DevPki, certificate_issue, certificate_revoke
from tests.factories import OrganisationFactory, PositionFactory, UserFactory
from tests.signatures.conftest import SIGNING_PIN
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

MINE = "/signatures/keys/"
P12_PASSWORD = "mat-khau-p12"
NEW_PIN = "Moi-2026!"


# --- helpers -------------------------------------------------------------------------------------------------


def _organisation(code: str) -> Organisation:
    return OrganisationFactory(code=code, name=f"Sở Tư pháp {code}")


def _official(organisation: Organisation, role: str = Role.SPECIALIST):
    return PositionFactory(organisation=organisation, role=role).user


def _signed_in(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return sign_in_with_second_factor(client, user)


def _personal_key(dev_pki: DevPki, user, organisation: Organisation) -> SigningKey:
    certified = certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.PERSONAL,
        common_name=user.full_name,
        organisation_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        holder=user,
        key_type="ec",
        pin=SIGNING_PIN,
    )
    return SigningKey.objects.get(certificate__serial_number=certified.serial_number)


def _seal_key(dev_pki: DevPki, organisation: Organisation) -> SigningKey:
    certified = certificate_issue(
        pki=dev_pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        key_type="ec",
        pin=SIGNING_PIN,
    )
    return SigningKey.objects.get(certificate__serial_number=certified.serial_number)


def _p12(dev_pki: DevPki, certified: CertifiedKey, password: str | None = P12_PASSWORD) -> bytes:
    """The certificate, its key and the dev PKI's chain in a PKCS#12 file, as a CA hands them over."""
    encryption = serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    return pkcs12.serialize_key_and_certificates(
        b"motcua", certified.private_key, certified.certificate, dev_pki.chain, encryption
    )


def _issued_without_key(dev_pki: DevPki, *, kind: str, organisation: Organisation, holder=None) -> CertifiedKey:
    """A certificate of the dev PKI whose key was handed over (no SigningKey yet): what an import brings in."""
    return certificate_issue(
        pki=dev_pki,
        kind=kind,
        common_name=holder.full_name if holder else organisation.name,
        organisation_name=organisation.name,
        organisation_code=organisation.code,
        organisation=organisation,
        holder=holder,
        key_type="ec",
    )


def _upload(data: bytes, name: str = "chu-ky.p12") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/x-pkcs12")


def _page(response) -> str:
    return response.content.decode()


def _field_error(page: str, field: str) -> str:
    """The text of a field's error paragraph (``web/includes/field.html``), or "" when the field has none."""
    marker = f'id="id_{field}_error">'
    if marker not in page:
        return ""
    return page.split(marker, 1)[1].split("</p>", 1)[0]


# --- who may open the pages ----------------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_sign_in_and_citizens_are_refused(dev_pki):
    response = Client().get(MINE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert Client().get("/signatures/keys/import/").status_code == 302

    citizen = UserFactory()
    client = Client()
    client.force_login(citizen)
    assert client.get(MINE).status_code == 403
    assert client.get("/signatures/keys/import/").status_code == 403


def test_an_official_without_the_second_factor_is_sent_to_confirm_it(dev_pki):
    official = _official(_organisation("000.00.20.H49"))
    client = Client()
    client.force_login(official)
    response = client.get(MINE)
    assert response.status_code == 302 and "/accounts/" in response["Location"]


# --- the list ------------------------------------------------------------------------------------------------


def test_the_page_lists_the_officials_own_keys_and_the_seals_they_may_apply_only(dev_pki):
    organisation = _organisation("000.00.20.H49")
    elsewhere = _organisation("000.00.21.H49")
    clerk = _official(organisation, Role.DOCUMENT_CLERK)
    colleague = _official(organisation, Role.DOCUMENT_CLERK)
    own = _personal_key(dev_pki, clerk, organisation)
    colleagues = _personal_key(dev_pki, colleague, organisation)
    seal = _seal_key(dev_pki, organisation)
    other_seal = _seal_key(dev_pki, elsewhere)

    response = _signed_in(clerk).get(MINE)

    assert response.status_code == 200
    page = _page(response)
    assert own.certificate.serial_number in page
    assert seal.certificate.serial_number in page
    assert colleagues.certificate.serial_number not in page
    assert other_seal.certificate.serial_number not in page
    certificate = certificate_of(own.certificate)
    assert escape(certificate.subject.rfc4514_string()) in page
    assert escape(certificate.issuer.rfc4514_string()) in page
    assert f"serialNumber={organisation.code}" in page  # the seal's subject, with its attribute named
    assert "Software key (encrypted)" in page
    assert page.count("Change the PIN") == 1  # on the own software key, not on the shared seal


def test_a_specialist_sees_no_seal_of_their_organisation(dev_pki):
    organisation = _organisation("000.00.20.H49")
    specialist = _official(organisation, Role.SPECIALIST)
    seal = _seal_key(dev_pki, organisation)

    page = _page(_signed_in(specialist).get(MINE))

    assert seal.certificate.serial_number not in page
    assert "You may apply no agency seal" in page


def test_the_page_warns_of_expiry_revocation_and_a_locked_key(dev_pki):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    expiring = _personal_key(dev_pki, official, organisation)
    expired = _personal_key(dev_pki, official, organisation)
    revoked = _personal_key(dev_pki, official, organisation)
    now = timezone.now()
    Certificate.objects.filter(pk=expiring.certificate_id).update(not_after=now + dt.timedelta(days=10, hours=2))
    Certificate.objects.filter(pk=expired.certificate_id).update(
        not_before=now - dt.timedelta(days=400), not_after=now - dt.timedelta(days=1)
    )
    certificate_revoke(serial_number=revoked.certificate.serial_number, reason="keyCompromise")
    SigningKey.objects.filter(pk=revoked.pk).update(failed_attempts=5, locked_at=now)

    page = _page(_signed_in(official).get(MINE))

    assert "The certificate expires in 10 days" in page
    assert page.count("The certificate expired on") == 1
    assert page.count("The certificate was revoked on") == 1 and "Key compromise" in page
    assert page.count("This key is locked after too many wrong PINs") == 1
    assert "5 of 5" in page


def test_a_valid_key_shows_no_warning(dev_pki):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    _personal_key(dev_pki, official, organisation)

    page = _page(_signed_in(official).get(MINE))

    assert "message--warning" not in page and "message--error" not in page
    assert "0 of 5" in page


# --- changing the PIN ----------------------------------------------------------------------------------------


def _change_pin(client: Client, key: SigningKey, old: str, new: str, again: str | None = None):
    return client.post(
        f"/signatures/keys/{key.pk}/pin/",
        {"old_pin": old, "new_pin": new, "new_pin_confirmation": new if again is None else again},
    )


def test_changing_the_pin_encrypts_the_key_again_under_the_new_one(dev_pki):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    key = _personal_key(dev_pki, official, organisation)
    client = _signed_in(official)
    assert client.get(f"/signatures/keys/{key.pk}/pin/").status_code == 200

    response = _change_pin(client, key, SIGNING_PIN, NEW_PIN)

    assert response.status_code == 302 and response["Location"] == MINE
    assert "was changed" in _page(client.get(MINE))
    assert signing_key_unlock(signing_key=key, pin=NEW_PIN, actor=official).private_key is not None
    with pytest.raises(ValidationFailed) as old_pin:
        signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=official)
    assert old_pin.value.code == "wrong_pin"
    assert AuditEvent.objects.filter(action="signatures.signing_key_pin_changed", object_id=str(key.pk)).exists()


def test_a_wrong_old_pin_is_a_form_error_counts_and_changes_nothing(dev_pki):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    key = _personal_key(dev_pki, official, organisation)
    stored = bytes(key.encrypted_key)

    response = _change_pin(_signed_in(official), key, "000000", NEW_PIN)

    assert response.status_code == 422
    assert "Wrong PIN. 4 attempts are left" in _field_error(_page(response), "old_pin")
    key.refresh_from_db()
    assert bytes(key.encrypted_key) == stored and key.failed_attempts == 1
    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=official).private_key is not None
    with pytest.raises(ValidationFailed):
        signing_key_unlock(signing_key=key, pin=NEW_PIN, actor=official)


@pytest.mark.parametrize(
    ("new", "again", "field", "text"),
    [
        ("12", "12", "new_pin", "The PIN must have 6 to 12 characters"),
        ("mat khau", "mat khau", "new_pin", "The PIN must have 6 to 12 characters"),
        (NEW_PIN, "Khac-2026!", "new_pin_confirmation", "The two PINs you typed are not the same."),
        (SIGNING_PIN, SIGNING_PIN, "new_pin", "The new PIN must differ from the old one."),
    ],
)
def test_a_bad_new_pin_is_refused_on_its_field_before_the_old_one_is_tried(dev_pki, new, again, field, text):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    key = _personal_key(dev_pki, official, organisation)
    stored = bytes(key.encrypted_key)

    response = _change_pin(_signed_in(official), key, SIGNING_PIN, new, again)

    assert response.status_code == 422
    assert text in _field_error(_page(response), field)
    key.refresh_from_db()
    assert bytes(key.encrypted_key) == stored and key.failed_attempts == 0


def test_the_pin_rules_are_shown_on_the_form(dev_pki):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    key = _personal_key(dev_pki, official, organisation)

    page = _page(_signed_in(official).get(f"/signatures/keys/{key.pk}/pin/"))

    assert 'id="id_new_pin_helptext"' in page
    assert "6 to 12 characters: digits, Latin letters or punctuation, without spaces." in page


def test_nobody_changes_the_pin_of_a_key_that_is_not_their_own_software_key(dev_pki):
    organisation = _organisation("000.00.20.H49")
    holder = _official(organisation)
    clerk = _official(organisation, Role.DOCUMENT_CLERK)
    key = _personal_key(dev_pki, holder, organisation)
    seal = _seal_key(dev_pki, organisation)
    stored = bytes(key.encrypted_key)
    client = _signed_in(clerk)

    assert client.get(f"/signatures/keys/{key.pk}/pin/").status_code == 404
    assert _change_pin(client, key, SIGNING_PIN, NEW_PIN).status_code == 404
    assert _change_pin(client, seal, SIGNING_PIN, NEW_PIN).status_code == 404  # a seal is shared: not here

    key.refresh_from_db()
    seal.refresh_from_db()
    assert bytes(key.encrypted_key) == stored and key.failed_attempts == 0 and seal.failed_attempts == 0
    assert not AuditEvent.objects.filter(action="signatures.signing_key_pin_changed").exists()
    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=holder).private_key is not None


# --- importing one's own key ---------------------------------------------------------------------------------


def _import(
    client: Client, data: bytes, *, password: str = P12_PASSWORD, url: str = "/signatures/keys/import/", **extra
):
    fields = {"file": _upload(data), "password": password, "pin": NEW_PIN, "pin_confirmation": NEW_PIN, **extra}
    return client.post(url, fields)


def test_an_official_imports_their_own_key_from_a_pkcs12_file(dev_pki):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.PERSONAL, organisation=organisation, holder=official)
    client = _signed_in(official)
    form = _page(client.get("/signatures/keys/import/"))
    assert 'enctype="multipart/form-data"' in form and 'name="organisation"' in form

    response = _import(client, _p12(dev_pki, certified), organisation=organisation.code, label="Chữ ký của tôi")

    assert response.status_code == 302 and response["Location"] == MINE
    key = SigningKey.objects.get(certificate__serial_number=certified.serial_number)
    assert key.label == "Chữ ký của tôi" and key.storage == SigningKey.Storage.SOFTWARE
    assert key.certificate.holder == official and key.certificate.organisation_code == organisation.code
    signer = signing_key_unlock(signing_key=key, pin=NEW_PIN, actor=official)
    assert signer.private_key.private_numbers() == certified.private_key.private_numbers()
    assert AuditEvent.objects.filter(action="signatures.signing_key_created", object_id=str(key.pk)).exists()
    page = _page(client.get(MINE))
    assert "was imported" in page and certified.serial_number in page


@pytest.mark.parametrize(
    ("case", "field", "text"),
    [
        ("wrong password", "password", "The password of the file is wrong."),
        ("no password", "password", "The file is protected by a password: enter it."),
        ("garbage", "file", "The file is neither a PKCS#12"),
        ("too large", "file", "The file is too large"),
        ("bad PIN", "pin", "The PIN must have 6 to 12 characters"),
        ("PINs differ", "pin_confirmation", "The two PINs you typed are not the same."),
    ],
)
def test_a_refused_import_says_why_on_the_right_field_and_writes_nothing(dev_pki, case, field, text):
    organisation = _organisation("000.00.20.H49")
    official = _official(organisation)
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.PERSONAL, organisation=organisation, holder=official)
    data, password, pins = _p12(dev_pki, certified), P12_PASSWORD, {}
    if case == "wrong password":
        password = "sai-mat-khau"
    elif case == "no password":
        password = ""
    elif case == "garbage":
        data = b"\x00\x01 this is not a key file \xff" * 10
    elif case == "too large":
        data = b"\x30" * (1024 * 1024 + 1)
    elif case == "bad PIN":
        pins = {"pin": "12", "pin_confirmation": "12"}
    elif case == "PINs differ":
        pins = {"pin_confirmation": "Khac-2026!"}
    certificates_before = Certificate.objects.count()
    events_before = AuditEvent.objects.count()

    response = _import(_signed_in(official), data, password=password, organisation=organisation.code, **pins)

    assert response.status_code == 422
    assert text in _field_error(_page(response), field)
    assert not SigningKey.objects.exists()
    assert Certificate.objects.count() == certificates_before
    assert AuditEvent.objects.count() == events_before


def test_a_certificate_of_someone_else_cannot_be_imported_as_ones_own(dev_pki):
    organisation = _organisation("000.00.20.H49")
    holder = _official(organisation)
    other = _official(organisation)
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.PERSONAL, organisation=organisation, holder=holder)

    response = _import(_signed_in(other), _p12(dev_pki, certified), organisation=organisation.code)

    assert response.status_code == 422
    assert "This certificate is recorded for another holder or organisation." in _page(response)
    assert not SigningKey.objects.exists()


# --- an organisation's keys ----------------------------------------------------------------------------------


def _organisation_url(organisation: Organisation, tail: str = "") -> str:
    return f"/signatures/keys/organisation/{organisation.code}/{tail}"


def test_an_agency_administrator_sees_the_seals_and_officials_keys_and_unblocks_a_locked_one(dev_pki):
    organisation = _organisation("000.00.20.H49")
    elsewhere = _organisation("000.00.21.H49")
    administrator = _official(organisation, Role.AGENCY_ADMIN)
    staff = _official(organisation)
    outsider = _official(elsewhere)
    seal = _seal_key(dev_pki, organisation)
    staff_key = _personal_key(dev_pki, staff, organisation)
    outsider_key = _personal_key(dev_pki, outsider, elsewhere)
    SigningKey.objects.filter(pk=staff_key.pk).update(failed_attempts=5, locked_at=timezone.now())
    client = _signed_in(administrator)

    assert _organisation_url(organisation) in _page(client.get(MINE))  # the link to the organisation's page
    response = client.get(_organisation_url(organisation))

    assert response.status_code == 200
    page = _page(response)
    assert seal.certificate.serial_number in page and staff_key.certificate.serial_number in page
    assert outsider_key.certificate.serial_number not in page
    assert page.count("Unblock this key") == 1

    unblocked = client.post(_organisation_url(organisation, f"{staff_key.pk}/unblock/"))

    assert unblocked.status_code == 302 and unblocked["Location"] == _organisation_url(organisation)
    staff_key.refresh_from_db()
    assert staff_key.locked_at is None and staff_key.failed_attempts == 0
    assert AuditEvent.objects.filter(action="signatures.signing_key_unblocked", object_id=str(staff_key.pk)).exists()
    assert signing_key_unlock(signing_key=staff_key, pin=SIGNING_PIN, actor=staff).private_key is not None


def test_unblocking_a_key_that_is_not_locked_is_an_error_on_the_page(dev_pki):
    organisation = _organisation("000.00.20.H49")
    administrator = _official(organisation, Role.AGENCY_ADMIN)
    seal = _seal_key(dev_pki, organisation)

    response = _signed_in(administrator).post(_organisation_url(organisation, f"{seal.pk}/unblock/"))

    assert response.status_code == 422
    assert "This signing key is not locked." in _page(response)
    assert not AuditEvent.objects.filter(action="signatures.signing_key_unblocked").exists()


def test_an_agency_administrator_imports_a_seal_for_the_organisation(dev_pki):
    organisation = _organisation("000.00.20.H49")
    administrator = _official(organisation, Role.AGENCY_ADMIN)
    clerk = _official(organisation, Role.DOCUMENT_CLERK)
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.AGENCY_SEAL, organisation=organisation)
    client = _signed_in(administrator)
    assert client.get(_organisation_url(organisation, "import/")).status_code == 200

    response = _import(client, _p12(dev_pki, certified), url=_organisation_url(organisation, "import/"))

    assert response.status_code == 302 and response["Location"] == _organisation_url(organisation)
    key = SigningKey.objects.get(certificate__serial_number=certified.serial_number)
    assert key.certificate.kind == Certificate.Kind.AGENCY_SEAL
    assert key.certificate.organisation_code == organisation.code
    assert signing_key_unlock(signing_key=key, pin=NEW_PIN, actor=clerk).private_key is not None
    assert certified.serial_number in _page(_signed_in(clerk).get(MINE))


def test_an_official_of_another_agency_can_neither_see_nor_act_on_an_organisations_keys(dev_pki):
    organisation = _organisation("000.00.20.H49")
    elsewhere = _organisation("000.00.21.H49")
    staff = _official(organisation)
    staff_key = _personal_key(dev_pki, staff, organisation)
    SigningKey.objects.filter(pk=staff_key.pk).update(failed_attempts=5, locked_at=timezone.now())
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.AGENCY_SEAL, organisation=organisation)
    events_before = AuditEvent.objects.count()

    for stranger in (_official(elsewhere, Role.AGENCY_ADMIN), _official(organisation, Role.AGENCY_LEADER)):
        client = _signed_in(stranger)
        assert client.get(_organisation_url(organisation)).status_code == 403
        assert client.get(_organisation_url(organisation, "import/")).status_code == 403
        assert client.post(_organisation_url(organisation, f"{staff_key.pk}/unblock/")).status_code == 403
        refused = _import(client, _p12(dev_pki, certified), url=_organisation_url(organisation, "import/"))
        assert refused.status_code == 403
        assert _organisation_url(organisation) not in _page(client.get(MINE))

    staff_key.refresh_from_db()
    assert staff_key.locked_at is not None and staff_key.failed_attempts == 5
    assert not SigningKey.objects.filter(certificate__serial_number=certified.serial_number).exists()
    assert AuditEvent.objects.count() == events_before
    with pytest.raises(InvalidState):
        signing_key_unlock(signing_key=staff_key, pin=SIGNING_PIN, actor=staff)


def test_a_platform_administrator_opens_any_organisation_by_its_code(dev_pki, platform_admin):
    organisation = _organisation("000.00.20.H49")
    seal = _seal_key(dev_pki, organisation)
    client = _signed_in(platform_admin)
    assert 'name="code"' in _page(client.get(MINE))

    opened = client.get("/signatures/keys/organisation/", {"code": "000.00.20.h49"})

    assert opened.status_code == 302 and opened["Location"] == _organisation_url(organisation)
    assert seal.certificate.serial_number in _page(client.get(opened["Location"]))
    assert client.get("/signatures/keys/organisation/000.00.99.H99/").status_code == 404
    assert client.get("/signatures/keys/organisation/", {"code": "000/00"}).status_code == 404
    assert client.get("/signatures/keys/organisation/", {"code": " "})["Location"] == MINE


# --- navigation ----------------------------------------------------------------------------------------------


def test_the_menu_links_to_verification_for_everyone_and_to_signing_keys_for_officials(dev_pki):
    visitor = Client()
    visitor.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # pages are in Vietnamese unless chosen
    anonymous = _page(visitor.get("/"))
    assert 'href="/verify/"' in anonymous and "Verify a document" in anonymous
    assert 'href="/signatures/keys/"' not in anonymous

    citizen = Client()
    citizen.force_login(UserFactory())
    assert 'href="/signatures/keys/"' not in _page(citizen.get("/"))

    official = _signed_in(_official(_organisation("000.00.20.H49")))
    page = _page(official.get("/"))
    assert 'href="/verify/"' in page
    assert 'href="/signatures/keys/"' in page and "My signing keys" in page
    current = _page(official.get(MINE))
    assert '<a href="/signatures/keys/" aria-current="page">My signing keys</a>' in current
