"""Fixtures of the payment tests: the demo directory, a collecting agency with its treasury account, officials,
a payer, a test purpose with a settlement handler that leaves a trace in the database, and the sandbox process.

The sandbox is one process per test session (per xdist worker); each test that uses it gets it reset.
"""

from __future__ import annotations

import pytest

from motcua.agencies.models import Organisation, Role
from motcua.agencies.services import agencies_load_demo
from motcua.core.audit import audit_record
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.payments import services
from motcua.payments.handlers import payment_settlement_handler_register, payment_settlement_handler_unregister
from motcua.payments.services import FeeLine
from tests.factories import OfficialFactory, PositionFactory, UserFactory
from tests.support.payment_sandbox import CLIENT_ID, SECRET, SandboxProcess

PURPOSE = "test_fee"
QN_JUSTICE = "000.00.01.H49"  # Sở Tư pháp tỉnh Quảng Ninh (collecting agency)
QN_CENTRE = "000.00.20.H49"  # Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh (counter)
QN_PROVINCE = "000.00.00.H49"
NA_JUSTICE = "000.00.01.H41"
SETTLED_ACTION = "test.payment_settled"


def settled_handler(request, transaction):
    """The test purpose's settlement: a row in the same transaction (rolled back with it)."""
    audit_record(
        action=SETTLED_ACTION,
        object_type="payments.paymentrequest",
        object_id=str(request.pk),
        after={"transaction": str(transaction.pk) if transaction is not None else None},
    )


def settlements(request) -> int:
    return AuditEvent.objects.filter(action=SETTLED_ACTION, object_id=str(request.pk)).count()


@pytest.fixture(autouse=True)
def test_purpose():
    payment_settlement_handler_register(PURPOSE, settled_handler)
    yield PURPOSE
    payment_settlement_handler_unregister(PURPOSE)


@pytest.fixture(autouse=True)
def _gateway_settings(settings):
    settings.PAYMENT_GATEWAYS = ["sandbox"]
    settings.PAYMENT_SANDBOX_CLIENT_ID = CLIENT_ID
    settings.PAYMENT_SANDBOX_SECRET = SECRET
    settings.PAYMENT_SANDBOX_URL = "http://127.0.0.1:9"  # nothing listens: tests that need the sandbox start it
    settings.PAYMENT_STATUS_QUERY_AFTER_SECONDS = 0
    settings.SITE_URL = "http://127.0.0.1:9"  # callbacks of in-process tests reach no one; live-server tests set it


@pytest.fixture
def directory(db):
    agencies_load_demo(actor=SYSTEM)


def official_in(code: str, role: str, **fields):
    user = OfficialFactory(**fields)
    PositionFactory(user=user, organisation=Organisation.objects.get(code=code), role=role)
    return user


@pytest.fixture
def agency(directory):
    organisation = Organisation.objects.get(code=QN_JUSTICE)
    services.collection_account_set(
        actor=SYSTEM,
        organisation=organisation,
        account_number="3511.0.1054321",
        account_name="Sở Tư pháp tỉnh Quảng Ninh – thu phí, lệ phí",
        treasury_code="0111",
        treasury_name="Kho bạc Nhà nước khu vực V",
    )
    return organisation


@pytest.fixture
def counter_organisation(directory):
    return Organisation.objects.get(code=QN_CENTRE)


@pytest.fixture
def clerk(counter_organisation):
    return official_in(QN_CENTRE, Role.ONE_STOP_CLERK)


@pytest.fixture
def specialist(agency):
    return official_in(QN_JUSTICE, Role.SPECIALIST)


@pytest.fixture
def leader(agency):
    return official_in(QN_JUSTICE, Role.AGENCY_LEADER)


@pytest.fixture
def province_admin(directory):
    return official_in(QN_PROVINCE, Role.AGENCY_ADMIN)


@pytest.fixture
def foreign_leader(directory):
    return official_in(NA_JUSTICE, Role.AGENCY_LEADER)


@pytest.fixture
def payer(db):
    return UserFactory(full_name="Nguyễn Thị Hoa", personal_id="022190000123")


@pytest.fixture
def other_citizen(db):
    return UserFactory()


LINES = (
    FeeLine(
        code="LLTP", name="Phí cấp Phiếu lý lịch tư pháp", kind="fee", unit_amount=200000, quantity=1, amount=200000
    ),
    FeeLine(code="BANSAO", name="Phí cấp bản sao", kind="fee", unit_amount=5000, quantity=2, amount=10000),
)


def make_request(agency, payer=None, *, counter=None, refundable=True, reference="000.00.20.H49-260302-0001", **extra):
    return services.payment_request_create(
        actor=SYSTEM,
        purpose=PURPOSE,
        subject_id=extra.pop("subject_id", None),
        reference=reference,
        organisation=agency,
        counter_organisation=counter,
        procedure_code="1.001193",
        procedure_name="Cấp Phiếu lý lịch tư pháp",
        payer_name=payer.full_name if payer else "Trần Văn Nam",
        payer_identifier=payer.personal_id if payer else "001090000777",
        payer_user=payer,
        lines=extra.pop("lines", LINES),
        refundable=refundable,
        **extra,
    )


@pytest.fixture
def bill(agency, payer, counter_organisation):
    return make_request(agency, payer, counter=counter_organisation)


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory):
    process = SandboxProcess.start(database=tmp_path_factory.mktemp("paysandbox") / "sandbox.sqlite3")
    yield process
    process.stop()


@pytest.fixture
def sandbox(sandbox_process, settings):
    sandbox_process.control(reset=True, retry_delays=[0.05, 0.1, 0.2], max_attempts=4)
    settings.PAYMENT_SANDBOX_URL = sandbox_process.url
    return sandbox_process


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run what a service left for after its commit (refunds sent to the gateway): the test's own transaction
    never commits."""
    return django_capture_on_commit_callbacks


@pytest.fixture
def auditor(directory):
    """An auditor (the role reads everything, wherever it is held); placed in the demo directory, whose codes the
    shared factories' organisations could collide with."""
    return official_in(QN_PROVINCE, Role.AUDITOR)


@pytest.fixture
def platform_admin(directory):
    return official_in(QN_PROVINCE, Role.PLATFORM_ADMIN)
