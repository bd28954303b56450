import pytest

from motcua.core.models import AuditEvent
from motcua.procedures.models import Procedure
from tests.procedures.conftest import DEFINITION, counts, definition, signed_in

pytestmark = pytest.mark.django_db

BASE = "/api/v1/procedures"


def _codes(response):
    return [item["code"] for item in response.json()["items"]]


# --- public catalogue -------------------------------------------------------------------------------------


def test_anyone_searches_the_catalogue_page_by_page(client, demo_catalogue, settings):
    response = client.get(BASE, {"q": "dang ky khai sinh"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and _codes(response) == ["1.001193"]
    item = body["items"][0]
    assert item["implementing_organisation_code"] == "000.00.31.H49" and item["version"] == 1
    assert item["field_code"] == "ho-tich" and item["online_level"] == "full"
    everything = client.get(BASE).json()
    assert everything["count"] == Procedure.objects.count() == 18


def test_api_filters(client, demo_catalogue):
    assert set(_codes(client.get(BASE, {"level": "ministry"}))) == {"1.002051", "1.009962", "1.004623"}
    assert set(_codes(client.get(BASE, {"field": "doanh-nghiep", "organisation": "000.00.00.H41"}))) == {"2.001610"}
    partial = client.get(BASE, {"online_level": "partial"}).json()["items"]
    assert partial and {item["online_level"] for item in partial} == {"partial"}


def test_detail_gives_the_current_version_content(client, demo_catalogue):
    response = client.get(f"{BASE}/2.000488")
    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1 and body["code"] == "2.000488" and body["is_active"] is True
    assert body["content"]["fees"][0]["amount"] == 200000
    assert body["content"]["processing_hours"] == 80
    assert client.get(f"{BASE}/2.000488/versions/1").json()["content"] == body["content"]
    missing = client.get(f"{BASE}/2.000488/versions/7")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    assert client.get(f"{BASE}/0.000000").status_code == 404


def test_fields(client, demo_catalogue):
    response = client.get(f"{BASE}/fields")
    assert response.status_code == 200
    assert {"code": "ho-tich", "name": "Hộ tịch", "procedure_count": 4} in response.json()


# --- staff: drafting and publishing -----------------------------------------------------------------------


def test_province_admin_creates_edits_and_publishes(client, demo_agencies, province_admin):
    signed_in(client, province_admin)
    response = client.post(
        BASE, {"code": DEFINITION["code"], "definition": definition()}, content_type="application/json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["version"] is None
    assert client.get(f"{BASE}/{DEFINITION['code']}").status_code == 404  # not public before publication

    response = client.post(f"{BASE}/{DEFINITION['code']}/publish")
    assert response.status_code == 201 and response.json()["version"] == 1
    again = client.post(f"{BASE}/{DEFINITION['code']}/publish")
    assert again.status_code == 200 and again.json()["version"] == 1  # unchanged: nothing new

    changed = definition(name="Tên mới")
    response = client.put(
        f"{BASE}/{DEFINITION['code']}/draft", {"definition": changed}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["draft"]["name"] == "Tên mới"
    assert client.get(f"{BASE}/{DEFINITION['code']}").json()["content"]["name"] == DEFINITION["name"]
    assert client.post(f"{BASE}/{DEFINITION['code']}/publish").json()["version"] == 2
    assert client.get(f"{BASE}/{DEFINITION['code']}").json()["content"]["name"] == "Tên mới"


def test_publishing_an_invalid_draft_is_422_with_details(client, demo_agencies, platform_admin):
    signed_in(client, platform_admin)
    bad = definition(processing_hours=100)
    assert (
        client.post(BASE, {"code": DEFINITION["code"], "definition": bad}, content_type="application/json").status_code
        == 201
    )
    before = counts()
    response = client.post(f"{BASE}/{DEFINITION['code']}/publish")
    assert response.status_code == 422
    assert response.json()["code"] == "procedure_invalid" and "workflow" in response.json()["details"]
    assert counts() == before


@pytest.fixture
def published(demo_agencies):
    from motcua.core.permissions import SYSTEM
    from motcua.procedures.services import procedures_import

    procedures_import(actor=SYSTEM, definitions=[definition()])
    return Procedure.objects.get(code=DEFINITION["code"])


def _staff_calls(code):
    return [
        ("post", BASE, {"code": "9.000099", "definition": definition(code="9.000099")}),
        ("put", f"{BASE}/{code}/draft", {"definition": definition(name="Không được phép")}),
        ("post", f"{BASE}/{code}/publish", None),
    ]


def _call(client, method, url, payload):
    if payload is None:
        return getattr(client, method)(url)
    return getattr(client, method)(url, payload, content_type="application/json")


def test_staff_endpoints_refuse_anonymous_with_401_and_write_nothing(client, published):
    before = counts()
    for method, url, payload in _staff_calls(published.code):
        response = _call(client, method, url, payload)
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"
    assert counts() == before


def test_staff_endpoints_refuse_a_citizen_and_an_unrelated_agency_admin_with_403(
    client, published, citizen, unrelated_admin
):
    procedure_draft = Procedure.objects.get(pk=published.pk).draft
    before = counts()
    for user in (citizen, unrelated_admin):
        signed_in(client, user)
        for method, url, payload in _staff_calls(published.code):
            response = _call(client, method, url, payload)
            assert response.status_code == 403, (user, url, response.content)
            assert response.json()["code"] == "permission_denied"
        client.logout()
    assert counts() == before
    assert Procedure.objects.get(pk=published.pk).draft == procedure_draft


def test_officials_without_the_second_factor_are_refused(client, published, province_admin):
    client.force_login(province_admin)
    before = counts()
    response = client.post(f"{BASE}/{published.code}/publish")
    assert response.status_code == 403 and response.json()["code"] == "second_factor_required"
    assert counts() == before


def test_public_endpoints_need_no_account(client, published):
    for url in (BASE, f"{BASE}/fields", f"{BASE}/{published.code}", f"{BASE}/{published.code}/versions/1"):
        assert client.get(url).status_code == 200, url
    assert not AuditEvent.objects.filter(action__startswith="procedures.", actor__isnull=False).exists()
