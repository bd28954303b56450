"""The notifications API with its authorisation matrix: one's own inbox and choices only (someone else's
notification is "not found" and unchanged); webhook subscriptions for the administrators of their
organisation (and those below), platform administrators for all; systems (API clients) have no inbox."""

from __future__ import annotations

import pytest
from django.test import Client

from motcua.accounts.services import api_client_create
from motcua.notifications.models import Notification, NotificationPreference, WebhookDelivery, WebhookSubscription
from motcua.notifications.services import notify, webhook_emit, webhook_subscription_create
from tests.notifications.conftest import CONTEXT, NOTE, RECEIVED, WEBHOOK_ONLY
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications"


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    if user is None:
        return client
    if user.is_official:
        return sign_in_with_second_factor(client, user)
    client.force_login(user)
    return client


def inbox_of(user, count=1):
    for number in range(count):
        notify(event=RECEIVED, recipients=[user], context={**CONTEXT, "code": f"C-{number}"}, link="/dossiers/")
    return list(Notification.objects.filter(user=user, channel="inbox").order_by("created_at"))


# ------------------------------------------------------------------------------------------------------
# The inbox
# ------------------------------------------------------------------------------------------------------


def test_the_inbox_lists_ones_own_notifications_unread_first_then_newest(lan, john):
    first, second, third = inbox_of(lan, 3)
    inbox_of(john)
    Notification.objects.filter(pk=third.pk).update(state="read", read_at=third.created_at)
    client = client_for(lan)

    answer = client.get(API).json()
    assert answer["count"] == 3
    assert [item["id"] for item in answer["items"]] == [str(second.pk), str(first.pk), str(third.pk)]
    assert answer["items"][0]["unread"] is True and answer["items"][2]["unread"] is False
    assert answer["items"][0]["link"] == "http://127.0.0.1:8000/dossiers/"
    assert [item["id"] for item in client.get(f"{API}?unread=true").json()["items"]] == [str(second.pk), str(first.pk)]
    assert client.get(f"{API}/unread-count").json() == {"unread": 2}
    assert client.get(f"{API}/{first.pk}").json()["subject"] == "Đã tiếp nhận: C-0"


def test_marking_read_one_or_all(lan):
    first, _second = inbox_of(lan, 2)
    client = client_for(lan)
    answer = client.post(f"{API}/{first.pk}/read")
    assert answer.status_code == 200 and answer.json()["unread"] is False and answer.json()["state"] == "read"
    assert client.post(f"{API}/{first.pk}/read").status_code == 200  # already read: unchanged
    assert client.post(f"{API}/read-all").json() == {"marked": 1}
    assert client.get(f"{API}/unread-count").json() == {"unread": 0}


def test_someone_elses_notification_is_not_found_and_unchanged(lan, john):
    (notification,) = inbox_of(lan)
    email = Notification.objects.get(user=lan, channel="email")
    other = client_for(john)
    for answer in (
        other.get(f"{API}/{notification.pk}"),
        other.post(f"{API}/{notification.pk}/read"),
        client_for(lan).get(f"{API}/{email.pk}"),  # one's own e-mail row is not an inbox message either
    ):
        assert answer.status_code == 404 and answer.json()["code"] == "not_found"
    assert other.post(f"{API}/read-all").json() == {"marked": 0}
    assert other.get(API).json()["count"] == 0
    notification.refresh_from_db()
    assert notification.state == "sent" and notification.read_at is None


def test_anonymous_callers_and_systems_have_no_inbox(lan, platform_admin):
    (notification,) = inbox_of(lan)
    anonymous = Client()
    for path in (API, f"{API}/unread-count", f"{API}/{notification.pk}", f"{API}/preferences"):
        assert anonymous.get(path).status_code == 401
    assert anonymous.post(f"{API}/{notification.pk}/read").status_code == 401
    assert anonymous.post(f"{API}/read-all").status_code == 401
    _client, secret = api_client_create(actor=platform_admin, name="LGSP", scopes=[])
    system = Client(HTTP_AUTHORIZATION=f"Bearer {_client.client_id}.{secret}")
    for path in (API, f"{API}/unread-count", f"{API}/preferences", f"{API}/{notification.pk}"):
        answer = system.get(path)
        assert answer.status_code == 403, path
    assert system.post(f"{API}/read-all").status_code == 403
    notification.refresh_from_db()
    assert notification.state == "sent"


# ------------------------------------------------------------------------------------------------------
# Preferences and events
# ------------------------------------------------------------------------------------------------------


def test_preferences_are_read_and_chosen_per_channel_and_event(lan):
    client = client_for(lan)
    answer = client.get(f"{API}/preferences").json()
    assert [channel["key"] for channel in answer["channels"]] == ["email", "sms"]
    assert answer["defaults"] == {"email": True, "sms": True}
    received = next(item for item in answer["events"] if item["event"] == RECEIVED)
    assert received["channels"] == {"email": True, "sms": True} and received["choices"] == {"email": None, "sms": None}
    assert all(item["event"] != NOTE for item in answer["events"])  # officials' events are not a citizen's

    answer = client.put(
        f"{API}/preferences",
        {"defaults": {"sms": False}, "events": {RECEIVED: {"email": False}}},
        content_type="application/json",
    ).json()
    assert answer["defaults"] == {"email": True, "sms": False}
    received = next(item for item in answer["events"] if item["event"] == RECEIVED)
    assert received["channels"] == {"email": False, "sms": False} and received["choices"] == {
        "email": False,
        "sms": None,
    }

    answer = client.put(
        f"{API}/preferences", {"events": {RECEIVED: {"email": None}}}, content_type="application/json"
    ).json()
    assert next(item for item in answer["events"] if item["event"] == RECEIVED)["choices"]["email"] is None


def test_bad_preferences_are_refused_and_change_nothing(lan):
    client = client_for(lan)
    client.put(f"{API}/preferences", {"defaults": {"sms": False}}, content_type="application/json")
    before = list(NotificationPreference.objects.values_list("event", "channel", "enabled"))
    for body in (
        {"defaults": {"inbox": False}},
        {"events": {"tests.unknown": {"email": False}}},
        {"defaults": {"email": "maybe"}},
    ):
        answer = client.put(f"{API}/preferences", body, content_type="application/json")
        assert answer.status_code == 422 and answer.json()["code"] == "validation_failed"
    assert list(NotificationPreference.objects.values_list("event", "channel", "enabled")) == before


def test_the_events_are_listed_for_subscribers(lan):
    events = {item["key"]: item for item in client_for(lan).get(f"{API}/events").json()}
    assert events[RECEIVED]["channels"] == ["email", "sms", "inbox"] and events[RECEIVED]["audience"] == "public"
    assert events[WEBHOOK_ONLY]["channels"] == [] and events[WEBHOOK_ONLY]["audience"] == ""
    assert "signatures.certificate_expiring" in events
    assert Client().get(f"{API}/events").status_code == 401


# ------------------------------------------------------------------------------------------------------
# Webhook subscriptions
# ------------------------------------------------------------------------------------------------------


def new_subscription(client, organisation_code, **fields):
    body = {
        "organisation": organisation_code,
        "name": "Hệ thống quản lý văn bản",
        "target_url": "https://vanban.quangninh.gov.vn/motcua",
        "events": [RECEIVED],
        **fields,
    }
    return client.post(f"{API}/webhooks", body, content_type="application/json")


def test_an_agency_administrator_manages_their_subscriptions_through_the_api(agency_admin, department):
    client = client_for(agency_admin)
    answer = new_subscription(client, department.code)
    assert answer.status_code == 201 and answer["Cache-Control"] == "no-store"
    created = answer.json()
    subscription_id = created["subscription"]["id"]
    assert created["secret"].startswith("mcwh_")
    assert created["subscription"]["organisation"] == department.code
    assert "secret" not in client.get(f"{API}/webhooks/{subscription_id}").json()

    assert [item["id"] for item in client.get(f"{API}/webhooks").json()] == [subscription_id]
    assert [item["id"] for item in client.get(f"{API}/webhooks?organisation={department.code}").json()] == [
        subscription_id
    ]
    changed = client.patch(
        f"{API}/webhooks/{subscription_id}",
        {"events": [RECEIVED, WEBHOOK_ONLY], "is_active": False},
        content_type="application/json",
    ).json()
    assert changed["events"] == [RECEIVED, WEBHOOK_ONLY] and changed["is_active"] is False

    rotated = client.post(f"{API}/webhooks/{subscription_id}/rotate-secret")
    assert rotated.status_code == 200 and rotated["Cache-Control"] == "no-store"
    assert (
        rotated.json()["secret"] != created["secret"] and rotated.json()["subscription"]["previous_secret_valid_until"]
    )

    client.patch(f"{API}/webhooks/{subscription_id}", {"is_active": True}, content_type="application/json")
    ping = client.post(f"{API}/webhooks/{subscription_id}/ping")
    assert ping.status_code == 202 and ping.json()["event"] == "notifications.ping"
    log = client.get(f"{API}/webhooks/{subscription_id}/deliveries").json()
    assert log["count"] == 1 and log["items"][0]["id"] == ping.json()["id"]
    assert client.delete(f"{API}/webhooks/{subscription_id}").status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_the_delivery_log_shows_every_attempt_and_retry_now_sends_again(agency_admin, department):
    subscription, _secret = webhook_subscription_create(
        actor=agency_admin, organisation=department, name="A", target_url="https://a.example.vn/", events=[RECEIVED]
    )
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={"code": "X"})[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", attempts=12, last_error="HTTP 500")
    client = client_for(agency_admin)
    item = client.get(f"{API}/webhooks/{subscription.pk}/deliveries").json()["items"][0]
    assert (item["state"], item["attempts"], item["payload"], item["log"]) == ("failed", 12, {"code": "X"}, [])
    answer = client.post(f"{API}/webhooks/deliveries/{delivery.pk}/retry")
    assert answer.status_code == 200 and answer.json()["state"] == "pending" and answer.json()["attempts"] == 0


def test_webhooks_are_refused_to_others_and_nothing_changes(
    agency_admin, other_agency_admin, department, province, lan, platform_admin
):
    subscription, _secret = webhook_subscription_create(
        actor=agency_admin, organisation=department, name="A", target_url="https://a.example.vn/", events=[RECEIVED]
    )
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed")
    path = f"{API}/webhooks/{subscription.pk}"

    other = client_for(other_agency_admin)
    assert new_subscription(other, department.code).status_code == 403
    for answer in (
        other.get(path),
        other.patch(path, {"is_active": False}, content_type="application/json"),
        other.delete(path),
        other.post(f"{path}/rotate-secret"),
        other.post(f"{path}/ping"),
        other.get(f"{path}/deliveries"),
        other.post(f"{API}/webhooks/deliveries/{delivery.pk}/retry"),
    ):
        assert answer.status_code == 404, answer.request
    assert other.get(f"{API}/webhooks").json() == []
    assert other.get(f"{API}/webhooks?organisation={department.code}").status_code == 403

    citizen = client_for(lan)
    assert citizen.get(f"{API}/webhooks").status_code == 403
    assert new_subscription(citizen, department.code).status_code == 403
    assert citizen.get(path).status_code == 404
    # An agency administrator reaches down, never up.
    assert new_subscription(client_for(agency_admin), province.code).status_code == 403
    assert Client().get(f"{API}/webhooks").status_code == 401

    row = WebhookSubscription.objects.get(pk=subscription.pk)
    assert row.is_active and row.secret_encrypted == subscription.secret_encrypted
    assert WebhookSubscription.objects.count() == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == "failed"
    assert WebhookDelivery.objects.count() == 1

    # A platform administrator sees and manages every subscription.
    admin = client_for(platform_admin)
    assert [item["id"] for item in admin.get(f"{API}/webhooks").json()] == [str(subscription.pk)]
    assert admin.patch(path, {"name": "B"}, content_type="application/json").json()["name"] == "B"


def test_bad_subscriptions_are_refused_with_their_fields(agency_admin, department):
    client = client_for(agency_admin)
    for fields, field in (
        ({"target_url": "http://vanban.quangninh.gov.vn/"}, "target_url"),
        ({"events": ["tests.unknown"]}, "events"),
        ({"events": []}, "events"),
        ({"organisation": "000.00.00.Z99"}, "organisation"),
        ({"name": ""}, "name"),
    ):
        answer = new_subscription(client, department.code, **fields)
        assert answer.status_code == 422 and field in answer.json()["details"], (fields, answer.json())
    assert not WebhookSubscription.objects.exists()
