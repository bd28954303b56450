"""Fixtures of the exchange tests: two agencies served by this node, their officials and keys, the node key.

The development PKI's CAs are made once per session; each test records them in its own inventory, issues the
agencies' seals and the leader's personal certificate (keys encrypted under ``PIN``) and gives this node a key.
"""

from __future__ import annotations

import datetime as dt
import io

import pytest

from motcua.agencies.models import Organisation, Role
from motcua.core.audit import AuditEvent
from motcua.core.permissions import SYSTEM
from motcua.exchange.identity import node_key_init
from motcua.exchange.models import (
    ChangeRequest,
    DocumentEvent,
    DocumentFile,
    InboundMessage,
    IncomingDocument,
    OutboxMessage,
    OutgoingDocument,
    Recipient,
    RecipientStatus,
)
from motcua.signatures.models import Certificate
from motcua.signatures.services import certificate_issue, pki_create, pki_register
from tests.factories import OfficialFactory, OrganisationFactory, PositionFactory, UnitFactory

PIN = "246810"
# A Monday with no holiday around it (Asia/Ho_Chi_Minh), for registration deadlines.
MONDAY = dt.datetime(2025, 10, 6, 9, 0, tzinfo=dt.UTC)


def simple_pdf(title: str = "Quyết định về việc ban hành quy chế") -> bytes:
    from tests.signatures.conftest import simple_pdf as make

    return make(title)


@pytest.fixture(scope="session")
def dev_pki_files(tmp_path_factory):
    return pki_create(directory=tmp_path_factory.mktemp("pki"), ca_key_size=2048)


@pytest.fixture
def dev_pki(dev_pki_files, settings):
    settings.PKI_DIR = str(dev_pki_files.directory)
    pki_register(pki=dev_pki_files)
    return dev_pki_files


@pytest.fixture
def node(dev_pki, settings, tmp_path):
    """This node's key and certificate, in this test's data directory."""
    settings.EXCHANGE_NODE_ID = "test-node"
    settings.EXCHANGE_NODE_KEY_FILE = tmp_path / "node" / "node-key.pem"
    settings.EXCHANGE_NODE_CERTIFICATE_FILE = tmp_path / "node" / "node-certificate.pem"
    settings.EXCHANGE_SERVED_ORGANISATIONS = []
    settings.EXCHANGE_DIRECTORY_AUTHORITY = ""
    settings.EXCHANGE_DIRECTORY_URL = ""
    return node_key_init(actor=SYSTEM)


class Agency:
    """An organisation with its units and officials: specialist, unit head, leader, document clerk."""

    def __init__(self, organisation: Organisation, *, pki=None, sign: bool = True):
        self.organisation = organisation
        self.unit = UnitFactory(organisation=organisation, code="VP", name="Văn phòng", abbreviation="VP")
        self.other_unit = UnitFactory(organisation=organisation, code="KT", name="Phòng Kinh tế", abbreviation="KT")
        self.specialist = self._official(Role.SPECIALIST, "Chuyên viên", self.unit)
        self.unit_head = self._official(Role.UNIT_HEAD, "Chánh Văn phòng", self.unit)
        self.leader = self._official(Role.AGENCY_LEADER, "Chủ tịch", None)
        self.clerk = self._official(Role.DOCUMENT_CLERK, "Văn thư", self.unit)
        self.other_specialist = self._official(Role.SPECIALIST, "Chuyên viên", self.other_unit)
        if pki is not None and sign:
            certificate_issue(
                pki=pki,
                kind=Certificate.Kind.AGENCY_SEAL,
                common_name=organisation.name,
                organisation_code=organisation.code,
                organisation=organisation,
                key_type="ec",
                pin=PIN,
            )
            certificate_issue(
                pki=pki,
                kind=Certificate.Kind.PERSONAL,
                common_name=self.leader.full_name,
                title="Chủ tịch",
                organisation_name=organisation.name,
                organisation_code=organisation.code,
                organisation=organisation,
                holder=self.leader,
                key_type="ec",
                pin=PIN,
            )

    def _official(self, role, title, unit):
        user = OfficialFactory()
        PositionFactory(user=user, organisation=self.organisation, role=role, title=title, unit=unit)
        return user

    @property
    def code(self) -> str:
        return self.organisation.code


@pytest.fixture
def sender(db, dev_pki):
    return Agency(
        OrganisationFactory(code="000.00.00.H49", name="Ủy ban nhân dân tỉnh Quảng Ninh", abbreviation="UBND"),
        pki=dev_pki,
    )


@pytest.fixture
def receiver(db, dev_pki):
    return Agency(
        OrganisationFactory(code="000.00.00.H41", name="Ủy ban nhân dân tỉnh Nghệ An", abbreviation="UBND"), pki=dev_pki
    )


@pytest.fixture
def outsider(db):
    """An official of an unrelated organisation, with every role there."""
    other = Agency(OrganisationFactory(code="000.00.00.H14", name="Ủy ban nhân dân tỉnh Cao Bằng", abbreviation="UBND"))
    return other


def draft(agency: Agency, recipients: list[str], **data):
    """A draft of ``agency`` by its specialist, with its text as a PDF and one attachment."""
    from motcua.exchange import services

    document = services.outgoing_create(
        actor=agency.specialist,
        organisation=agency.organisation,
        data={
            "document_type": data.pop("document_type", "CV"),
            "subject": data.pop("subject", "V/v triển khai dịch vụ công trực tuyến toàn trình"),
            "content_summary": data.pop("content_summary", "Đề nghị các cơ quan phối hợp triển khai."),
            "recipients": recipients,
            **data,
        },
    )
    pdf = simple_pdf()
    services.outgoing_file_add(
        actor=agency.specialist,
        document=document,
        content=io.BytesIO(pdf),
        name="cong-van.pdf",
        size=len(pdf),
        main=True,
    )
    services.outgoing_file_add(
        actor=agency.specialist,
        document=document,
        content=io.BytesIO(simple_pdf("Phụ lục")),
        name="phu-luc.pdf",
        size=None,
        description="Phụ lục kèm theo",
    )
    return document


def signed(agency: Agency, recipients: list[str], **data):
    from motcua.exchange import services

    document = draft(agency, recipients, **data)
    document = services.outgoing_submit(actor=agency.specialist, document=document)
    document = services.outgoing_review(actor=agency.unit_head, document=document)
    return services.outgoing_approve_and_sign(actor=agency.leader, document=document, pin=PIN)


def sent(agency: Agency, recipients: list[str], **data):
    """A document signed, registered and sent by ``agency`` (queued in the outbox, not delivered yet)."""
    from motcua.exchange import services

    document = signed(agency, recipients, **data)
    document = services.outgoing_register(actor=agency.clerk, document=document)
    return services.outgoing_send(actor=agency.clerk, document=document, pin=PIN)


def deliver():
    from motcua.exchange.transport.outbox import outbox_deliver

    return outbox_deliver()


class Counts:
    """Row counts of everything the exchange writes, to prove a refused call wrote nothing."""

    MODELS = (
        OutgoingDocument,
        IncomingDocument,
        Recipient,
        RecipientStatus,
        DocumentEvent,
        DocumentFile,
        ChangeRequest,
        OutboxMessage,
        InboundMessage,
        AuditEvent,
    )

    def __init__(self, *exclude):
        self.exclude = set(exclude)
        self.before = self.now()

    def now(self):
        return {model.__name__: model.objects.count() for model in self.MODELS if model not in self.exclude}

    def assert_unchanged(self):
        assert self.now() == self.before
