"""Home, the officials' workspace, error pages, and dates shown in Vietnam's time zone and the reader's language."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from motcua.agencies.models import Role
from tests.factories import OfficialFactory, OrganisationFactory, PositionFactory, UnitFactory, UserFactory
from tests.web.conftest import page, sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def with_language(client: Client, language: str) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def test_home_is_in_vietnamese_by_default_and_links_only_to_real_pages(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    html = page(response)
    assert html.find("h1").text.strip() == "Dịch vụ công, một cửa"
    main_links = {link.attrs["href"] for link in html.find_all("a") if link.attrs["href"].startswith("/")}
    for href in main_links:
        assert client.get(href).status_code == 200, href


def test_home_offers_signed_in_citizen_their_account(client):
    citizen = UserFactory(full_name="Trần Thị Bình")
    client.force_login(citizen)
    html = page(client.get("/"))
    assert "Trần Thị Bình" in html.text("main")
    assert reverse("accounts:profile") in {link.attrs["href"] for link in html.find_all("a")}


def test_workspace_requires_sign_in(client):
    response = client.get(reverse("web:workspace"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert "next=/workspace/" in response["Location"]


def test_workspace_is_refused_to_citizens_with_a_translated_page(client):
    client.force_login(UserFactory())
    response = client.get(reverse("web:workspace"))
    assert response.status_code == 403
    assert page(response).find("h1").text.strip() == "Không có quyền truy cập"


def test_workspace_lists_the_officials_current_positions_only(client, official):
    province = OrganisationFactory(name="Ủy ban nhân dân tỉnh Quảng Ninh", code="000.00.00.H49")
    unit = UnitFactory(organisation=province, name="Bộ phận Một cửa")
    PositionFactory(user=official, organisation=province, unit=unit, role=Role.ONE_STOP_CLERK, title="Công chức")
    PositionFactory(
        user=official,
        organisation=OrganisationFactory(name="Sở Tư pháp cũ"),
        role=Role.SPECIALIST,
        valid_from=dt.date(2019, 1, 1),
        valid_until=dt.date(2019, 12, 31),
    )
    PositionFactory(
        user=official, organisation=OrganisationFactory(name="Sở Tương lai"), valid_from=dt.date(2999, 1, 1)
    )
    PositionFactory(user=OfficialFactory(), organisation=OrganisationFactory(name="Cơ quan của người khác"))
    sign_in_with_second_factor(client, official)

    response = client.get(reverse("web:workspace"))
    assert response.status_code == 200
    html = page(response)
    rows = html.find_all("tr")[1:]
    assert len(rows) == 1
    cells = [" ".join(cell.text.split()) for cell in html.find_all("td")]
    assert cells[0] == "Công chức tiếp nhận một cửa"
    assert cells[1] == "Ủy ban nhân dân tỉnh Quảng Ninh 000.00.00.H49"
    assert cells[2] == "Bộ phận Một cửa"
    assert cells[3] == "Công chức"
    assert cells[4] == "từ 01/01/2020"
    text = html.text("main")
    assert "Sở Tư pháp cũ" not in text
    assert "Sở Tương lai" not in text
    assert "Cơ quan của người khác" not in text
    assert "Bạn đang giữ 1 vị trí công tác." in text


def test_workspace_without_positions_says_what_to_do(client, official):
    sign_in_with_second_factor(client, official)
    html = page(client.get(reverse("web:workspace")))
    assert not html.find_all("table")
    assert "Bạn hiện chưa được phân công vị trí công tác nào." in html.text("main")


def test_workspace_needs_the_second_factor_first(client, official):
    PositionFactory(user=official)
    client.force_login(official)
    response = client.get(reverse("web:workspace"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:otp_setup"))


@pytest.mark.parametrize(
    ("language", "valid", "signed_in", "count"),
    [
        ("vi", "01/01/2020 – 30/06/2031", "03:30 02/01/2026", "Bạn đang giữ 2 vị trí công tác."),
        ("en", "1 Jan 2020 – 30 Jun 2031", "2 Jan 2026, 03:30", "You hold 2 current positions."),
        ("fr", "1 janvier 2020 – 30 juin 2031", "2 janvier 2026 03:30", "Vous occupez 2 fonctions actuelles."),
    ],
)
def test_dates_are_localised_and_in_vietnam_time(client, official, language, valid, signed_in, count):
    PositionFactory(user=official, role=Role.SPECIALIST, valid_until=dt.date(2031, 6, 30))
    PositionFactory(user=official, role=Role.AUDITOR)
    sign_in_with_second_factor(client, official)
    # 20:30 UTC on 1 January is 03:30 on 2 January in Hà Nội (UTC+7).
    official.last_login = dt.datetime(2026, 1, 1, 20, 30, tzinfo=dt.UTC)
    official.save(update_fields=["last_login"])
    html = page(with_language(client, language).get(reverse("web:workspace")))
    start, end = valid.split(" – ")
    valid_cells = [" ".join(cell.text.split()) for cell in html.find_all("td", data_label=_valid_label(language))]
    assert any(start in cell and end in cell for cell in valid_cells), valid_cells
    times = {element.attrs["datetime"]: element.text for element in html.find_all("time")}
    assert times["2026-01-02T03:30:00+07:00"] == signed_in
    today = timezone.localdate()
    assert today.isoformat() in times
    assert count in html.text("main")


def _valid_label(language: str) -> str:
    with translation.override(language):
        return translation.gettext("Valid")


@pytest.mark.parametrize(
    ("language", "title"),
    [("vi", "Không tìm thấy trang"), ("en", "Page not found"), ("fr", "Page introuvable")],
)
def test_not_found_page_is_translated(client, language, title):
    response = with_language(client, language).get("/khong-co-trang-nay/")
    assert response.status_code == 404
    html = page(response)
    assert html.find("h1").text.strip() == title
    assert html.find("html").attrs["lang"] == language
    assert html.find("main", id="main")


@pytest.mark.parametrize(
    ("language", "title"),
    [("vi", "Đã có lỗi xảy ra"), ("en", "Something went wrong"), ("fr", "Une erreur est survenue")],
)
def test_server_error_page_is_translated_and_standalone(language, title):
    with translation.override(language):
        html = page(render_to_string("500.html"))
    assert html.find("h1").text.strip() == title
    assert html.find("html").attrs["lang"] == language
    assert html.find("a", href="#main")


@pytest.mark.urls("tests.web.urls_with_error")
def test_server_error_page_is_what_a_visitor_sees():
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert page(response).find("h1").text.strip() == "Đã có lỗi xảy ra"


def test_expired_form_page_is_translated_and_explains_what_to_do():
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 403
    html = page(response)
    assert html.find("h1").text.strip() == "Ce formulaire a expiré"
    assert html.find("html").attrs["lang"] == "fr"
    assert html.find("a", href="/")
