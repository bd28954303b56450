"""Webhooks: subscriptions (who may, which addresses, the secret kept encrypted), emitting inside the caller's
transaction, signing and its verification, and THE FLAKY RECEIVER: a real HTTP server in its own process that
fails (500, timeout, connection reset) and then recovers gets every event exactly once, with every attempt
in the delivery log."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from django.core import mail
from django.db import transaction
from django.utils import timezone

from motcua.core.exceptions import PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.notifications.models import Notification, WebhookAttempt, WebhookDelivery, WebhookSubscription
from motcua.notifications.services import (
    signing_secrets,
    webhook_body,
    webhook_deliveries_deliver,
    webhook_delivery_retry,
    webhook_emit,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_ping,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)
from motcua.notifications.signing import signature_compute, signature_header, signature_verify
from motcua.notifications.webhook_secrets import SecretUnavailable, secret_decrypt, secret_encrypt
from tests.factories import OrganisationFactory
from tests.notifications.conftest import RECEIVED, WEBHOOK_ONLY

pytestmark = pytest.mark.django_db
State = WebhookDelivery.State
RECEIVER = Path(__file__).resolve().parents[1] / "support" / "webhook_receiver.py"


@pytest.fixture(scope="module")
def receiver_process():
    process = subprocess.Popen([sys.executable, str(RECEIVER), "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        port = int(process.stdout.readline().split()[1])
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def control(url, **changes):
    requests.post(f"{url}/_control", json=changes, timeout=5).raise_for_status()


def received(url):
    return requests.get(f"{url}/_control", timeout=5).json()


def subscribe(actor, organisation, url, events=(RECEIVED,), **kwargs):
    return webhook_subscription_create(
        actor=actor,
        organisation=organisation,
        name="Hệ thống quản lý văn bản",
        target_url=url,
        events=list(events),
        **kwargs,
    )


# ------------------------------------------------------------------------------------------------------
# Subscriptions
# ------------------------------------------------------------------------------------------------------


def test_an_agency_administrator_subscribes_their_organisation_and_those_below_only(
    agency_admin, department, province, other_agency_admin, citizen, platform_admin
):
    subscription, secret = subscribe(agency_admin, department, "https://vanban.quangninh.gov.vn/motcua")
    assert secret.startswith("mcwh_") and len(secret) > 40
    child = OrganisationFactory(code="000.20.20.K49", parent=department)
    subscribe(agency_admin, child, "https://child.example.vn/hook")  # authority flows down

    for actor, organisation in ((agency_admin, province), (other_agency_admin, department), (citizen, department)):
        with pytest.raises(PermissionDenied):
            subscribe(actor, organisation, "https://x.example.vn/")
    subscribe(platform_admin, province, "https://lgsp.quangninh.gov.vn/hook")
    assert WebhookSubscription.objects.count() == 3
    with pytest.raises(PermissionDenied):
        webhook_subscription_update(actor=other_agency_admin, subscription=subscription, changes={"is_active": False})
    with pytest.raises(PermissionDenied):
        webhook_subscription_delete(actor=other_agency_admin, subscription=subscription)
    with pytest.raises(PermissionDenied):
        webhook_subscription_rotate_secret(actor=other_agency_admin, subscription=subscription)
    assert WebhookSubscription.objects.get(pk=subscription.pk).is_active


def test_the_secret_is_stored_encrypted_and_never_audited(agency_admin, department, settings):
    subscription, secret = subscribe(agency_admin, department, "https://vanban.example.vn/hook")
    row = WebhookSubscription.objects.get(pk=subscription.pk)
    assert secret not in row.secret_encrypted and row.secret_encrypted.startswith("v1$")
    assert signing_secrets(row) == [secret]
    event = AuditEvent.objects.get(action="notifications.webhook_subscription_created")
    assert "secret_encrypted" not in json.dumps(event.after) and secret not in json.dumps(event.after)
    # Another row's ciphertext does not open under this row's id; a rotated SECRET_KEY needs the fallback.
    with pytest.raises(SecretUnavailable):
        secret_decrypt(stored=row.secret_encrypted, associated_data=b"webhook-subscription:another")
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    with pytest.raises(SecretUnavailable):
        signing_secrets(row)
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert signing_secrets(row) == [secret]
    tampered = row.secret_encrypted[:-4] + ("AAAA" if not row.secret_encrypted.endswith("AAAA") else "BBBB")
    with pytest.raises(SecretUnavailable):
        secret_decrypt(stored=tampered, associated_data=f"webhook-subscription:{row.pk}".encode())
    assert secret_decrypt(stored=secret_encrypt(secret="s", associated_data=b"a"), associated_data=b"a") == "s"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://vanban.quangninh.gov.vn/api/motcua", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://localhost/hook", True),
        ("http://[::1]:9000/hook", True),
        ("http://vanban.quangninh.gov.vn/hook", False),
        ("https://user:password@vanban.quangninh.gov.vn/hook", False),
        ("ftp://vanban.quangninh.gov.vn/hook", False),
        ("vanban.quangninh.gov.vn", False),
        ("https://" + "a" * 500 + ".vn/", False),
    ],
)
def test_target_addresses_are_https_or_plain_http_to_this_machine(agency_admin, department, url, allowed):
    if allowed:
        subscribe(agency_admin, department, url)
    else:
        with pytest.raises(ValidationFailed) as caught:
            subscribe(agency_admin, department, url)
        assert "target_url" in caught.value.details
        assert WebhookSubscription.objects.count() == 0


def test_plain_http_beyond_this_machine_only_when_the_setting_allows_it(agency_admin, department, settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    subscribe(agency_admin, department, "http://vanban.internal/hook")
    assert WebhookSubscription.objects.count() == 1


def test_bad_names_and_events_are_refused_with_their_field(agency_admin, department):
    for kwargs, field in (
        ({"name": " "}, "name"),
        ({"events": []}, "events"),
        ({"events": ["tests.unknown"]}, "events"),
    ):
        arguments = {
            "name": "Hệ thống",
            "target_url": "https://x.example.vn/",
            "events": [RECEIVED],
            **kwargs,
        }
        with pytest.raises(ValidationFailed) as caught:
            webhook_subscription_create(actor=agency_admin, organisation=department, **arguments)
        assert field in caught.value.details
    assert WebhookSubscription.objects.count() == 0


# ------------------------------------------------------------------------------------------------------
# Emitting
# ------------------------------------------------------------------------------------------------------


def test_emit_reaches_active_subscriptions_listening_to_the_event_and_ancestors_that_asked(
    agency_admin, platform_admin, department, province
):
    own, _secret = subscribe(agency_admin, department, "https://a.example.vn/", events=[RECEIVED, WEBHOOK_ONLY])
    subscribe(agency_admin, department, "https://b.example.vn/", events=[WEBHOOK_ONLY])  # another event
    inactive, _secret = subscribe(agency_admin, department, "https://c.example.vn/")
    webhook_subscription_update(actor=agency_admin, subscription=inactive, changes={"is_active": False})
    province_wide, _secret = subscribe(platform_admin, province, "https://lgsp.example.vn/", include_descendants=True)
    subscribe(platform_admin, province, "https://province-only.example.vn/")  # its own events only

    deliveries = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={"code": "X"})
    assert {delivery.subscription for delivery in deliveries} == {own, province_wide}
    assert all(delivery.state == State.PENDING and delivery.payload == {"code": "X"} for delivery in deliveries)

    # Named twice (receiving and processing body), a subscription still gets the event once.
    assert len(webhook_emit(event=RECEIVED, organisation_ids=[department.pk, province.pk], payload={})) == 3
    assert webhook_emit(event=RECEIVED, organisation_ids=[], payload={}) == []
    with pytest.raises(LookupError):
        webhook_emit(event="tests.unknown", organisation_ids=[department.pk], payload={})
    with pytest.raises(TypeError):
        webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={"when": timezone.now()})


def test_emit_deduplicates_and_a_rolled_back_change_emits_nothing(
    agency_admin, department, django_capture_on_commit_callbacks
):
    subscribe(agency_admin, department, "https://a.example.vn/")
    assert len(webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={}, dedupe_key="k")) == 1
    assert webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={}, dedupe_key="k") == []
    with (
        django_capture_on_commit_callbacks(execute=False) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={"n": 2})
        raise RuntimeError
    assert callbacks == [] and WebhookDelivery.objects.count() == 1


def test_deactivating_or_deleting_cancels_what_waits_and_keeps_the_log(agency_admin, department):
    subscription, _secret = subscribe(agency_admin, department, "https://a.example.vn/")
    first = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    webhook_subscription_update(actor=agency_admin, subscription=subscription, changes={"is_active": False})
    first.refresh_from_db()
    assert first.state == State.CANCELLED

    webhook_subscription_update(actor=agency_admin, subscription=subscription, changes={"is_active": True})
    second = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    webhook_subscription_delete(actor=agency_admin, subscription=subscription)
    second.refresh_from_db()
    assert second.state == State.CANCELLED and second.subscription is None
    assert WebhookDelivery.objects.count() == 2
    assert webhook_delivery_retry(actor=agency_admin, delivery_ids=[second.pk]) == 0  # nowhere to send it
    assert AuditEvent.objects.filter(action="notifications.webhook_subscription_deleted").count() == 1


def test_only_the_editable_fields_change_and_bad_values_change_nothing(agency_admin, department, other_agency_admin):
    subscription, _secret = subscribe(agency_admin, department, "https://a.example.vn/")
    for changes in (
        {"secret_encrypted": "x"},
        {"organisation": "x"},
        {"target_url": "http://a.example.vn/"},
        {"events": []},
    ):
        with pytest.raises(ValidationFailed):
            webhook_subscription_update(actor=agency_admin, subscription=subscription, changes=changes)
    row = WebhookSubscription.objects.get(pk=subscription.pk)
    assert (row.target_url, row.events, row.secret_encrypted) == (
        "https://a.example.vn/",
        [RECEIVED],
        subscription.secret_encrypted,
    )
    changed = webhook_subscription_update(
        actor=agency_admin,
        subscription=subscription,
        changes={"name": "LGSP", "events": [WEBHOOK_ONLY, RECEIVED], "include_descendants": True},
    )
    assert (changed.name, changed.events, changed.include_descendants) == ("LGSP", [RECEIVED, WEBHOOK_ONLY], True)
    assert AuditEvent.objects.filter(action="notifications.webhook_subscription_changed").count() == 1


def test_the_body_is_the_same_on_every_attempt_and_carries_the_delivery_id(agency_admin, department):
    subscribe(agency_admin, department, "https://a.example.vn/")
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={"ma_ho_so": "Hồ sơ 1"})[0]
    body = webhook_body(WebhookDelivery.objects.get(pk=delivery.pk))
    assert body == webhook_body(delivery)
    document = json.loads(body)
    assert document["id"] == str(delivery.pk) and document["event"] == RECEIVED
    assert document["data"] == {"ma_ho_so": "Hồ sơ 1"} and "Hồ sơ" in body.decode("utf-8")


# ------------------------------------------------------------------------------------------------------
# Signatures
# ------------------------------------------------------------------------------------------------------


def test_signature_verification_refuses_tampering_other_secrets_and_stale_timestamps():
    body = b'{"event":"tests.received"}'
    now = 1_780_000_000
    headers = {
        "Motcua-Timestamp": str(now),
        "Motcua-Signature": signature_header(secrets=["new-secret", "old-secret"], timestamp=now, body=body),
    }
    assert signature_verify(secret="new-secret", headers=headers, body=body, now=now)
    assert signature_verify(secret="old-secret", headers=headers, body=body, now=now + 299)  # during the grace
    assert not signature_verify(secret="another", headers=headers, body=body, now=now)
    assert not signature_verify(secret="new-secret", headers=headers, body=body + b" ", now=now)
    assert not signature_verify(secret="new-secret", headers=headers, body=body, now=now + 301)
    assert not signature_verify(secret="new-secret", headers={"Motcua-Timestamp": str(now)}, body=body, now=now)
    assert not signature_verify(secret="new-secret", headers={**headers, "Motcua-Timestamp": "x"}, body=body, now=now)
    forged = {**headers, "Motcua-Timestamp": str(now + 60)}  # a replay with a fresher timestamp
    assert not signature_verify(secret="new-secret", headers=forged, body=body, now=now + 60)
    assert headers["Motcua-Signature"].startswith(
        "v1=" + signature_compute(secret="new-secret", timestamp=now, body=body)
    )


def test_after_rotation_requests_carry_both_signatures_until_the_grace_period_ends(agency_admin, department, settings):
    settings.WEBHOOK_SECRET_GRACE_HOURS = 2
    subscription, old = subscribe(agency_admin, department, "https://a.example.vn/")
    new = webhook_subscription_rotate_secret(actor=agency_admin, subscription=subscription)
    row = WebhookSubscription.objects.get(pk=subscription.pk)
    assert new != old and signing_secrets(row) == [new, old]
    WebhookSubscription.objects.filter(pk=row.pk).update(
        previous_secret_valid_until=timezone.now() - dt.timedelta(seconds=1)
    )
    assert signing_secrets(WebhookSubscription.objects.get(pk=row.pk)) == [new]


def test_the_receiver_refuses_unsigned_tampered_and_wrongly_signed_requests(receiver_process):
    control(receiver_process, reset=True, secret="the-shared-secret")
    body = json.dumps({"id": "d-1", "event": RECEIVED, "data": {}}).encode()
    now = int(time.time())

    def post(headers, data=body):
        return requests.post(
            f"{receiver_process}/hook", data=data, headers={"Motcua-Delivery": "d-1", **headers}, timeout=5
        )

    good = {
        "Motcua-Timestamp": str(now),
        "Motcua-Signature": signature_header(secrets=["the-shared-secret"], timestamp=now, body=body),
    }
    assert post({}).status_code == 401  # unsigned
    assert post(good, data=body.replace(b"{}", b'{"x":1}')).status_code == 401  # tampered body
    assert (
        post({**good, "Motcua-Signature": signature_header(secrets=["guess"], timestamp=now, body=body)}).status_code
        == 401
    )
    stale = now - 3600
    old = {
        "Motcua-Timestamp": str(stale),
        "Motcua-Signature": signature_header(secrets=["the-shared-secret"], timestamp=stale, body=body),
    }
    assert post(old).status_code == 401  # a replay of an old request
    assert received(receiver_process)["accepted"] == []
    assert post(good).status_code == 200
    state = received(receiver_process)
    assert len(state["refused"]) == 4 and [item["delivery"] for item in state["accepted"]] == ["d-1"]


# ------------------------------------------------------------------------------------------------------
# The flaky receiver
# ------------------------------------------------------------------------------------------------------


def test_a_flaky_receiver_gets_every_event_exactly_once_with_every_attempt_logged(
    receiver_process, agency_admin, department, settings, django_capture_on_commit_callbacks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    settings.WEBHOOK_MAX_ATTEMPTS = 10
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    settings.WEBHOOK_RETRY_MAX_SECONDS = 600
    _subscription, secret = subscribe(agency_admin, department, f"{receiver_process}/motcua/events")
    # The receiver fails the first six requests it gets, in three ways, then recovers.
    control(
        receiver_process,
        reset=True,
        secret=secret,
        plan=["500", "timeout", "reset", "500", "reset", "timeout"],
        slow_seconds=1.5,
    )

    emitted = []
    with django_capture_on_commit_callbacks(execute=True):  # the after-commit tasks try at once
        for number in range(5):
            emitted += webhook_emit(
                event=RECEIVED,
                organisation_ids=[department.pk],
                payload={"code": f"000.00.20.K49-260302-{number:04d}", "number": number},
            )
    assert len(emitted) == 5

    # Rounds of delivery, moving the queue's clock instead of sleeping, until nothing is left to send.
    now = timezone.now()
    for _round in range(10):
        if not WebhookDelivery.objects.filter(state=State.PENDING).exists():
            break
        now += dt.timedelta(seconds=settings.WEBHOOK_RETRY_MAX_SECONDS)
        webhook_deliveries_deliver(now=now)
    state = received(receiver_process)

    # Every event arrived exactly once, signed (the receiver checked it), with its data.
    assert sorted(item["delivery"] for item in state["accepted"]) == sorted(str(row.pk) for row in emitted)
    assert state["duplicates"] == 0 and state["refused"] == []
    assert sorted(item["body"]["data"]["number"] for item in state["accepted"]) == [0, 1, 2, 3, 4]
    assert all(item["event"] == RECEIVED for item in state["accepted"])
    assert all(row.state == State.SENT and row.sent_at for row in WebhookDelivery.objects.all())

    # Every attempt is in the log: six failures of three kinds, then five successes.
    attempts = list(WebhookAttempt.objects.order_by("started_at"))
    assert len(attempts) == len(state["tries"]) == 11
    failures = [attempt for attempt in attempts if not attempt.succeeded]
    assert sorted(attempt.http_status for attempt in failures if attempt.http_status) == [500, 500]
    assert len([attempt for attempt in failures if attempt.error.startswith("timeout")]) == 2
    assert len([attempt for attempt in failures if attempt.error.startswith("connection failed")]) == 2
    assert all(attempt.http_status == 200 and attempt.succeeded for attempt in attempts if attempt not in failures)
    for delivery in WebhookDelivery.objects.all():
        numbers = list(delivery.attempts_log.values_list("number", flat=True))
        assert numbers == list(range(1, delivery.attempts + 1))
        assert numbers and delivery.attempts_log.last().succeeded

    # Nothing more is sent, whatever the clock says.
    assert webhook_deliveries_deliver(now=now + dt.timedelta(days=1)).handled == 0
    assert len(received(receiver_process)["tries"]) == 11


def test_a_receiver_that_never_recovers_is_given_up_and_its_administrators_are_told(
    receiver_process, agency_admin, department, settings, django_capture_on_commit_callbacks, caplog
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    _subscription, secret = subscribe(agency_admin, department, f"{receiver_process}/hook")
    control(receiver_process, reset=True, secret=secret, plan=["500"] * 3)
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True), caplog.at_level("ERROR"):
        for step in range(3):
            webhook_deliveries_deliver(now=now + dt.timedelta(hours=step))
    delivery.refresh_from_db()
    assert delivery.state == State.FAILED and delivery.attempts == 3 and delivery.last_error.startswith("HTTP 500")
    assert "webhook delivery given up after 3 attempts" in caplog.text
    told = Notification.objects.filter(event="notifications.webhook_failed", user=agency_admin)
    assert sorted(told.values_list("channel", flat=True)) == ["email", "inbox"]
    assert any("Hệ thống quản lý văn bản" in message.subject for message in mail.outbox)

    # "Retry now" by the administrator: sent again, and delivered now that the receiver is back.
    assert webhook_delivery_retry(actor=agency_admin, delivery_ids=[delivery.pk]) == 1
    webhook_deliveries_deliver(now=now + dt.timedelta(hours=4))
    delivery.refresh_from_db()
    assert delivery.state == State.SENT
    assert list(delivery.attempts_log.values_list("number", flat=True)) == [1, 2, 3, 4]
    assert webhook_delivery_retry(actor=agency_admin, delivery_ids=[delivery.pk]) == 0  # delivered: left alone


def test_retry_and_ping_are_refused_to_other_organisations(agency_admin, other_agency_admin, department):
    subscription, _secret = subscribe(agency_admin, department, "https://a.example.vn/")
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state=State.FAILED)
    with pytest.raises(PermissionDenied):
        webhook_delivery_retry(actor=other_agency_admin, delivery_ids=[delivery.pk])
    with pytest.raises(PermissionDenied):
        webhook_subscription_ping(actor=other_agency_admin, subscription=subscription)
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == State.FAILED
    assert WebhookDelivery.objects.count() == 1


def test_a_test_event_goes_to_the_subscription_whatever_it_listens_to(
    receiver_process, agency_admin, department, django_capture_on_commit_callbacks
):
    subscription, secret = subscribe(agency_admin, department, f"{receiver_process}/hook", events=[WEBHOOK_ONLY])
    control(receiver_process, reset=True, secret=secret)
    with django_capture_on_commit_callbacks(execute=True):
        delivery = webhook_subscription_ping(actor=agency_admin, subscription=subscription)
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == State.SENT
    (accepted,) = received(receiver_process)["accepted"]
    assert accepted["event"] == "notifications.ping"
    assert accepted["body"]["data"]["subscription_id"] == str(subscription.pk)
    webhook_subscription_update(actor=agency_admin, subscription=subscription, changes={"is_active": False})
    with pytest.raises(ValidationFailed):
        webhook_subscription_ping(actor=agency_admin, subscription=WebhookSubscription.objects.get(pk=subscription.pk))


def test_a_delivery_whose_subscription_went_inactive_is_cancelled_not_sent(agency_admin, department):
    subscription, _secret = subscribe(agency_admin, department, "https://a.example.vn/")
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    WebhookSubscription.objects.filter(pk=subscription.pk).update(is_active=False)  # behind the service's back
    report = webhook_deliveries_deliver()
    assert report.cancelled == 1 and report.sent == 0
    assert WebhookDelivery.objects.get(pk=delivery.pk).state == State.CANCELLED
    assert WebhookAttempt.objects.count() == 0
