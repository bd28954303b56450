"""The base layout: landmarks, skip link, navigation per kind of user, language switcher, messages, form includes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.contrib.staticfiles import finders
from django.shortcuts import render
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from tests.factories import OfficialFactory, PositionFactory, UserFactory
from tests.web.conftest import page, sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def test_base_layout_has_landmarks_skip_link_and_language(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    html = page(response)
    assert html.find("html").attrs["lang"] == "vi"
    # The skip link is the first link on the page and targets the main landmark.
    first_link = html.find_all("a")[0]
    assert first_link.attrs["href"] == "#main"
    assert "skip-link" in first_link.attrs["class"]
    assert first_link.text.strip() == "Chuyển đến nội dung chính"
    assert len(html.find_all("main", id="main")) == 1
    assert len(html.find_all("header")) == 1
    assert len(html.find_all("footer")) == 1
    navigation = html.find("nav")
    assert navigation.attrs["aria-label"] == "Menu chính"
    assert html.find("title").text.strip().endswith(settings.PLATFORM_NAME)
    assert html.find("meta", name="viewport")


def test_messages_are_announced_in_a_live_region():
    request = RequestFactory().get("/")
    SessionMiddleware(lambda request: None).process_request(request)
    MessageMiddleware(lambda request: None).process_request(request)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    messages.success(request, "Hồ sơ đã được tiếp nhận.")
    html = page(render(request, "web/home.html"))
    region = html.find("div", id="messages")
    assert region.attrs["aria-live"] == "polite"
    assert region.attrs["role"] == "status"
    assert "Hồ sơ đã được tiếp nhận." in region.text
    assert html.find("li", **{"class": "message message--success"})


def test_empty_live_region_is_present_for_later_announcements(client):
    region = page(client.get("/")).find("div", id="messages")
    assert region.attrs["aria-live"] == "polite"
    assert region.text.strip() == ""


def test_navigation_for_anonymous_visitor(client):
    html = page(client.get("/"))
    links = {link.attrs["href"]: link.text.strip() for link in _nav_links(html)}
    assert links[reverse("web:home")] == "Trang chủ"
    assert links[reverse("agencies:list")] == "Danh bạ cơ quan"
    assert links[reverse("accounts:login")] == "Đăng nhập"
    assert reverse("web:workspace") not in links
    assert "/admin/" not in links
    home_link = next(link for link in html.find_all("a") if link.attrs.get("aria-current") == "page")
    assert home_link.attrs["href"] == "/"


def _nav_links(html):
    nav_started = False
    links = []
    for element in html.elements:
        if element.tag == "nav":
            nav_started = True
        elif nav_started and element.tag == "a":
            links.append(element)
        elif nav_started and element.tag == "main":
            break
    return links


def test_navigation_for_citizen_has_account_and_post_sign_out(client):
    client.force_login(UserFactory())
    html = page(client.get("/"))
    links = {link.attrs["href"] for link in _nav_links(html)}
    assert reverse("accounts:profile") in links
    assert reverse("accounts:login") not in links
    assert reverse("web:workspace") not in links
    sign_out = html.find("form", action=reverse("accounts:logout"))
    assert sign_out.attrs["method"] == "post"
    assert html.find_all("input", name="csrfmiddlewaretoken")


def test_navigation_for_official_and_staff(client):
    official = OfficialFactory(is_staff=True)
    PositionFactory(user=official)
    sign_in_with_second_factor(client, official)
    response = client.get("/")
    assert response.status_code == 200
    links = {link.attrs["href"] for link in _nav_links(page(response))}
    assert reverse("web:workspace") in links
    assert "/admin/" in links


def test_official_without_staff_rights_sees_no_administration(client):
    official = OfficialFactory()
    sign_in_with_second_factor(client, official)
    links = {link.attrs["href"] for link in _nav_links(page(client.get("/")))}
    assert reverse("web:workspace") in links
    assert "/admin/" not in links


def test_language_switcher_is_a_plain_form_with_one_button_per_language(client):
    response = client.get(reverse("agencies:list"))
    html = page(response)
    form = html.find("form", action=reverse("set_language"))
    assert form.attrs["method"] == "post"
    assert html.find("input", name="next").attrs["value"] == reverse("agencies:list")
    buttons = html.find_all("button", name="language")
    assert [button.attrs["value"] for button in buttons] == ["vi", "en", "fr"]
    assert [button.attrs["lang"] for button in buttons] == ["vi", "en", "fr"]
    assert all(button.attrs["type"] == "submit" for button in buttons)
    assert [button.text.strip() for button in buttons] == ["Tiếng Việt", "English", "Français"]
    assert [button.attrs.get("aria-current") for button in buttons] == ["true", None, None]


def test_switching_language_works_without_javascript(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": reverse("agencies:list")})
    assert response.status_code == 302
    assert response["Location"] == reverse("agencies:list")
    html = page(client.get("/"))
    assert html.find("html").attrs["lang"] == "en"
    current = [button.attrs["value"] for button in html.find_all("button", name="language", aria_current="true")]
    assert current == ["en"]


def test_htmx_is_served_from_our_own_static_files_and_nothing_from_elsewhere(client):
    html = page(client.get("/"))
    scripts = [script.attrs["src"] for script in html.find_all("script")]
    assert any(re.fullmatch(r"/static/django_htmx/htmx-2\.min\.js", src) for src in scripts)
    assert all(src.startswith("/static/") for src in scripts)
    stylesheets = [link.attrs["href"] for link in html.find_all("link", rel="stylesheet")]
    assert stylesheets == ["/static/web/motcua.css"]
    assert finders.find("django_htmx/htmx-2.min.js")
    css = Path(finders.find("web/motcua.css")).read_text()
    assert "@import" not in css
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", css)
    assert "@media print" in css
    assert ":focus-visible" in css


class ApplicationForm(forms.Form):
    full_name = forms.CharField(label="Họ và tên", help_text="Như trên căn cước")
    kind = forms.ChoiceField(label="Loại", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)
    note = forms.CharField(label="Ghi chú", required=False)

    def clean(self):
        raise forms.ValidationError("Hồ sơ chưa đầy đủ.")


def render_form(form) -> str:
    template = Template(
        '{% include "web/includes/form_errors.html" %}'
        '{% for field in form %}{% include "web/includes/field.html" %}{% endfor %}'
    )
    return template.render(Context({"form": form}))


def test_form_includes_link_errors_to_fields_and_describe_them():
    form = ApplicationForm(data={"note": "x"})
    assert not form.is_valid()
    html = page(render_form(form))
    summary = html.find("div", **{"class": "error-summary"})
    assert summary.attrs["role"] == "alert"
    assert "Hồ sơ chưa đầy đủ." in summary.text
    targets = [link.attrs["href"] for link in html.find_all("a")]
    assert targets == ["#id_full_name", "#id_kind_0"]
    full_name = html.find("input", name="full_name")
    assert full_name.attrs["aria-invalid"] == "true"
    described_by = full_name.attrs["aria-describedby"].split()
    assert set(described_by) == {"id_full_name_helptext", "id_full_name_error"}
    assert html.find("p", id="id_full_name_helptext").text == "Như trên căn cước"
    assert html.find("p", id="id_full_name_error").text.strip().endswith(str(form.errors["full_name"][0]))
    assert html.find("label", **{"for": "id_full_name"}).text.startswith("Họ và tên")
    # Radio buttons are grouped in a fieldset whose legend is the question.
    fieldset = html.find("fieldset")
    assert "id_kind_error" in fieldset.attrs["aria-describedby"]
    assert html.find("legend").text.startswith("Loại")
    # Optional fields say so; valid fields are not marked invalid.
    note = html.find("input", name="note")
    assert "aria-invalid" not in note.attrs
    assert "không bắt buộc" in html.find("label", **{"for": "id_note"}).text


def test_form_includes_render_nothing_extra_for_a_valid_form():
    form = ApplicationForm()
    html = page(render_form(form))
    assert not html.find_all("div", role="alert")
    assert "aria-invalid" not in html.find("input", name="full_name").attrs
