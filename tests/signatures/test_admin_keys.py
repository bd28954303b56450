"""The signing keys in the admin: importing a PKCS#12 file and unblocking keys, both through the services."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from motcua.agencies.models import Organisation, Role
from motcua.core.models import AuditEvent
from motcua.signatures.keys import signing_key_unlock
from motcua.signatures.models import Certificate, SigningKey
from tests.factories import OrganisationFactory, PositionFactory
from tests.signatures.conftest import SIGNING_PIN
from tests.signatures.test_keys_views import P12_PASSWORD, _issued_without_key, _p12, _seal_key
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/signatures/signingkey/"
IMPORT = "/admin/signatures/signingkey/import/"
PIN = "Dau-2026!"


@pytest.fixture
def organisation() -> Organisation:
    return OrganisationFactory(code="000.00.20.H49", name="Sở Tư pháp tỉnh Quảng Ninh")


def _client(user) -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return sign_in_with_second_factor(client, user)


@pytest.fixture
def admin_client(platform_admin) -> Client:
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    return _client(platform_admin)


@pytest.fixture
def outside_admin_client() -> Client:
    """Staff who may view the signing keys in the admin, but administer another agency only."""
    user = PositionFactory(role=Role.AGENCY_ADMIN, organisation=OrganisationFactory(code="000.00.21.H49")).user
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="view_signingkey"))
    return _client(user)


def _import(client: Client, data: bytes, *, password: str = P12_PASSWORD, **fields):
    upload = SimpleUploadedFile("dau.p12", data, content_type="application/x-pkcs12")
    values = {"file": upload, "password": password, "pin": PIN, "pin_confirmation": PIN, "label": "", **fields}
    return client.post(IMPORT, values)


def _locked(key: SigningKey) -> SigningKey:
    SigningKey.objects.filter(pk=key.pk).update(failed_attempts=5, locked_at=timezone.now())
    key.refresh_from_db()
    return key


def test_the_changelist_links_to_the_import_page_and_rows_stay_read_only(admin_client, dev_pki, organisation):
    seal = _seal_key(dev_pki, organisation)
    changelist = admin_client.get(CHANGELIST)
    assert changelist.status_code == 200
    page = changelist.content.decode()
    assert f'href="{IMPORT}"' in page and "Import a key (PKCS#12)" in page
    assert "Unblock the selected keys" in page
    assert admin_client.get(IMPORT).status_code == 200
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert admin_client.post(f"{CHANGELIST}{seal.pk}/change/", {"label": "Khác"}).status_code == 403
    assert admin_client.post(f"{CHANGELIST}{seal.pk}/delete/", {"post": "yes"}).status_code == 403
    seal.refresh_from_db()
    assert seal.label == organisation.name


def test_importing_a_seal_in_the_admin_goes_through_the_service(admin_client, dev_pki, organisation):
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.AGENCY_SEAL, organisation=organisation)
    clerk = PositionFactory(organisation=organisation, role=Role.DOCUMENT_CLERK).user

    response = _import(
        admin_client, _p12(dev_pki, certified), kind="agency_seal", organisation=organisation.code, label="Dấu Sở"
    )

    key = SigningKey.objects.get(certificate__serial_number=certified.serial_number)
    assert response.status_code == 302 and response["Location"] == f"{CHANGELIST}{key.pk}/change/"
    assert key.label == "Dấu Sở" and key.certificate.organisation_code == organisation.code
    assert AuditEvent.objects.filter(action="signatures.signing_key_created", object_id=str(key.pk)).exists()
    assert signing_key_unlock(signing_key=key, pin=PIN, actor=clerk).private_key is not None


def test_importing_a_personal_key_names_its_holder(admin_client, dev_pki, organisation):
    holder = PositionFactory(organisation=organisation).user
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.PERSONAL, organisation=organisation, holder=holder)

    missing = _import(admin_client, _p12(dev_pki, certified), kind="personal")
    assert missing.status_code == 422
    assert missing.context_data["form"].errors == {"holder": ["Required."]}  # the service's detail, on its field
    unknown = _import(admin_client, _p12(dev_pki, certified), kind="personal", holder="nobody-here")
    assert unknown.status_code == 422
    assert unknown.context_data["form"].errors == {"holder": ["There is no official with this username."]}
    assert "There is no official with this username." in unknown.content.decode()
    assert not SigningKey.objects.exists()

    response = _import(
        admin_client, _p12(dev_pki, certified), kind="personal", holder=holder.username, organisation=organisation.code
    )

    assert response.status_code == 302
    key = SigningKey.objects.get(certificate__serial_number=certified.serial_number)
    assert key.certificate.holder == holder
    assert signing_key_unlock(signing_key=key, pin=PIN, actor=holder).private_key is not None


def test_a_wrong_file_password_is_shown_and_nothing_is_imported(admin_client, dev_pki, organisation):
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.AGENCY_SEAL, organisation=organisation)
    certificates_before = Certificate.objects.count()

    response = _import(
        admin_client,
        _p12(dev_pki, certified),
        password="sai-mat-khau",
        kind="agency_seal",
        organisation=organisation.code,
    )

    assert response.status_code == 422
    assert "The password of the file is wrong." in response.content.decode()
    assert not SigningKey.objects.exists() and Certificate.objects.count() == certificates_before


def test_an_administrator_of_another_agency_cannot_import_a_seal_in_the_admin(
    outside_admin_client, dev_pki, organisation
):
    certified = _issued_without_key(dev_pki, kind=Certificate.Kind.AGENCY_SEAL, organisation=organisation)
    events_before = AuditEvent.objects.count()

    response = _import(
        outside_admin_client, _p12(dev_pki, certified), kind="agency_seal", organisation=organisation.code
    )

    assert response.status_code == 403
    assert "You may not use or manage this signing key." in response.content.decode()
    assert not SigningKey.objects.exists()
    assert AuditEvent.objects.count() == events_before


def test_unblocking_from_the_admin_goes_through_the_service(admin_client, dev_pki, organisation):
    key = _locked(_seal_key(dev_pki, organisation))
    clerk = PositionFactory(organisation=organisation, role=Role.ONE_STOP_CLERK).user

    response = admin_client.post(CHANGELIST, {"action": "unblock", ACTION_CHECKBOX_NAME: [str(key.pk)]})

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.locked_at is None and key.failed_attempts == 0
    assert AuditEvent.objects.filter(action="signatures.signing_key_unblocked", object_id=str(key.pk)).exists()
    assert "1 key(s) unblocked." in admin_client.get(CHANGELIST).content.decode()
    assert signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=clerk).private_key is not None


def test_an_administrator_of_another_agency_cannot_unblock_in_the_admin(outside_admin_client, dev_pki, organisation):
    key = _locked(_seal_key(dev_pki, organisation))
    locked_at = key.locked_at

    response = outside_admin_client.post(CHANGELIST, {"action": "unblock", ACTION_CHECKBOX_NAME: [str(key.pk)]})

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.locked_at == locked_at and key.failed_attempts == 5
    assert not AuditEvent.objects.filter(action="signatures.signing_key_unblocked").exists()
    page = outside_admin_client.get(CHANGELIST).content.decode()
    assert "You may not use or manage this signing key." in page and "unblocked." not in page
