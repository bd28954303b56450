"""A citizen finds their notifications on a phone, in real Chromium: the unread count in the menu, reading one,
marking all read, and choosing not to get SMS."""

import pytest
from playwright.sync_api import expect

from motcua.notifications.models import Notification, NotificationPreference
from motcua.notifications.services import notify
from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]
PASSWORD = "Mat-khau-an-toan-2026"


def test_citizen_reads_notifications_and_turns_sms_off(page, live_server):
    citizen = UserFactory(username="tran.van.binh", full_name="Trần Văn Bình", phone="0912345678")
    for serial in ("54A10001", "54A10002"):
        notify(
            event="notifications.webhook_failed" if serial.endswith("1") else "signatures.certificate_expiring",
            recipients=[citizen],
            context={
                "subscription_name": "Hệ thống văn bản",
                "organisation_name": "Sở Tư pháp",
                "target_url": "https://vanban.example.vn/",
                "event": "dossiers.accepted",
                "delivery_id": "d-1",
                "attempts": 12,
                "last_error": "HTTP 500",
                "certificate_name": "Trần Văn Bình",
                "serial_number": serial,
                "not_after": "2026-12-31T03:00:00+00:00",
                "days": 7,
                "seal": False,
            },
            link="/notifications/preferences/",
        )

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", "tran.van.binh")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")

    # The menu shows two unread notifications; the inbox lists them, in Vietnamese.
    menu_link = page.locator("nav.primary-nav a[href='/notifications/']")
    expect(menu_link.locator(".nav-badge")).to_contain_text("2")
    menu_link.click()
    page.wait_for_url("**/notifications/")
    assert page.locator("html").get_attribute("lang") == "vi"
    expect(page.locator(".notification--unread")).to_have_count(2)
    expect(page.locator("main")).to_contain_text("Chứng thư ký số của bạn sẽ hết hạn sau 7 ngày")

    # Reading one marks it read.
    page.locator("main .notification__subject a", has_text="Chứng thư ký số").click()
    expect(page.locator("main h1")).to_contain_text("Chứng thư ký số của bạn sẽ hết hạn sau 7 ngày")
    expect(page.locator("main")).to_contain_text("54A10002")
    expect(page.locator("nav.primary-nav .nav-badge")).to_contain_text("1")
    page.locator("main a[href='/notifications/']").first.click()
    expect(page.locator(".notification--unread")).to_have_count(1)

    # "Mark all as read": no badge any more.
    page.locator("main form[action$='/notifications/read-all/'] button").click()
    expect(page.locator(".notification--unread")).to_have_count(0)
    expect(page.locator("nav.primary-nav .nav-badge")).to_have_count(0)
    assert not Notification.objects.filter(user=citizen, channel="inbox", state="sent").exists()

    # Choose not to get SMS at all.
    page.locator("main a[href='/notifications/preferences/']").click()
    page.wait_for_url("**/notifications/preferences/")
    sms = page.locator("input[name=default__sms]")
    expect(sms).to_be_checked()
    sms.uncheck()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#messages")).to_contain_text("Đã lưu lựa chọn của bạn.")
    expect(page.locator("input[name=default__sms]")).not_to_be_checked()
    assert NotificationPreference.objects.filter(user=citizen, event="", channel="sms", enabled=False).exists()
