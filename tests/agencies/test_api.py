import datetime as dt

import pytest

from motcua.agencies.models import Organisation, Position, Role, Unit
from motcua.agencies.rules import SYSTEM_ACTOR
from motcua.agencies.services import agencies_load_demo, position_assign
from motcua.core.models import AuditEvent
from tests.agencies.conftest import signed_in
from tests.factories import OfficialFactory

pytestmark = pytest.mark.django_db

BASE = "/api/v1/agencies"


@pytest.fixture
def demo(db):
    agencies_load_demo()


def _codes(response):
    return [item["code"] for item in response.json()["items"]]


# --- public directory -------------------------------------------------------------------------------------


def test_anyone_can_list_the_directory_page_by_page(client, demo):
    response = client.get(f"{BASE}/organisations", {"page": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == Organisation.objects.filter(is_active=True).count() == 53
    assert len(body["items"]) == 50
    assert body["items"][0]["kind"] == "government"  # the top of the tree first
    second = client.get(f"{BASE}/organisations", {"page": 2}).json()
    assert len(second["items"]) == 3


@pytest.mark.parametrize(
    "query", ["uy ban nhan dan tinh quang ninh", "Ủy ban nhân dân tỉnh Quảng Ninh", "UỶ BAN NHÂN DÂN TỈNH QUẢNG NINH"]
)
def test_search_works_with_or_without_diacritics(client, demo, query):
    response = client.get(f"{BASE}/organisations", {"q": query})
    assert _codes(response) == ["000.00.00.H49"]


def test_search_by_abbreviation_code_and_filters(client, demo):
    assert _codes(client.get(f"{BASE}/organisations", {"q": "vpcp"})) == ["000.00.00.G22"]
    assert _codes(client.get(f"{BASE}/organisations", {"q": "000.00.18.G12"})) == ["000.00.18.G12"]
    ministries = client.get(f"{BASE}/organisations", {"kind": "ministry"}).json()
    assert ministries["count"] == 5
    under_finance = _codes(client.get(f"{BASE}/organisations", {"parent": "000.00.00.G12"}))
    assert sorted(under_finance) == ["000.00.18.G12", "000.00.19.G12"]
    communes = client.get(f"{BASE}/organisations", {"kind": "commune", "q": "dac khu"}).json()
    assert {item["name"] for item in communes["items"]} >= {"Ủy ban nhân dân đặc khu Vân Đồn"}


def test_detail_by_code_or_id_with_units_and_children(client, demo):
    response = client.get(f"{BASE}/organisations/000.00.00.G22")
    assert response.status_code == 200
    body = response.json()
    assert body["abbreviation"] == "VPCP" and body["parent_code"] is None
    assert [ancestor["kind"] for ancestor in body["ancestors"]] == ["government"]
    assert {unit["abbreviation"] for unit in body["units"]} >= {"TTĐT", "KSTT"}
    province = Organisation.objects.get(code="000.00.00.H49")
    by_id = client.get(f"{BASE}/organisations/{province.pk}").json()
    assert by_id["code"] == "000.00.00.H49"
    assert {child["kind"] for child in by_id["children"]} == {"provincial_department", "service_centre", "commune"}
    government = client.get(f"{BASE}/organisations/government").json()
    assert government["code"] is None and len(government["children"]) == 10


def test_unknown_organisation_is_404_in_the_error_format(client, demo):
    response = client.get(f"{BASE}/organisations/000.00.00.Z99")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- writes: authorisation --------------------------------------------------------------------------------

NEW_MINISTRY = {
    "code": "000.00.00.G08",
    "name": "Bộ Nội vụ",
    "abbreviation": "BNV",
    "kind": "ministry",
    "parent": "government",
}


def _nothing_written(before):
    return (Organisation.objects.count(), Unit.objects.count(), AuditEvent.objects.count()) == before


def _counts():
    return (Organisation.objects.count(), Unit.objects.count(), AuditEvent.objects.count())


def test_create_refused_for_anonymous(client, demo):
    before = _counts()
    response = client.post(f"{BASE}/organisations", NEW_MINISTRY, content_type="application/json")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert _nothing_written(before)


def test_create_refused_for_a_citizen_and_an_unrelated_official(client, demo, citizen, unrelated_official):
    before = _counts()
    for user in (citizen, unrelated_official):
        response = signed_in(client, user).post(f"{BASE}/organisations", NEW_MINISTRY, content_type="application/json")
        assert response.status_code == 403, user
        assert response.json()["code"] == "permission_denied"
        client.logout()
    assert _nothing_written(before)


def test_platform_admin_creates_and_changes_an_organisation(client, demo, platform_admin):
    signed_in(client, platform_admin)
    response = client.post(f"{BASE}/organisations", NEW_MINISTRY, content_type="application/json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["parent_code"] is None and body["ancestors"][0]["kind"] == "government"
    created = Organisation.objects.get(code="000.00.00.G08")
    assert AuditEvent.objects.filter(action="agencies.organisation_create", object_id=str(created.pk)).exists()

    response = client.patch(
        f"{BASE}/organisations/{created.pk}", {"phone": "024 3824 0000"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["phone"] == "024 3824 0000"
    created.refresh_from_db()
    assert created.name == "Bộ Nội vụ"  # fields not sent are untouched


def test_create_with_invalid_data_is_422_with_field_details(client, demo, platform_admin):
    signed_in(client, platform_admin)
    before = _counts()
    response = client.post(
        f"{BASE}/organisations", {**NEW_MINISTRY, "code": "000.00.00.G12"}, content_type="application/json"
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed" and list(body["details"]) == ["code"]
    response = client.post(
        f"{BASE}/organisations", {**NEW_MINISTRY, "parent": "000.00.00.Z99"}, content_type="application/json"
    )
    assert response.status_code == 422 and "parent" in response.json()["details"]
    assert _nothing_written(before)


def test_patch_refused_for_an_unrelated_official(client, demo, unrelated_official):
    finance = Organisation.objects.get(code="000.00.00.G12")
    response = signed_in(client, unrelated_official).patch(
        f"{BASE}/organisations/{finance.pk}", {"name": "Bộ khác"}, content_type="application/json"
    )
    assert response.status_code == 403
    finance.refresh_from_db()
    assert finance.name == "Bộ Tài chính"


def test_agency_admin_adds_units_to_own_organisation_only(client, demo):
    finance = Organisation.objects.get(code="000.00.00.G12")
    admin = position_assign(
        actor=SYSTEM_ACTOR,
        user=OfficialFactory(),
        organisation=finance,
        role=Role.AGENCY_ADMIN,
        valid_from=dt.date(2025, 1, 1),
    ).user
    signed_in(client, admin)
    response = client.post(
        f"{BASE}/organisations/000.00.00.G12/units",
        {"code": "VP-TH", "name": "Phòng Tổng hợp", "abbreviation": "TH", "parent_code": "VP"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert Unit.objects.get(pk=response.json()["id"]).parent.code == "VP"
    # Under its own tree: a department of the ministry.
    response = client.post(
        f"{BASE}/organisations/000.00.18.G12/units", {"code": "P1", "name": "Phòng 1"}, content_type="application/json"
    )
    assert response.status_code == 201

    before = _counts()
    response = client.post(
        f"{BASE}/organisations/000.00.00.H49/units", {"code": "P1", "name": "Phòng 1"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert _nothing_written(before)


# --- staff positions ----------------------------------------------------------------------------------------


def test_positions_are_visible_to_the_agency_admin_only(client, demo, citizen, unrelated_official):
    province = Organisation.objects.get(code="000.00.00.H49")
    admin = position_assign(
        actor=SYSTEM_ACTOR,
        user=OfficialFactory(),
        organisation=province,
        role=Role.AGENCY_ADMIN,
        valid_from=dt.date(2025, 1, 1),
    ).user
    url = f"{BASE}/organisations/000.00.00.H49/positions"
    assert client.get(url).status_code == 401
    for user in (citizen, unrelated_official):
        assert signed_in(client, user).get(url).status_code == 403
        client.logout()
    response = signed_in(client, admin).get(url)
    assert response.status_code == 200
    assert [item["role"] for item in response.json()["items"]] == ["agency_admin"]


def test_assign_and_end_a_position_through_the_api(client, demo, platform_admin, unrelated_official):
    clerk = OfficialFactory()
    payload = {
        "user_id": str(clerk.pk),
        "organisation": "000.00.20.H49",
        "unit_id": str(Unit.objects.get(organisation__code="000.00.20.H49", code="TN").pk),
        "role": "one_stop_clerk",
        "title": "Công chức tiếp nhận",
        "valid_from": "2025-07-01",
    }
    before = Position.objects.count()
    response = signed_in(client, unrelated_official).post(f"{BASE}/positions", payload, content_type="application/json")
    assert response.status_code == 403 and Position.objects.count() == before
    client.logout()

    signed_in(client, platform_admin)
    response = client.post(f"{BASE}/positions", payload, content_type="application/json")
    assert response.status_code == 201, response.json()
    position_id = response.json()["id"]
    response = client.post(
        f"{BASE}/positions", {**payload, "valid_from": "2025-08-01"}, content_type="application/json"
    )
    assert response.status_code == 409  # overlaps the first one

    response = client.post(f"{BASE}/positions/{position_id}/end", {"on": "2025-12-31"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["valid_until"] == "2025-12-31"
    response = client.post(f"{BASE}/positions/{position_id}/end", {"on": "2026-01-31"}, content_type="application/json")
    assert response.status_code == 409 and response.json()["code"] == "position_ended"


def test_a_citizen_cannot_be_given_a_position(client, demo, platform_admin, citizen):
    response = signed_in(client, platform_admin).post(
        f"{BASE}/positions",
        {"user_id": str(citizen.pk), "organisation": "000.00.00.H49", "role": "specialist", "valid_from": "2025-07-01"},
        content_type="application/json",
    )
    assert response.status_code == 422 and "user" in response.json()["details"]
    assert not Position.objects.filter(user=citizen).exists()
