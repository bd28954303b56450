"""notify(): languages, channels and preferences, deduplication, after-commit delivery (nothing for a rolled-back
change), the sweep for lost tasks, retries with back-off and giving up, template overrides."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from motcua.core.exceptions import NotAuthenticated, PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent
from motcua.notifications.events import event_get
from motcua.notifications.models import Notification, NotificationPreference
from motcua.notifications.services import (
    Recipient,
    link_absolute,
    notification_preferences_set,
    notification_retry,
    notification_template_save,
    notifications_deliver,
    notifications_sweep,
    notify,
    retry_delay,
)
from tests.notifications.conftest import CONTEXT, NOTE, RECEIVED, WEBHOOK_ONLY

pytestmark = pytest.mark.django_db
State = Notification.State


def rows(**filters):
    return list(Notification.objects.filter(**filters).order_by("recipient_key", "channel"))


def send(recipients, committed, **kwargs):
    with committed():
        return notify(
            event=kwargs.pop("event", RECEIVED), recipients=recipients, context=kwargs.pop("context", CONTEXT), **kwargs
        )


# ------------------------------------------------------------------------------------------------------
# Languages, channels, recipients
# ------------------------------------------------------------------------------------------------------


def test_each_recipient_is_told_in_their_own_language_on_every_channel_they_can_be_reached(
    lan, john, claire, committed, sms_outbox
):
    written = send([lan, john, claire], committed, link="/dossiers/mine/000.00.20.H49-260302-0007/")

    assert {(row.user, row.channel) for row in written} == {
        (lan, "email"),
        (lan, "sms"),
        (lan, "inbox"),
        (john, "email"),  # no phone: no SMS
        (john, "inbox"),
        (claire, "email"),
        (claire, "sms"),
        (claire, "inbox"),
    }
    inbox = {row.user: row for row in rows(channel="inbox")}
    assert inbox[lan].subject == "Đã tiếp nhận: 000.00.20.H49-260302-0007"
    assert inbox[john].subject == "Received: 000.00.20.H49-260302-0007"
    assert inbox[claire].subject == "Reçu: 000.00.20.H49-260302-0007"
    assert "Mã hồ sơ: 000.00.20.H49-260302-0007" in inbox[lan].body and "Nguyễn Thị Lan" in inbox[lan].body
    assert "Code du dossier" in inbox[claire].body
    assert all(row.state == State.SENT and row.sent_at for row in inbox.values())  # the inbox row is the message
    assert inbox[lan].link == "http://127.0.0.1:8000/dossiers/mine/000.00.20.H49-260302-0007/"

    # After commit the e-mails went (plain text and HTML), each in its reader's language.
    by_address = {message.to[0]: message for message in mail.outbox}
    assert set(by_address) == {"lan@example.vn", "john@example.com", "claire@example.fr"}
    assert by_address["lan@example.vn"].subject.startswith("Đã tiếp nhận")
    html, mimetype = by_address["john@example.com"].alternatives[0]
    assert mimetype == "text/html" and "<strong>000.00.20.H49-260302-0007</strong>" in html
    assert by_address["john@example.com"].extra_headers["Auto-Submitted"] == "auto-generated"
    # ... and the SMS, folded to ASCII, to E.164 numbers.
    sms = {line["to"]: line for line in sms_outbox()}
    assert set(sms) == {"+84912345678", "+33612345678"}
    assert sms["+84912345678"]["text"] == "Ma ho so 000.00.20.H49-260302-0007 - Da tiep nhan. Cap phieu ly lich tu phap"
    assert all(row.state == State.SENT and row.provider_reference for row in rows(channel__in=["email", "sms"]))


def test_someone_without_an_account_gets_e_mail_and_sms_but_no_inbox(committed, sms_outbox):
    contact = Recipient(email="hoa@example.vn", phone="0987654321", language="en", name="Trần Thị Hoa")
    written = send([contact], committed)
    assert sorted(row.channel for row in written) == ["email", "sms"]
    assert all(row.user is None and row.recipient_name == "Trần Thị Hoa" for row in written)
    assert mail.outbox[0].subject == "Received: 000.00.20.H49-260302-0007"
    assert [line["to"] for line in sms_outbox()] == ["+84987654321"]


def test_explicit_addresses_win_over_the_account_and_a_person_named_twice_is_told_once(lan, committed):
    written = send([lan, Recipient(user=lan), Recipient(user=lan, email="other@example.vn", language="en")], committed)
    assert len([row for row in written if row.channel == "email"]) == 1
    assert mail.outbox[0].to == ["lan@example.vn"]  # the first naming of the person wins

    mail.outbox.clear()
    Notification.objects.all().delete()
    send([Recipient(user=lan, email="other@example.vn", language="en")], committed)
    assert mail.outbox[0].to == ["other@example.vn"] and mail.outbox[0].subject.startswith("Received")


def test_a_closed_account_is_told_nothing(lan, john, committed):
    lan.is_active = False
    lan.save()
    written = send([lan, john], committed)
    assert {row.user for row in written} == {john}
    assert [message.to for message in mail.outbox] == [["john@example.com"]]


def test_an_event_only_uses_its_own_channels_and_unavailable_ones_are_skipped(lan, committed, settings):
    assert sorted(row.channel for row in send([lan], committed, event=NOTE, context={"status": "ok"})) == [
        "email",
        "inbox",
    ]
    settings.SMS_PROVIDER = ""  # SMS turned off in this deployment
    assert sorted(row.channel for row in send([lan], committed)) == ["email", "inbox"]


def test_bad_calls_are_refused_before_anything_is_written(lan):
    with pytest.raises(LookupError):
        notify(event="tests.unknown", recipients=[lan], context={})
    with pytest.raises(ValueError, match="webhooks only"):
        notify(event=WEBHOOK_ONLY, recipients=[lan], context={})
    with pytest.raises(TypeError, match="JSON"):
        notify(event=RECEIVED, recipients=[lan], context={"user": lan})
    with pytest.raises(ValueError, match="recipient needs"):
        notify(event=RECEIVED, recipients=[Recipient(name="Nobody")], context=CONTEXT)
    assert Notification.objects.count() == 0


def test_links_are_made_absolute_from_the_site_url(settings):
    settings.SITE_URL = "https://dichvucong.quangninh.gov.vn"
    assert link_absolute("/dossiers/x/") == "https://dichvucong.quangninh.gov.vn/dossiers/x/"
    assert link_absolute("dossiers/x/") == "https://dichvucong.quangninh.gov.vn/dossiers/x/"
    assert link_absolute("https://example.vn/a") == "https://example.vn/a"
    assert link_absolute("") == ""


# ------------------------------------------------------------------------------------------------------
# Preferences
# ------------------------------------------------------------------------------------------------------


def test_a_person_switches_e_mail_and_sms_off_for_every_event_or_one_but_never_the_inbox(lan, committed):
    notification_preferences_set(actor=lan, defaults={"email": False})
    assert sorted(row.channel for row in send([lan], committed)) == ["inbox", "sms"]

    Notification.objects.all().delete()
    notification_preferences_set(actor=lan, defaults={"email": True}, events={RECEIVED: {"sms": False}})
    assert sorted(row.channel for row in send([lan], committed)) == ["email", "inbox"]

    # The event's own choice stays when the default changes; "None" makes it follow the default again.
    Notification.objects.all().delete()
    notification_preferences_set(actor=lan, defaults={"sms": True, "email": False})
    assert sorted(row.channel for row in send([lan], committed)) == ["inbox"]
    notification_preferences_set(actor=lan, events={RECEIVED: {"sms": None}})
    Notification.objects.all().delete()
    assert sorted(row.channel for row in send([lan], committed)) == ["inbox", "sms"]
    assert AuditEvent.objects.filter(action="notifications.preferences_set", object_id=str(lan.pk)).count() == 4


def test_preferences_refuse_unknown_channels_and_events_and_change_nothing(lan, john):
    notification_preferences_set(actor=lan, defaults={"sms": False})
    before = list(NotificationPreference.objects.values_list("user_id", "event", "channel", "enabled"))
    for kwargs in (
        {"defaults": {"inbox": False}},
        {"defaults": {"fax": True}},
        {"defaults": {}, "events": {"tests.unknown": {"email": False}}},
        {"defaults": {}, "events": {RECEIVED: {"inbox": False}}},
        {"defaults": {}, "events": {NOTE: {"email": False}}},  # an officials' event: not a citizen's to choose
    ):
        with pytest.raises(ValidationFailed):
            notification_preferences_set(actor=lan, **kwargs)
    assert list(NotificationPreference.objects.values_list("user_id", "event", "channel", "enabled")) == before
    with pytest.raises(NotAuthenticated):
        notification_preferences_set(actor=None, defaults={"email": False})


# ------------------------------------------------------------------------------------------------------
# Deduplication and transactions
# ------------------------------------------------------------------------------------------------------


def test_a_repeated_call_with_the_same_dedupe_key_tells_nobody_twice(lan, john, committed):
    first = send([lan], committed, dedupe_key="due_soon:dossier-1:2026-03-05")
    assert len(first) == 3
    again = send([lan, john], committed, dedupe_key="due_soon:dossier-1:2026-03-05")
    assert {row.user for row in again} == {john}  # only the one not told yet
    assert Notification.objects.filter(user=lan).count() == 3
    assert len([message for message in mail.outbox if message.to == ["lan@example.vn"]]) == 1
    # Another key is another notice; contacts without an account are deduplicated by their addresses.
    assert len(send([lan], committed, dedupe_key="due_soon:dossier-1:2026-03-06")) == 3
    contact = Recipient(email="hoa@example.vn")
    assert len(send([contact], committed, dedupe_key="k")) == 1
    assert send([contact], committed, dedupe_key="k") == []


def test_the_constraint_backs_deduplication(lan, committed):
    (row, *_rest) = send([lan], committed, dedupe_key="once")
    with pytest.raises(IntegrityError), transaction.atomic():
        Notification.objects.create(
            event=RECEIVED,
            channel=row.channel,
            recipient_key=row.recipient_key,
            language="vi",
            subject="x",
            body="x",
            dedupe_key="once",
            state=State.SENT if row.channel == "inbox" else State.PENDING,
            user=lan,
        )


def test_a_change_that_rolls_back_sends_nothing(lan, django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
        raise RuntimeError("the business change failed")
    assert callbacks == []
    assert Notification.objects.count() == 0 and mail.outbox == []


def test_one_delivery_task_per_transaction_whatever_the_number_of_calls(lan, john, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
        notify(event=RECEIVED, recipients=[john], context=CONTEXT)
    assert len(callbacks) == 1
    assert len(callbacks[0].ids) == 3  # lan's e-mail and SMS, john's e-mail


def test_a_savepoint_rolled_back_drops_only_its_own_notifications(lan, john, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
        with pytest.raises(RuntimeError), transaction.atomic():
            notify(event=RECEIVED, recipients=[john], context=CONTEXT)
            raise RuntimeError
    assert [message.to for message in mail.outbox] == [["lan@example.vn"]]
    assert not Notification.objects.filter(user=john).exists()


# ------------------------------------------------------------------------------------------------------
# Delivery: the sweep, retries, giving up
# ------------------------------------------------------------------------------------------------------


def test_the_sweep_sends_what_a_lost_task_never_sent(lan):
    written = notify(event=RECEIVED, recipients=[lan], context=CONTEXT)  # the after-commit task never runs
    assert {row.state for row in written if row.channel != "inbox"} == {State.PENDING}
    assert mail.outbox == []

    reports = notifications_sweep()
    assert reports["notifications"].sent == 2 and reports["webhooks"].handled == 0
    assert len(mail.outbox) == 1
    assert notifications_sweep()["notifications"].handled == 0  # nothing is sent twice


class FlakyMailBackend:
    """A mail backend whose server refuses the first ``failures`` messages (a mail server that is down)."""

    failures = 0
    sent: list = []

    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass

    def send_messages(self, messages):
        if FlakyMailBackend.failures > 0:
            FlakyMailBackend.failures -= 1
            raise ConnectionRefusedError("the mail server is down")
        FlakyMailBackend.sent.extend(messages)
        return len(messages)


@pytest.fixture
def flaky_mail(settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_services.FlakyMailBackend"
    FlakyMailBackend.sent = []
    return FlakyMailBackend


def test_failures_are_retried_with_back_off_then_given_up(lan, flaky_mail, settings, caplog):
    settings.NOTIFICATION_MAX_ATTEMPTS = 3
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 60
    flaky_mail.failures = 10
    notify(event=NOTE, recipients=[lan], context={"status": "x"})
    email = Notification.objects.get(channel="email")
    now = timezone.now()

    assert notifications_deliver(now=now).retried == 1
    email.refresh_from_db()
    assert email.state == State.PENDING and email.attempts == 1 and "mail server is down" in email.last_error
    assert dt.timedelta(seconds=30) <= email.next_attempt_at - now <= dt.timedelta(seconds=60)
    assert notifications_deliver(now=now + dt.timedelta(seconds=29)).handled == 0  # not yet due

    assert notifications_deliver(now=now + dt.timedelta(minutes=1)).retried == 1
    with caplog.at_level("ERROR"):
        assert notifications_deliver(now=now + dt.timedelta(minutes=5)).failed == 1
    email.refresh_from_db()
    assert email.state == State.FAILED and email.attempts == 3 and email.next_attempt_at is None
    assert "given up after 3 attempts" in caplog.text
    assert notifications_deliver(now=now + dt.timedelta(days=1)).handled == 0


def test_a_given_up_message_is_sent_again_from_the_admin_action_service(lan, flaky_mail, platform_admin):
    flaky_mail.failures = 1
    notify(event=NOTE, recipients=[lan], context={"status": "x"})
    email = Notification.objects.get(channel="email")
    Notification.objects.filter(pk=email.pk).update(state=State.FAILED, attempts=6, next_attempt_at=None)
    inbox = Notification.objects.get(channel="inbox")

    with pytest.raises(PermissionDenied):
        notification_retry(actor=lan, notification_ids=[email.pk])
    assert Notification.objects.get(pk=email.pk).state == State.FAILED

    assert notification_retry(actor=platform_admin, notification_ids=[email.pk, inbox.pk]) == 1
    email.refresh_from_db()
    assert email.state == State.PENDING and email.attempts == 0
    assert notifications_deliver().retried == 1  # the server is still down once
    assert notifications_deliver(now=timezone.now() + dt.timedelta(hours=1)).sent == 1
    assert len(flaky_mail.sent) == 1
    assert AuditEvent.objects.filter(action="notifications.notification_retry", object_id=str(email.pk)).exists()


def test_back_off_doubles_up_to_the_cap_with_jitter():
    rng = random.Random(7)
    delays = [retry_delay(attempts=n, base_seconds=30, cap_seconds=3600, rng=rng).total_seconds() for n in range(1, 10)]
    ceilings = [min(3600, 30 * 2 ** (n - 1)) for n in range(1, 10)]
    assert all(ceiling / 2 <= delay <= ceiling for delay, ceiling in zip(delays, ceilings, strict=True))
    assert ceilings[-1] == 3600


# ------------------------------------------------------------------------------------------------------
# Wording overrides
# ------------------------------------------------------------------------------------------------------


def test_an_administrators_wording_replaces_the_files_for_its_language_only(lan, john, platform_admin, committed):
    notification_template_save(
        actor=platform_admin,
        event=RECEIVED,
        language="vi",
        subject="Hồ sơ {{ code }} đã được tiếp nhận",
        body="Kính gửi {{ recipient.name }}, hồ sơ {{ code }} đã được tiếp nhận.",
    )
    send([lan, john], committed)
    vi_email = next(message for message in mail.outbox if message.to == ["lan@example.vn"])
    assert vi_email.subject == "Hồ sơ 000.00.20.H49-260302-0007 đã được tiếp nhận"
    assert vi_email.body == "Kính gửi Nguyễn Thị Lan, hồ sơ 000.00.20.H49-260302-0007 đã được tiếp nhận."
    assert vi_email.alternatives == []  # the HTML part would say something else
    sms = Notification.objects.get(user=lan, channel="sms")
    assert sms.body.startswith("Ma ho so 000.00.20.H49")  # the SMS part was not overridden: the file's
    en_email = next(message for message in mail.outbox if message.to == ["john@example.com"])
    assert en_email.subject == "Received: 000.00.20.H49-260302-0007"


def test_wording_that_is_not_a_working_template_is_refused(platform_admin, lan):
    for kwargs, field in (
        ({"subject": "{% if %}"}, "subject"),
        ({"body": "{{ code|no_such_filter }}"}, "body"),
        ({"sms": "{% url 'no-such-page' %}"}, "sms"),
        ({"subject": "", "body": "", "sms": ""}, "__all__"),
    ):
        with pytest.raises(ValidationFailed) as caught:
            notification_template_save(actor=platform_admin, event=RECEIVED, language="vi", **kwargs)
        assert field in caught.value.details
    with pytest.raises(ValidationFailed) as caught:
        notification_template_save(actor=platform_admin, event="tests.unknown", language="xx", subject="x")
    assert {"event", "language"} <= set(caught.value.details)
    with pytest.raises(PermissionDenied):
        notification_template_save(actor=lan, event=RECEIVED, language="vi", subject="x")


def test_the_registry_describes_the_platform_events():
    expiring = event_get("signatures.certificate_expiring")
    assert expiring.audience == "officials" and expiring.channels == ("email", "inbox")
    assert event_get("notifications.webhook_failed").notifies_people
    assert not event_get("notifications.ping").notifies_people


def test_telling_many_people_costs_a_few_queries_not_a_few_per_person(django_assert_max_num_queries):
    from tests.factories import UserFactory

    people = UserFactory.create_batch(40, phone="0912345678")
    # Preferences, overrides, the dedupe check, the insert (in a batch or two), the dedupe re-read.
    with django_assert_max_num_queries(8):
        written = notify(event=RECEIVED, recipients=people, context=CONTEXT, dedupe_key="many")
    assert len(written) == 40 * 3
