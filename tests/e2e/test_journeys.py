"""Journeys a person makes, in real Chromium against the live server."""

import datetime as dt
import time

import pyotp
import pytest
from playwright.sync_api import expect

from motcua.agencies.models import Role
from motcua.agencies.selectors import organisation_get
from motcua.agencies.services import agencies_load_demo, position_assign
from motcua.core.permissions import SYSTEM
from tests.factories import OfficialFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"


def _fresh_totp_code(totp: pyotp.TOTP, used: set[str]) -> str:
    """A code not used before: django-otp refuses a code twice, so wait for the next 30-second step."""
    code = totp.now()
    while code in used:
        time.sleep(1)
        code = totp.now()
    used.add(code)
    return code


def test_official_signs_in_sets_up_two_factor_and_reaches_the_workspace(page, live_server):
    agencies_load_demo(actor=SYSTEM)
    official = OfficialFactory(username="motcua.qn", full_name="Nguyễn Thị Lan")
    position_assign(
        actor=SYSTEM,
        user=official,
        organisation=organisation_get(code_or_id="000.00.20.H49"),
        role=Role.ONE_STOP_CLERK,
        valid_from=dt.date(2025, 7, 1),
    )

    page.goto(f"{live_server.url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.fill("input[name=username]", "motcua.qn")
    page.fill("input[name=password]", "sai-mat-khau")
    page.click("main form button[type=submit]")
    expect(page.locator("[role=alert]").first).to_be_visible()  # the click does not wait for the new page

    page.fill("input[name=username]", "motcua.qn")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/second-factor/setup/**")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    assert page.locator("figure.qr svg").count() == 1
    totp, used = pyotp.TOTP(secret), set()

    page.fill("input[name=token]", "000000" if totp.now() != "000000" else "111111")
    page.click("main form[action$='/second-factor/setup/'] button[type=submit]")
    expect(page.locator("[role=alert]").first).to_be_visible()  # the click does not wait for the new page

    time.sleep(2.1)  # django-otp slows down guessing after a wrong code; a person would retype anyway
    page.fill("input[name=token]", _fresh_totp_code(totp, used))
    page.click("main form[action$='/second-factor/setup/'] button[type=submit]")
    page.locator("ul.backup-codes").wait_for()  # shown once, right after confirming
    assert page.locator("ul.backup-codes li").count() == 10
    page.locator("main a.button--primary").click()
    page.wait_for_url("**/workspace/**")
    assert "Trung tâm Phục vụ hành chính công tỉnh Quảng Ninh" in page.locator("main").inner_text()

    # Sign out, then sign in again: this time the app's code is asked for.
    page.locator("header form[action$='/logout/'] button, form[action$='/logout/'] button").first.click()
    page.goto(f"{live_server.url}/workspace/")
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "motcua.qn")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/accounts/second-factor/verify/**")
    page.fill("input[name=token]", _fresh_totp_code(totp, used))
    page.click("main form button[type=submit]")
    page.wait_for_url("**/workspace/**")
    assert "Công chức tiếp nhận một cửa" in page.locator("main").inner_text()


def test_citizen_finds_an_agency_without_diacritics_and_switches_language(page, live_server):
    agencies_load_demo(actor=SYSTEM)
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.locator("main a[href$='/agencies/']").first.click()
    page.fill("input[name=q]", "uy ban nhan dan tinh quang ninh")
    page.locator("main form button[type=submit]").first.click()
    page.get_by_role("link", name="Ủy ban nhân dân tỉnh Quảng Ninh").first.click()
    expect(page.locator("main")).to_contain_text("000.00.00.H49")

    page.locator("form[action$='/i18n/setlang/'] button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("main")).to_contain_text("000.00.00.H49")
