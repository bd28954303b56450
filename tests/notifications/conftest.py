"""Fixtures of the notification tests: test events with templates of their own (worded with msgids the
catalogues already translate), the SMS outbox in a temporary directory, people in three languages."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from motcua.agencies.models import Role
from motcua.notifications.events import (
    OFFICIALS,
    event_unregister,
    notification_event_register,
    webhook_event_register,
)
from tests.factories import OfficialFactory, OrganisationFactory, PositionFactory, UserFactory

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
RECEIVED = "tests.received"
NOTE = "tests.officials_note"
WEBHOOK_ONLY = "tests.webhook_only"
CONTEXT = {"code": "000.00.20.H49-260302-0007", "procedure": "Cấp phiếu lý lịch tư pháp"}


@pytest.fixture(autouse=True)
def test_events(settings, tmp_path):
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [str(TEMPLATES_DIR)]
    settings.TEMPLATES = templates
    settings.DATA_DIR = tmp_path
    settings.SMS_PROVIDER = "file"
    notification_event_register(
        RECEIVED, label="Dossier received", template="tests/notifications/received", channels=("email", "sms", "inbox")
    )
    notification_event_register(
        NOTE,
        label="A note",
        template="tests/notifications/officials_note",
        channels=("email", "inbox"),
        audience=OFFICIALS,
    )
    webhook_event_register(WEBHOOK_ONLY, label="Only for systems")
    yield
    for key in (RECEIVED, NOTE, WEBHOOK_ONLY):
        event_unregister(key)


@pytest.fixture
def sms_outbox(tmp_path):
    """The lines the demo SMS provider wrote."""

    def read():
        path = tmp_path / "sms" / "outbox.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]

    return read


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block as if its transaction committed: the after-commit delivery tasks run (immediate backend)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def lan(db):
    return UserFactory(
        full_name="Nguyễn Thị Lan", email="lan@example.vn", phone="0912 345 678", preferred_language="vi"
    )


@pytest.fixture
def john(db):
    return UserFactory(full_name="John Smith", email="john@example.com", phone="", preferred_language="en")


@pytest.fixture
def claire(db):
    return UserFactory(
        full_name="Claire Martin", email="claire@example.fr", phone="+33 6 12 34 56 78", preferred_language="fr"
    )


@pytest.fixture
def province(db):
    return OrganisationFactory(code="000.00.00.K49", name="Ủy ban nhân dân tỉnh Quảng Ninh")


@pytest.fixture
def department(province):
    return OrganisationFactory(code="000.00.20.K49", name="Sở Tư pháp tỉnh Quảng Ninh", parent=province)


@pytest.fixture
def agency_admin(department):
    return PositionFactory(
        organisation=department, role=Role.AGENCY_ADMIN, user=OfficialFactory(email="quantri@stp.quangninh.gov.vn")
    ).user


@pytest.fixture
def other_agency_admin(db):
    organisation = OrganisationFactory(code="000.00.00.K41", name="Ủy ban nhân dân tỉnh Nghệ An")
    return PositionFactory(organisation=organisation, role=Role.AGENCY_ADMIN).user
