"""The notification pages: the inbox (unread first, read one, open its link, mark all read), the unread count in
the page header, choosing channels, and the webhook pages of agency administrators; each refuses the wrong
person and changes nothing."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from motcua.notifications.models import Notification, NotificationPreference, WebhookDelivery, WebhookSubscription
from motcua.notifications.services import notify, webhook_emit, webhook_subscription_create
from tests.notifications.conftest import CONTEXT, RECEIVED, WEBHOOK_ONLY
from tests.support.sessions import sign_in_with_second_factor
from tests.web.conftest import page

pytestmark = pytest.mark.django_db
INBOX = "/notifications/"


def browser(user, language="en") -> Client:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    if user is None:
        return client
    if user.is_official:
        return sign_in_with_second_factor(client, user)
    client.force_login(user)
    return client


def inbox_of(user, count=1, link="/dossiers/mine/"):
    for number in range(count):
        notify(event=RECEIVED, recipients=[user], context={**CONTEXT, "code": f"C-{number}"}, link=link)
    return list(Notification.objects.filter(user=user, channel="inbox").order_by("created_at"))


# ------------------------------------------------------------------------------------------------------
# The inbox
# ------------------------------------------------------------------------------------------------------


def test_the_inbox_shows_unread_first_and_the_header_counts_them(lan):
    _first, second, _third = inbox_of(lan, 3)
    Notification.objects.filter(pk=second.pk).update(state="read", read_at=second.created_at)
    response = browser(lan).get(INBOX)
    assert response.status_code == 200
    html = page(response)
    subjects = [
        element.text.strip() for element in html.find_all("h2") if element.attrs.get("class") == "notification__subject"
    ]
    assert subjects == ["Đã tiếp nhận: C-2", "Đã tiếp nhận: C-0", "Đã tiếp nhận: C-1"]
    badge = html.find("span", class_="nav-badge")
    assert badge.text.split() == ["2", "unread"]
    assert "Unread notifications: 2." in html.text("p")
    unread_only = page(browser(lan).get(f"{INBOX}?unread=1"))
    assert (
        len(
            [
                element
                for element in unread_only.find_all("li")
                if "notification--unread" in element.attrs.get("class", "")
            ]
        )
        == 2
    )


def test_no_badge_without_unread_notifications_nor_for_anonymous_visitors(lan):
    assert not page(browser(lan).get("/")).find_all("span", class_="nav-badge")
    assert not page(browser(None).get("/")).find_all("span", class_="nav-badge")
    response = browser(None).get(INBOX)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_reading_a_notification_marks_it_read_and_opening_follows_only_links_of_this_site(lan, settings):
    settings.SITE_URL = "http://testserver"
    (internal,) = inbox_of(lan, link="/dossiers/mine/")
    client = browser(lan)

    response = client.get(f"{INBOX}{internal.pk}/")
    assert response.status_code == 200 and "Mã hồ sơ: C-0" in response.content.decode()
    internal.refresh_from_db()
    assert internal.state == "read" and internal.read_at is not None

    Notification.objects.filter(pk=internal.pk).update(state="sent", read_at=None)
    response = client.get(f"{INBOX}{internal.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "/dossiers/mine/"
    assert Notification.objects.get(pk=internal.pk).state == "read"

    Notification.objects.filter(pk=internal.pk).update(link="https://evil.example.com/dossiers/mine/")
    response = client.get(f"{INBOX}{internal.pk}/open/")
    assert response.status_code == 302 and response["Location"] == f"{INBOX}{internal.pk}/"


def test_mark_one_and_mark_all_read(lan):
    first, _second, _third = inbox_of(lan, 3)
    client = browser(lan)
    response = client.post(f"{INBOX}{first.pk}/read/", {"next": f"{INBOX}?unread=1"})
    assert response.status_code == 302 and response["Location"] == f"{INBOX}?unread=1"
    assert Notification.objects.get(pk=first.pk).state == "read"
    response = client.post(f"{INBOX}read-all/", {"next": "https://evil.example.com/"})
    assert response.status_code == 302 and response["Location"] == INBOX  # never an open redirect
    assert not Notification.objects.filter(user=lan, channel="inbox", state="sent").exists()
    assert client.get(f"{INBOX}{first.pk}/read/").status_code == 405


def test_someone_elses_notification_is_not_found_and_stays_unread(lan, john):
    (notification,) = inbox_of(lan)
    other = browser(john)
    assert other.get(f"{INBOX}{notification.pk}/").status_code == 404
    assert other.get(f"{INBOX}{notification.pk}/open/").status_code == 404
    assert other.post(f"{INBOX}{notification.pk}/read/").status_code == 404
    other.post(f"{INBOX}read-all/")
    notification.refresh_from_db()
    assert notification.state == "sent" and notification.read_at is None
    assert browser(None).post(f"{INBOX}{notification.pk}/read/").status_code == 302  # to the login page
    assert Notification.objects.get(pk=notification.pk).state == "sent"


def test_the_inbox_page_is_in_the_readers_language_and_works_for_officials(agency_admin):
    notify(
        event="notifications.webhook_failed",
        recipients=[agency_admin],
        context={
            "subscription_name": "VB",
            "organisation_name": "Sở",
            "target_url": "https://a/",
            "event": RECEIVED,
            "delivery_id": "d",
            "attempts": 12,
            "last_error": "HTTP 500",
        },
    )
    response = browser(agency_admin, "vi").get(INBOX)
    html = response.content.decode()
    assert response.status_code == 200 and '<html lang="vi"' in html and "Thông báo" in html
    assert 'href="/notifications/webhooks/"' in html  # agency administrators find their webhooks from here


# ------------------------------------------------------------------------------------------------------
# Preferences
# ------------------------------------------------------------------------------------------------------


def test_choosing_channels_on_the_preferences_page(lan):
    client = browser(lan)
    response = client.get("/notifications/preferences/")
    assert response.status_code == 200
    html = page(response)
    assert "checked" in html.find("input", name="default__email").attrs
    assert html.find("select", name=f"event__{RECEIVED}__sms")

    response = client.post(
        "/notifications/preferences/",
        {"default__email": "on", f"event__{RECEIVED}__sms": "off", f"event__{RECEIVED}__email": ""},
    )
    assert response.status_code == 302
    stored = set(NotificationPreference.objects.filter(user=lan).values_list("event", "channel", "enabled"))
    assert stored == {("", "sms", False), (RECEIVED, "sms", False)}  # SMS unticked for all, and off for this event

    written = notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
    assert sorted(row.channel for row in written) == ["email", "inbox"]


def test_a_bad_choice_is_a_form_error_and_nothing_is_stored(lan):
    response = browser(lan).post("/notifications/preferences/", {f"event__{RECEIVED}__sms": "sometimes"})
    assert response.status_code == 422
    assert page(response).find("div", class_="error-summary")
    assert not NotificationPreference.objects.exists()
    assert browser(None).get("/notifications/preferences/").status_code == 302


# ------------------------------------------------------------------------------------------------------
# Webhook pages
# ------------------------------------------------------------------------------------------------------


def test_an_agency_administrator_adds_a_subscription_and_sees_the_secret_once(agency_admin, department):
    client = browser(agency_admin)
    listing = client.get("/notifications/webhooks/")
    assert listing.status_code == 200 and department.name in listing.content.decode()
    form = client.get(f"/notifications/webhooks/new/?organisation={department.code}")
    assert form.status_code == 200
    response = client.post(
        f"/notifications/webhooks/new/?organisation={department.code}",
        {"name": "Văn bản", "target_url": "https://vanban.quangninh.gov.vn/hook", "events": [RECEIVED]},
    )
    assert response.status_code == 201 and "no-store" in response["Cache-Control"]
    secret = page(response).find("code", class_="secret").text
    assert secret.startswith("mcwh_")
    subscription = WebhookSubscription.objects.get()
    assert subscription.organisation == department and secret not in subscription.secret_encrypted
    detail = client.get(f"/notifications/webhooks/{subscription.pk}/").content.decode()
    assert secret not in detail and "https://vanban.quangninh.gov.vn/hook" in detail


def test_a_wrong_address_is_a_form_error_and_nothing_is_added(agency_admin, department):
    response = browser(agency_admin).post(
        f"/notifications/webhooks/new/?organisation={department.code}",
        {"name": "Văn bản", "target_url": "http://vanban.quangninh.gov.vn/hook", "events": [RECEIVED]},
    )
    assert response.status_code == 422 and "https://" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_the_subscription_page_shows_the_log_and_its_buttons_work(agency_admin, department):
    subscription, _secret = webhook_subscription_create(
        actor=agency_admin, organisation=department, name="VB", target_url="https://a.example.vn/", events=[RECEIVED]
    )
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", attempts=12, last_error="HTTP 500")
    client = browser(agency_admin)
    base = f"/notifications/webhooks/{subscription.pk}"
    assert RECEIVED in client.get(f"{base}/").content.decode()

    assert client.post(f"/notifications/webhooks/deliveries/{delivery.pk}/retry/").status_code == 302
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "pending"
    assert client.post(f"{base}/ping/").status_code == 302
    assert WebhookDelivery.objects.filter(event="notifications.ping").count() == 1
    rotated = client.post(f"{base}/secret/")
    assert rotated.status_code == 200 and page(rotated).find("code", class_="secret").text.startswith("mcwh_")
    edited = client.post(
        f"{base}/edit/",
        {"name": "VB 2", "target_url": "https://b.example.vn/", "events": [RECEIVED, WEBHOOK_ONLY], "is_active": "on"},
    )
    assert edited.status_code == 302
    assert WebhookSubscription.objects.get(pk=subscription.pk).events == [RECEIVED, WEBHOOK_ONLY]
    assert client.get(f"{base}/delete/").status_code == 200
    assert client.post(f"{base}/delete/").status_code == 302
    assert not WebhookSubscription.objects.exists()


def test_webhook_pages_are_refused_to_others_and_change_nothing(agency_admin, other_agency_admin, department, lan):
    subscription, _secret = webhook_subscription_create(
        actor=agency_admin, organisation=department, name="VB", target_url="https://a.example.vn/", events=[RECEIVED]
    )
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed")
    base = f"/notifications/webhooks/{subscription.pk}"
    other = browser(other_agency_admin)
    assert other.get(f"/notifications/webhooks/new/?organisation={department.code}").status_code == 403
    assert (
        other.post(
            f"/notifications/webhooks/new/?organisation={department.code}",
            {"name": "X", "target_url": "https://x.example.vn/", "events": [RECEIVED]},
        ).status_code
        == 403
    )
    for response in (
        other.get(f"{base}/"),
        other.post(f"{base}/edit/", {"name": "X", "target_url": "https://x.example.vn/", "events": [RECEIVED]}),
        other.post(f"{base}/secret/"),
        other.post(f"{base}/ping/"),
        other.post(f"{base}/delete/"),
        other.post(f"/notifications/webhooks/deliveries/{delivery.pk}/retry/"),
    ):
        assert response.status_code == 404
    assert browser(lan).get("/notifications/webhooks/").status_code == 403
    assert browser(lan).get(f"{base}/").status_code == 403
    row = WebhookSubscription.objects.get(pk=subscription.pk)
    assert (row.name, row.secret_encrypted, row.is_active) == ("VB", subscription.secret_encrypted, True)
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "failed" and WebhookDelivery.objects.count() == 1
    assert browser(agency_admin).get("/notifications/webhooks/new/?organisation=000.00.00.Z99").status_code == 404
