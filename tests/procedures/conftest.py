"""Fixtures of the procedure catalogue tests: the demo directory, a valid definition, signed-in clients."""

from __future__ import annotations

import copy

import pytest

from motcua.agencies.models import Organisation, Role
from motcua.agencies.services import agencies_load_demo
from motcua.core.models import AuditEvent
from motcua.procedures.models import Procedure, ProcedureVersion
from tests.conftest import official_with_role
from tests.factories import OrganisationFactory
from tests.support.sessions import sign_in_with_second_factor

# A small, valid definition implemented by the Quảng Ninh Department of Justice of the demo directory.
DEFINITION = {
    "code": "9.000001",
    "name": "Cấp bản sao văn bằng thử nghiệm",
    "field": {"code": "thu-nghiem", "name": "Thử nghiệm"},
    "level": "province",
    "online_level": "full",
    "implementing_organisation_code": "000.00.01.H49",
    "receiving_organisation_codes": ["000.00.01.H49", "000.00.20.H49"],
    "legal_bases": ["Nghị định số 23/2015/NĐ-CP"],
    "applicant_kinds": ["citizen"],
    "processing_hours": 24,
    "result_name": "Bản sao",
    "components": [
        {"code": "DON", "name": "Đơn đề nghị", "originals": 1},
        {"code": "CCCD", "name": "Căn cước", "copies": 1, "reusable": True},
    ],
    "fees": [{"code": "LP", "name": "Lệ phí", "amount": 1250000, "basis": "fixed", "exempt_categories": ["Trẻ em"]}],
    "form_fields": [
        {"name": "full_name", "label": "Họ tên", "type": "text", "required": True, "prefill": "full_name"},
        {"name": "married", "label": "Đã kết hôn", "type": "checkbox"},
        {
            "name": "spouse",
            "label": "Họ tên vợ/chồng",
            "type": "text",
            "show_if": {"field": "married", "equals": "yes"},
        },
    ],
    "workflow": [
        {"code": "TN", "name": "Tiếp nhận", "role": "one_stop_clerk", "allotted_hours": 4},
        {"code": "XL", "name": "Xử lý", "role": "specialist", "allotted_hours": 12},
        {"code": "KY", "name": "Ký", "role": "agency_leader", "allotted_hours": 4},
        {"code": "TKQ", "name": "Trả kết quả", "role": "one_stop_clerk", "allotted_hours": 4},
    ],
    "plain_guide": "Mang đơn và căn cước.",
}


def definition(**changes):
    """A deep copy of the valid definition with some top-level keys changed."""
    data = copy.deepcopy(DEFINITION)
    data.update(changes)
    return data


@pytest.fixture
def demo_agencies(db):
    agencies_load_demo()


@pytest.fixture
def justice_department(demo_agencies):
    return Organisation.objects.get(code="000.00.01.H49")


@pytest.fixture
def province_admin(demo_agencies):
    """An agency administrator of Quảng Ninh (and so of its departments and communes)."""
    return official_with_role(Role.AGENCY_ADMIN, organisation=Organisation.objects.get(code="000.00.00.H49"))


@pytest.fixture
def unrelated_admin(demo_agencies):
    """An agency administrator of Nghệ An, who has no say over Quảng Ninh's procedures."""
    return official_with_role(Role.AGENCY_ADMIN, organisation=Organisation.objects.get(code="000.00.00.H41"))


@pytest.fixture
def platform_admin(db):
    return official_with_role(
        Role.PLATFORM_ADMIN, organisation=OrganisationFactory(code="000.00.00.T10", kind=Organisation.Kind.OTHER)
    )


@pytest.fixture
def demo_catalogue(demo_agencies):
    from motcua.procedures.services import procedures_load_demo

    return procedures_load_demo()


def counts():
    return (Procedure.objects.count(), ProcedureVersion.objects.count(), AuditEvent.objects.count())


def signed_in(client, user):
    """A client signed in as the user; officials also pass their second factor, as the platform requires."""
    if getattr(user, "kind", "") == "official" or user.is_staff or user.is_superuser:
        return sign_in_with_second_factor(client, user)
    client.force_login(user)
    return client


@pytest.fixture(autouse=True)
def english_messages():
    """Assertions on messages read the English source text, whatever the default language is."""
    from django.utils import translation

    with translation.override("en"):
        yield
