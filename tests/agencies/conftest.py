"""Fixtures of the agency directory tests: a small tree built through the services, signed-in clients."""

from __future__ import annotations

import itertools

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.agencies.models import Organisation, Position, Role, Unit
from motcua.agencies.rules import SYSTEM_ACTOR
from motcua.agencies.services import organisation_create
from motcua.core.models import AuditEvent
from tests.conftest import official_with_role
from tests.factories import OrganisationFactory

_test_codes = itertools.count()


def unrelated_organisation(**kwargs):
    """An organisation in a code family (T..) that no real code or demo record uses, so factories never
    collide with 000.00.00.H49 and the like."""
    number = next(_test_codes) % 90 + 10
    kwargs.setdefault("code", f"000.00.00.T{number}")
    kwargs.setdefault("name", f"Cơ quan thử nghiệm {number}")
    kwargs.setdefault("kind", Organisation.Kind.OTHER)
    return OrganisationFactory(**kwargs)


@pytest.fixture
def platform_admin(db):
    return official_with_role(Role.PLATFORM_ADMIN, organisation=unrelated_organisation())


@pytest.fixture
def auditor(db):
    return official_with_role(Role.AUDITOR, organisation=unrelated_organisation())


@pytest.fixture
def unrelated_official(db):
    """An agency administrator of some other organisation."""
    return official_with_role(Role.AGENCY_ADMIN, organisation=unrelated_organisation())


@pytest.fixture
def government(db):
    return organisation_create(
        actor=SYSTEM_ACTOR, name="Chính phủ", short_name="Chính phủ", kind=Organisation.Kind.GOVERNMENT
    )


@pytest.fixture
def ministry(government):
    return organisation_create(
        actor=SYSTEM_ACTOR,
        code="000.00.00.G12",
        name="Bộ Tài chính",
        abbreviation="BTC",
        kind=Organisation.Kind.MINISTRY,
        parent=government,
    )


@pytest.fixture
def department(ministry):
    return organisation_create(
        actor=SYSTEM_ACTOR,
        code="000.00.18.G12",
        name="Cục Thuế",
        abbreviation="CT",
        kind=Organisation.Kind.CENTRAL_DEPARTMENT,
        parent=ministry,
    )


@pytest.fixture
def province(government):
    return organisation_create(
        actor=SYSTEM_ACTOR,
        code="000.00.00.H49",
        name="Ủy ban nhân dân tỉnh Quảng Ninh",
        short_name="UBND tỉnh Quảng Ninh",
        abbreviation="UBND",
        kind=Organisation.Kind.PROVINCE,
        parent=government,
    )


@pytest.fixture
def ministry_admin(ministry):
    """An agency administrator of the Ministry of Finance (and so of everything under it)."""
    return official_with_role(Role.AGENCY_ADMIN, organisation=ministry)


@pytest.fixture
def province_admin(province):
    return official_with_role(Role.AGENCY_ADMIN, organisation=province)


class DatabaseCounts:
    """Row counts of everything a directory service may write, to prove a refused call wrote nothing."""

    def __init__(self):
        self.before = self.now()

    @staticmethod
    def now():
        return {
            "organisations": Organisation.objects.count(),
            "units": Unit.objects.count(),
            "positions": Position.objects.count(),
            "audit_events": AuditEvent.objects.count(),
        }

    def assert_unchanged(self):
        assert self.now() == self.before


@pytest.fixture
def counts(db):
    """Call ``counts.start()`` right before the action under test."""

    class Starter:
        def start(self):
            self.counter = DatabaseCounts()
            return self.counter

        def assert_unchanged(self):
            self.counter.assert_unchanged()

    return Starter()


def signed_in(client, user):
    """A client signed in as the user; officials also pass their second factor, as the platform requires."""
    client.force_login(user)
    if getattr(user, "kind", "") == "official" or user.is_staff or user.is_superuser:
        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture(autouse=True)
def english_messages():
    """Assertions on messages read the English source text, whatever the default language is."""
    from django.utils import translation

    with translation.override("en"):
        yield
