"""Fixtures of the edXML tests: the hand-written packages, small limits, and agency seals from the dev PKI."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from motcua.exchange.edxml import (
    Attachment,
    Code,
    DocumentType,
    MessageHeader,
    Organ,
    Package,
    ParseLimits,
    PromulgationInfo,
    SignerInfo,
    TraceHeaderList,
)
from motcua.exchange.edxml.codes import VIETNAM
from motcua.signatures.models import Certificate
from motcua.signatures.services import CertifiedKey, DevPki, certificate_issue
from tests.signatures.conftest import SIGNING_PIN, dev_pki, dev_pki_files  # noqa: F401  (fixtures)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
QUANG_NINH = "000.00.00.H49"
GOVERNMENT_OFFICE = "000.00.00.G22"


def fixture_path(name: str) -> Path:
    """A fixture package by its path below fixtures/, e.g. ``valid/minimal.edxml``."""
    return FIXTURES / name


def fixture_bytes(name: str) -> bytes:
    return fixture_path(name).read_bytes()


@pytest.fixture
def temp_dir(tmp_path: Path) -> Path:
    """Where a test's packages decode their attachments, so the test can see what is left behind."""
    directory = tmp_path / "edxml-temp"
    directory.mkdir()
    return directory


@pytest.fixture
def limits(temp_dir: Path) -> ParseLimits:
    return ParseLimits(max_attachment_bytes=64 * 1024, temp_dir=str(temp_dir))


def header_make(**changes: object) -> MessageHeader:
    """The header of a document from Quảng Ninh's People's Committee to the Government Office."""
    fields: dict[str, object] = {
        "from_organ": Organ(organ_id=QUANG_NINH, organ_name="Ủy ban nhân dân tỉnh Quảng Ninh"),
        "to_organs": (Organ(organ_id=GOVERNMENT_OFFICE, organ_name="Văn phòng Chính phủ"),),
        "document_id": f"{QUANG_NINH},2024/03/15,125/UBND-VX",
        "code": Code(code_number="125", code_notation="UBND-VX"),
        "promulgation_info": PromulgationInfo(place="Quảng Ninh", promulgation_date=dt.date(2024, 3, 15)),
        "document_type": DocumentType(type_code=1, type_name="Công văn"),
        "subject": "V/v báo cáo tình hình triển khai dịch vụ công trực tuyến quý I năm 2024",
        "signer_info": SignerInfo(competence="TM. UBND", position="Chủ tịch", full_name="Nguyễn Văn Thắng"),
    }
    fields.update(changes)
    return MessageHeader(**fields)  # type: ignore[arg-type]


def package_make(*, attachments: tuple[Attachment, ...] | None = None, **changes: object) -> Package:
    at = dt.datetime(2024, 3, 15, 8, 30, tzinfo=VIETNAM)
    return Package(
        header=header_make(**changes),
        trace=TraceHeaderList().with_hop(organ_id=QUANG_NINH, at=at),
        attachments=attachments
        if attachments is not None
        else (
            Attachment(
                name="bao-cao-quy-1.pdf",
                content=b"%PDF-1.4\n% b\xc3\xa1o c\xc3\xa1o\n%%EOF\n",
                content_type="application/pdf",
                description="Báo cáo",
            ),
        ),
    )


def _seal(pki: DevPki, *, code: str, name: str) -> CertifiedKey:
    return certificate_issue(pki=pki, kind=Certificate.Kind.AGENCY_SEAL, common_name=name, organisation_code=code)


@pytest.fixture
def quang_ninh_seal(dev_pki: DevPki, settings) -> CertifiedKey:  # noqa: F811
    """Quảng Ninh People's Committee's seal certificate, issued by the dev PKI (which this deployment trusts)."""
    settings.TRUST_DEV_PKI = True
    settings.TRUST_ANCHORS = []
    return _seal(dev_pki, code=QUANG_NINH, name="Ủy ban nhân dân tỉnh Quảng Ninh")


@pytest.fixture
def government_office_seal(dev_pki: DevPki) -> CertifiedKey:  # noqa: F811
    return _seal(dev_pki, code=GOVERNMENT_OFFICE, name="Văn phòng Chính phủ")


def signer_make(seal: CertifiedKey, *, code: str):
    """The seal's key kept encrypted under SIGNING_PIN and unlocked by a document clerk of its organisation."""
    from motcua.agencies.models import Role
    from motcua.signatures.keys import signing_key_create_software, signing_key_unlock
    from tests.factories import OfficialFactory, OrganisationFactory, PositionFactory

    organisation = OrganisationFactory(code=code)
    clerk = PositionFactory(role=Role.DOCUMENT_CLERK, organisation=organisation, user=OfficialFactory()).user
    row = Certificate.objects.get(serial_number=seal.serial_number)
    row.organisation = organisation
    row.save(update_fields=["organisation"])
    key = signing_key_create_software(certificate_row=row, private_key=seal.private_key, pin=SIGNING_PIN)
    return signing_key_unlock(signing_key=key, pin=SIGNING_PIN, actor=clerk), clerk


@pytest.fixture
def quang_ninh_signer(quang_ninh_seal: CertifiedKey):
    """(KeySigner, clerk) for Quảng Ninh People's Committee's seal."""
    return signer_make(quang_ninh_seal, code=QUANG_NINH)
