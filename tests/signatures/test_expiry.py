"""Expiry warnings: 30, 7 and 1 day before a signing certificate lapses, once each, to the right people."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import uuid

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from motcua.agencies.models import Role
from motcua.core.models import AuditEvent
from motcua.signatures.expiry import certificate_expiry_warn, certificates_expiring
from motcua.signatures.models import Certificate, SigningKey
from tests.factories import OfficialFactory, OrganisationFactory, PositionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def warn(django_capture_on_commit_callbacks):
    """certificate_expiry_warn, then its after-commit mail (the test's transaction never commits)."""

    def run(now):
        with django_capture_on_commit_callbacks(execute=True):
            return certificate_expiry_warn(now=now)

    return run


NOW = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)


def _certificate(*, days_left: float, kind: str = Certificate.Kind.PERSONAL, with_key: bool = True, **fields):
    fingerprint = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    row = Certificate.objects.create(
        serial_number="1" + fingerprint[:15],  # normalised serials have no leading zero
        kind=kind,
        subject_common_name=fields.pop("name", "Nguyễn Văn An"),
        not_before=NOW - dt.timedelta(days=365),
        not_after=NOW + dt.timedelta(days=days_left),
        pem="-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n",
        sha256_fingerprint=fingerprint,
        issuer_sha256_fingerprint="0" * 64,
        **fields,
    )
    if with_key:
        SigningKey.objects.create(certificate=row, storage=SigningKey.Storage.SOFTWARE, encrypted_key=b"x")
    return row


def test_only_valid_certificates_with_an_active_key_within_the_window_are_listed():
    holder = OfficialFactory()
    soon = _certificate(days_left=10, holder=holder)
    _certificate(days_left=40, holder=holder)  # not yet
    _certificate(days_left=-1, holder=holder)  # already expired
    _certificate(days_left=5, holder=holder, with_key=False)  # nothing signs with it
    revoked = _certificate(days_left=3, holder=holder)
    revoked.revoked_at, revoked.revocation_reason = NOW, "superseded"
    revoked.save()

    assert [row.pk for row in certificates_expiring(now=NOW)] == [soon.pk]


def test_each_threshold_warns_the_holder_once_in_their_language(warn):
    holder = OfficialFactory(email="lanhdao@example.vn", preferred_language="en")
    row = _certificate(days_left=25.5, holder=holder)

    first = warn(NOW)
    assert [(warning.threshold, warning.days_left) for warning in first] == [(30, 25)]
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["lanhdao@example.vn"]
    assert "expires in 25 day(s)" in mail.outbox[0].subject
    assert row.serial_number in mail.outbox[0].body

    assert warn(NOW + dt.timedelta(days=1)) == []  # 30-day warning already sent
    assert len(mail.outbox) == 1

    later = warn(NOW + dt.timedelta(days=19))  # 6 days left
    assert [warning.threshold for warning in later] == [7]
    last = warn(NOW + dt.timedelta(days=25))  # 0 days left
    assert [warning.threshold for warning in last] == [1]
    assert len(mail.outbox) == 3
    row.refresh_from_db()
    assert row.expiry_warning_days == 1
    assert AuditEvent.objects.filter(action="signatures.certificate_expiry_warned", object_id=str(row.pk)).count() == 3


def test_a_first_look_close_to_expiry_sends_only_the_nearest_warning(warn):
    holder = OfficialFactory()
    _certificate(days_left=3, holder=holder)
    warnings = warn(NOW)
    assert [warning.threshold for warning in warnings] == [7]
    assert warn(NOW) == []
    assert len(mail.outbox) == 1


def test_a_seal_warns_the_agency_administrators_and_its_mailbox_in_vietnamese(warn):
    organisation = OrganisationFactory(email="vanthu@quangninh.gov.vn")
    admin = PositionFactory(organisation=organisation, role=Role.AGENCY_ADMIN, user__email="quantri@example.vn")
    PositionFactory(organisation=organisation, role=Role.SPECIALIST, user__email="chuyenvien@example.vn")
    _certificate(
        days_left=6,
        kind=Certificate.Kind.AGENCY_SEAL,
        organisation=organisation,
        organisation_code=organisation.code,
        name=organisation.name,
    )

    warn(NOW)

    addressed = sorted(address for message in mail.outbox for address in message.to)
    assert addressed == sorted([admin.user.email, "vanthu@quangninh.gov.vn"])
    assert all("hết hạn" in message.subject for message in mail.outbox)


def test_the_command_lists_and_warns(monkeypatch, django_capture_on_commit_callbacks):
    holder = OfficialFactory()
    row = _certificate(days_left=2, holder=holder)
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("certificates", "expiring", "--warn", stdout=out)
    listed = json.loads(out.getvalue())
    assert [(item["serial_number"], item["days_left"], item["warned_now"]) for item in listed] == [
        (row.serial_number, 2, True)
    ]
    assert len(mail.outbox) == 1

    out = io.StringIO()
    call_command("certificates", "expiring", "--warn", stdout=out)
    assert json.loads(out.getvalue())[0]["warned_now"] is False
    assert len(mail.outbox) == 1
