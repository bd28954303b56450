"""The signatures admin: read-only rows, changes only through the services' actions."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.utils import timezone

from motcua.agencies.models import Role
from motcua.core.models import AuditEvent
from motcua.signatures.models import Certificate, IssuedDocument
from motcua.signatures.registry import issued_document_register
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, platform_admin):
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    return sign_in_with_second_factor(client, platform_admin)


def _certificate() -> Certificate:
    fingerprint = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    now = timezone.now()
    return Certificate.objects.create(
        serial_number="1" + fingerprint[:15],  # normalised serials have no leading zero
        kind=Certificate.Kind.PERSONAL,
        subject_common_name="Đỗ Mạnh Cường",
        not_before=now - dt.timedelta(days=1),
        not_after=now + dt.timedelta(days=10),
        pem="-",
        sha256_fingerprint=fingerprint,
        issuer_sha256_fingerprint="1" * 64,
    )


def test_rows_cannot_be_added_edited_or_deleted_in_the_admin(admin_client):
    row = _certificate()
    assert admin_client.get("/admin/signatures/certificate/add/").status_code == 403
    response = admin_client.post(f"/admin/signatures/certificate/{row.pk}/change/", {"subject_common_name": "X"})
    assert response.status_code == 403
    assert admin_client.post(f"/admin/signatures/certificate/{row.pk}/delete/", {"post": "yes"}).status_code == 403
    row.refresh_from_db()
    assert row.subject_common_name == "Đỗ Mạnh Cường"
    assert admin_client.get("/admin/signatures/certificate/?validity=expiring").status_code == 200
    assert admin_client.get("/admin/signatures/signingkey/").status_code == 200


def test_revoking_from_the_admin_goes_through_the_service(admin_client):
    row = _certificate()
    response = admin_client.post(
        "/admin/signatures/certificate/",
        {"action": "revoke_key_compromise", ACTION_CHECKBOX_NAME: [str(row.pk)]},
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revocation_reason == "keyCompromise"
    assert AuditEvent.objects.filter(action="signatures.certificate_revoked", object_id=str(row.pk)).exists()


def test_an_agency_administrator_cannot_revoke(client, db):
    from tests.factories import PositionFactory

    position = PositionFactory(role=Role.AGENCY_ADMIN)
    user = position.user
    user.is_staff = True
    user.save()
    # Staff without the model permission: Django refuses the changelist itself.
    signed_in = sign_in_with_second_factor(client, user)
    row = _certificate()
    signed_in.post(
        "/admin/signatures/certificate/", {"action": "revoke_key_compromise", ACTION_CHECKBOX_NAME: [str(row.pk)]}
    )
    row.refresh_from_db()
    assert row.revoked_at is None


def test_withdrawing_asks_for_a_reason_then_records_it(admin_client):
    document = issued_document_register(title="Phiếu lý lịch tư pháp", organisation_code="000.00.01.H49")
    url = "/admin/signatures/issueddocument/"
    first = admin_client.post(url, {"action": "withdraw", ACTION_CHECKBOX_NAME: [str(document.pk)]})
    assert first.status_code == 200 and document.short_code in first.content.decode()
    document.refresh_from_db()
    assert document.withdrawn_at is None

    empty = admin_client.post(
        url, {"action": "withdraw", "confirmed": "1", "reason": " ", ACTION_CHECKBOX_NAME: [str(document.pk)]}
    )
    assert empty.status_code == 200
    document.refresh_from_db()
    assert document.withdrawn_at is None

    done = admin_client.post(
        url,
        {
            "action": "withdraw",
            "confirmed": "1",
            "reason": "Cấp nhầm người",
            ACTION_CHECKBOX_NAME: [str(document.pk)],
        },
    )
    assert done.status_code == 302
    document.refresh_from_db()
    assert document.withdrawn_at is not None
    event = AuditEvent.objects.get(action="signatures.issued_document_withdrawn")
    assert event.after["reason"] == "Cấp nhầm người"
    assert IssuedDocument.objects.filter(withdrawn_at__isnull=True).count() == 0


def test_the_revoke_service_refuses_anyone_but_a_platform_administrator(platform_admin):
    from motcua.core.exceptions import PermissionDenied
    from motcua.signatures.services import certificate_revoke
    from tests.factories import PositionFactory

    row = _certificate()
    agency_admin = PositionFactory(role=Role.AGENCY_ADMIN).user
    with pytest.raises(PermissionDenied):
        certificate_revoke(serial_number=row.serial_number, reason="keyCompromise", actor=agency_admin)
    row.refresh_from_db()
    assert row.revoked_at is None
    certificate_revoke(serial_number=row.serial_number, reason="keyCompromise", actor=platform_admin)
    row.refresh_from_db()
    assert row.revoked_at is not None
