"""Fixtures of the dossier tests: the Quảng Ninh demo directory, a judicial-record procedure version,
officials of the service centre and of the Department of Justice, and helpers that drive the services.

Nothing here is autouse, so other test modules in this folder are not affected."""

from __future__ import annotations

import io

import pytest

from motcua.agencies.models import Role
from motcua.agencies.services import agencies_load_demo
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.dossiers import services
from motcua.dossiers.billing import open_requests_of
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile, StepRecord
from motcua.payments import services as payments
from tests.dossiers.factories import (
    MONDAY,
    NA_CENTRE,
    PDF_BYTES,
    PNG_BYTES,
    QN_CENTRE,
    QN_JUSTICE,
    official_in,
    valid_form,
    version_create,
)
from tests.factories import UserFactory
from tests.support.payment_sandbox import CLIENT_ID, SECRET, SandboxProcess


@pytest.fixture
def english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def directory(db):
    agencies_load_demo(actor=SYSTEM)


@pytest.fixture
def version(directory):
    return version_create()


@pytest.fixture
def clerk(directory):
    return official_in(QN_CENTRE, Role.ONE_STOP_CLERK, unit_code="TN", title="Chuyên viên Bộ phận Tiếp nhận")


@pytest.fixture
def specialist(directory):
    return official_in(QN_JUSTICE, Role.SPECIALIST, title="Chuyên viên Phòng Hành chính tư pháp")


@pytest.fixture
def second_specialist(directory):
    return official_in(QN_JUSTICE, Role.SPECIALIST)


@pytest.fixture
def unit_head(directory):
    return official_in(QN_JUSTICE, Role.UNIT_HEAD, title="Trưởng phòng")


@pytest.fixture
def leader(directory):
    return official_in(QN_JUSTICE, Role.AGENCY_LEADER, title="Phó Giám đốc Sở")


@pytest.fixture
def foreign_clerk(directory):
    """A clerk of Nghệ An's service centre: another province."""
    return official_in(NA_CENTRE, Role.ONE_STOP_CLERK, unit_code="TN")


@pytest.fixture
def citizen(db):
    return UserFactory(personal_id="022190000123", full_name="Nguyễn Thị Hoa", phone="0912345678")


@pytest.fixture
def other_citizen(db):
    return UserFactory()


def upload(user, name="to-khai.pdf", content=PDF_BYTES):
    return services.dossier_file_upload(actor=user, content=io.BytesIO(content), name=name, size=len(content))


@pytest.fixture(autouse=True)
def _payments_offline(settings):
    """No payment gateway answers in these tests (refunds and payments that reach one are tests of their own)."""
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"
    settings.SITE_URL = "http://127.0.0.1:9"


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    process = SandboxProcess.start(database=tmp_path_factory.mktemp("paysandbox") / "sandbox.sqlite3")
    yield process
    process.stop()


@pytest.fixture
def sandbox(sandbox_process, settings, _payments_offline, treasury):
    """The payment sandbox (its own process) as the gateway; notifications are collected for the test to post."""
    sandbox_process.control(reset=True, callback="collect")
    settings.PAYMENT_SANDBOX_URL = sandbox_process.url
    settings.PAYMENT_SANDBOX_CLIENT_ID = CLIENT_ID
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    return sandbox_process


@pytest.fixture
def treasury(directory):
    """Treasury accounts of the demo agencies (online payment needs the collecting agency's)."""
    payments.payments_load_demo(actor=SYSTEM)


def fees_paid_at_counter(dossier, actor=SYSTEM):
    """Pay the dossier's open bills at the counter (receipt, and the dossier records it through the handler)."""
    for bill in open_requests_of(dossier):
        payments.payment_record_at_counter(actor=actor, request=bill, amount=bill.amount)
    dossier.refresh_from_db()
    return dossier


def submit(citizen, version, *, at=MONDAY, key="", paid=True, **overrides):
    """Apply online; with ``paid`` the fees billed at submission are paid at the counter at once (a full-process
    dossier is received only once they are), so the tests of processing start from a dossier ready for receipt."""
    files = overrides.pop("files", None)
    if files is None:
        files = [
            services.FileRef(component_code="to_khai", upload_id=upload(citizen).pk),
            services.FileRef(component_code="cccd", upload_id=upload(citizen, "cccd.png", PNG_BYTES).pk),
        ]
    dossier = services.dossier_submit_online(
        actor=citizen,
        procedure_version=version,
        form_data=overrides.pop("form_data", valid_form()),
        files=files,
        idempotency_key=key,
        at=at,
        **overrides,
    )
    if paid and not dossier.idempotent_replay:
        secret = dossier.lookup_secret
        dossier = fees_paid_at_counter(dossier)
        dossier.lookup_secret = secret
    return dossier


def received(citizen, version, clerk, *, at=MONDAY):
    dossier = submit(citizen, version, at=at)
    return services.dossier_accept(actor=clerk, dossier=dossier, at=at)


def at_step(dossier, officials, step_code, *, at=MONDAY):
    """Forward through the workflow, each step by the given official ({step code: user}), up to step_code."""
    order = ["tiep_nhan", "tham_dinh", "kiem_tra", "phe_duyet"]
    dossier.refresh_from_db()
    while dossier.current_step_code != step_code:
        actor = officials[dossier.current_step_code]
        dossier = services.dossier_forward(actor=actor, dossier=dossier, at=at)
        assert dossier.current_step_code in order
    return dossier


class Counts:
    """Row counts of everything a dossier service writes, to prove a refused call wrote nothing."""

    def __init__(self):
        self.before = self.now()

    @staticmethod
    def now():
        return {
            "dossiers": Dossier.objects.count(),
            "events": DossierEvent.objects.count(),
            "steps": StepRecord.objects.count(),
            "files": DossierFile.objects.count(),
            "audit": AuditEvent.objects.count(),
        }

    def assert_unchanged(self):
        assert self.now() == self.before


def state_of(dossier):
    """Everything about a dossier row, to compare before and after a refused action."""
    row = Dossier.objects.values().get(pk=dossier.pk)
    row.pop("updated_at")
    return row
