import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import translation

from motcua.agencies import services
from motcua.agencies.models import Organisation, Unit
from motcua.agencies.services import agencies_load_demo
from motcua.core.models import AuditEvent
from motcua.core.permissions import SYSTEM
from tests.agencies.conftest import signed_in
from tests.factories import OfficialFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    agencies_load_demo()


def _english(client):
    client.cookies["django_language"] = "en"
    return client


def test_directory_lists_organisations_with_an_accessible_search_form(client, demo):
    response = _english(client).get(reverse("agencies:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form method="get"' in html and 'role="search"' in html
    assert '<label class="field__label" for="directory-q">' in html
    assert '<label class="field__label" for="directory-kind">' in html
    assert "<caption" in html and '<th scope="col">' in html
    assert "53 organisations found." in html
    assert "Văn phòng Chính phủ" in html
    # 25 a page: the second page exists and keeps the filters.
    assert 'href="?page=2"' in html
    assert reverse("agencies:detail", args=["000.00.00.G22"]) in html


@pytest.mark.parametrize("query", ["uy ban nhan dan tinh quang ninh", "Ủy ban nhân dân tỉnh Quảng Ninh"])
def test_directory_search_with_or_without_diacritics(client, demo, query):
    response = _english(client).get(reverse("agencies:list"), {"q": query})
    html = response.content.decode()
    assert "1 organisation found." in html
    assert "000.00.00.H49" in html
    assert "Ủy ban nhân dân tỉnh Nghệ An" not in html


def test_directory_kind_filter_and_pagination_keep_the_query(client, demo):
    response = _english(client).get(reverse("agencies:list"), {"kind": "commune"})
    html = response.content.decode()
    assert "18 organisations found." in html
    assert "Bộ Tài chính" not in html.split("<table", 1)[1]
    response = client.get(reverse("agencies:list"), {"q": "n", "page": 2})
    assert response.status_code == 200
    assert 'href="?q=n&amp;page=1"' in response.content.decode()


def test_unknown_kind_is_ignored(client, demo):
    response = _english(client).get(reverse("agencies:list"), {"kind": "castle"})
    assert "53 organisations found." in response.content.decode()


def test_detail_shows_code_breadcrumb_units_children_and_contact(client, demo):
    response = _english(client).get(reverse("agencies:detail", args=["000.00.00.G22"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert '<nav aria-label="Breadcrumb">' in html
    assert "Chính phủ nước Cộng hòa xã hội chủ nghĩa Việt Nam" in html  # the parent, in the breadcrumb
    assert "<h1>Văn phòng Chính phủ</h1>" in html
    assert "<code>000.00.00.G22</code>" in html and "VPCP" in html
    assert "Cục Kiểm soát thủ tục hành chính" in html and "TTĐT" in html
    assert "https://vpcp.chinhphu.vn" in html

    province = _english(client).get(reverse("agencies:detail", args=["000.00.00.H49"])).content.decode()
    assert "Bodies under Ủy ban nhân dân tỉnh Quảng Ninh" in province
    assert "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh" in province
    assert reverse("agencies:detail", args=["000.00.31.H49"]) in province


def test_detail_of_the_government_and_unknown_codes(client, demo):
    government = Organisation.objects.get(kind="government")
    assert client.get(reverse("agencies:detail", args=[str(government.pk)])).status_code == 200
    assert client.get(reverse("agencies:detail", args=["government"])).status_code == 200
    assert client.get(reverse("agencies:detail", args=["000.00.00.Z99"])).status_code == 404


def test_pages_are_translated(client, demo):
    with translation.override("vi"):
        response = client.get(reverse("agencies:list"), HTTP_ACCEPT_LANGUAGE="vi")
    assert response.status_code == 200
    assert 'lang="vi"' in response.content.decode()


def test_admin_saves_and_deletes_through_the_services(client, demo):
    superuser = OfficialFactory(is_staff=True, is_superuser=True)
    signed_in(client, superuser)
    finance = Organisation.objects.get(code="000.00.00.G12")
    response = client.post(
        reverse("admin:agencies_unit_add"),
        {"organisation": str(finance.pk), "code": "VP", "name": "Văn phòng trùng mã", "is_active": "on"},
    )
    assert response.status_code == 200  # refused by the service: the ministry already has a unit VP
    assert not Unit.objects.filter(name="Văn phòng trùng mã").exists()
    response = client.post(
        reverse("admin:agencies_unit_add"),
        {"organisation": str(finance.pk), "code": "TH", "name": "Phòng Tổng hợp", "is_active": "on"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    unit = Unit.objects.get(organisation=finance, code="TH")
    event = AuditEvent.objects.get(action="agencies.unit_create", object_id=str(unit.pk))
    assert event.actor_id == superuser.pk

    # Deleting an organisation closes it (here refused: it has departments), never removes the row.
    response = client.post(reverse("admin:agencies_organisation_delete", args=[finance.pk]), {"post": "yes"})
    finance.refresh_from_db()
    assert finance.is_active
    assert not LogEntry.objects.filter(object_id=str(finance.pk), action_flag=DELETION).exists()

    # A refusal of the service itself is said on the organisation's page, and the admin's log does not
    # claim a deletion: here the organisation is already closed.
    closed = Organisation.objects.get(code="000.00.00.G12").children.filter(children__isnull=True).first()
    services.organisation_deactivate(actor=SYSTEM, organisation=closed)
    response = client.post(reverse("admin:agencies_organisation_delete", args=[closed.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:agencies_organisation_change", args=[closed.pk])
    shown = [str(message) for message in get_messages(response.wsgi_request)]
    assert shown == ["Cơ quan này đã ngừng hoạt động."]  # the service's reason, in the admin's language
    assert not LogEntry.objects.filter(object_id=str(closed.pk), action_flag=DELETION).exists()

    # A unit with nobody in it is closed: it stays in the records, inactive, and the admin says so.
    response = client.post(reverse("admin:agencies_unit_delete", args=[unit.pk]), {"post": "yes"})
    assert response["Location"] == reverse("admin:agencies_unit_changelist")
    unit.refresh_from_db()
    assert not unit.is_active
    assert "dữ liệu vẫn được lưu giữ" in str(list(get_messages(response.wsgi_request))[-1])
