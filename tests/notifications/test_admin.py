"""The notifications admin: read-only messages and deliveries with their attempts, actions through the services
(send again, new secret shown once, test event), subscriptions made by the service, wording checked before it
is saved."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.messages import get_messages

from motcua.core.models import AuditEvent
from motcua.notifications.models import (
    Notification,
    NotificationTemplate,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from motcua.notifications.services import notify, webhook_emit, webhook_subscription_create
from tests.notifications.conftest import CONTEXT, NOTE, RECEIVED
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, platform_admin):
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return sign_in_with_second_factor(client, platform_admin)


def texts(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_notifications_are_listed_read_only_and_sent_again_by_the_action(admin_client, lan):
    notify(event=NOTE, recipients=[lan], context={"status": "x"})
    email = Notification.objects.get(channel="email")
    Notification.objects.filter(pk=email.pk).update(state="failed", attempts=6, next_attempt_at=None)
    listing = admin_client.get("/admin/notifications/notification/")
    assert listing.status_code == 200 and "tests.officials_note" in listing.content.decode()
    assert admin_client.get(f"/admin/notifications/notification/{email.pk}/change/").status_code == 200
    assert admin_client.get("/admin/notifications/notification/add/").status_code == 403

    response = admin_client.post(
        "/admin/notifications/notification/",
        {"action": "retry_now", ACTION_CHECKBOX_NAME: [str(email.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    email.refresh_from_db()
    assert (email.state, email.attempts) == ("pending", 0)  # queued again with a fresh count of attempts
    assert any("sent again" in text for text in texts(response))


def test_a_subscription_made_in_the_admin_shows_its_secret_once(admin_client, department):
    response = admin_client.post(
        "/admin/notifications/webhooksubscription/add/",
        {
            "organisation": str(department.pk),
            "name": "Hệ thống văn bản",
            "target_url": "https://vanban.quangninh.gov.vn/hook",
            "events": [RECEIVED],
        },
        follow=True,
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    (warning,) = [text for text in texts(response) if "mcwh_" in text]
    secret = warning.rsplit(" ", 1)[1]
    assert secret not in subscription.secret_encrypted
    assert AuditEvent.objects.filter(action="notifications.webhook_subscription_created").count() == 1
    page = admin_client.get(f"/admin/notifications/webhooksubscription/{subscription.pk}/change/").content.decode()
    assert secret not in page and subscription.secret_encrypted not in page

    response = admin_client.post(
        "/admin/notifications/webhooksubscription/",
        {"action": "rotate_secret", ACTION_CHECKBOX_NAME: [str(subscription.pk)]},
        follow=True,
    )
    (warning,) = [text for text in texts(response) if "mcwh_" in text]
    assert warning.rsplit(" ", 1)[1] != secret
    admin_client.post(
        "/admin/notifications/webhooksubscription/",
        {"action": "send_test_event", ACTION_CHECKBOX_NAME: [str(subscription.pk)]},
    )
    assert WebhookDelivery.objects.filter(event="notifications.ping", subscription=subscription).exists()


def test_a_refused_address_in_the_admin_is_a_form_error_and_nothing_is_saved(admin_client, department):
    response = admin_client.post(
        "/admin/notifications/webhooksubscription/add/",
        {
            "organisation": str(department.pk),
            "name": "X",
            "target_url": "http://vanban.example.vn/",
            "events": [RECEIVED],
        },
    )
    assert response.status_code == 200 and "https://" in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_deliveries_show_their_attempts_and_are_sent_again_by_the_action(admin_client, agency_admin, department):
    _subscription, _secret = webhook_subscription_create(
        actor=agency_admin, organisation=department, name="VB", target_url="https://a.example.vn/", events=[RECEIVED]
    )
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed", attempts=1)
    WebhookAttempt.objects.create(
        delivery=delivery,
        number=1,
        started_at=delivery.created_at,
        duration_ms=12,
        http_status=503,
        response_excerpt="Service Unavailable",
    )
    page = admin_client.get(f"/admin/notifications/webhookdelivery/{delivery.pk}/change/").content.decode()
    assert "Service Unavailable" in page and "503" in page
    admin_client.post(
        "/admin/notifications/webhookdelivery/",
        {"action": "retry_now", ACTION_CHECKBOX_NAME: [str(delivery.pk)]},
    )
    delivery.refresh_from_db()
    assert delivery.state != "failed"
    assert AuditEvent.objects.filter(action="notifications.webhook_delivery_retry").count() == 1


def test_wording_is_checked_before_it_is_saved(admin_client):
    url = "/admin/notifications/notificationtemplate/add/"
    bad = admin_client.post(url, {"event": RECEIVED, "language": "vi", "subject": "{% if %}", "body": "", "sms": ""})
    assert bad.status_code == 200 and "not a valid template" in bad.content.decode()
    assert not NotificationTemplate.objects.exists()
    good = admin_client.post(
        url, {"event": RECEIVED, "language": "vi", "subject": "Hồ sơ {{ code }}", "body": "", "sms": ""}, follow=True
    )
    assert good.status_code == 200
    template = NotificationTemplate.objects.get()
    assert template.updated_by is not None
    response = admin_client.post(f"/admin/notifications/notificationtemplate/{template.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not NotificationTemplate.objects.exists()
    assert AuditEvent.objects.filter(action="notifications.template_deleted").count() == 1


def test_an_agency_administrator_without_admin_rights_cannot_use_the_actions(client, agency_admin, lan):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
    agency_admin.is_staff = True
    agency_admin.save()
    staff = sign_in_with_second_factor(client, agency_admin)
    email = Notification.objects.get(channel="email")
    Notification.objects.filter(pk=email.pk).update(state="failed")
    staff.post("/admin/notifications/notification/", {"action": "retry_now", ACTION_CHECKBOX_NAME: [str(email.pk)]})
    assert Notification.objects.get(pk=email.pk).state == "failed"
