"""Tasks on the "notifications" queue, the periodic sweep and purge, and the template helpers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.template import Context, Template
from django.utils import timezone, translation

from motcua.core import schedule
from motcua.notifications import tasks
from motcua.notifications.models import Notification, WebhookAttempt, WebhookDelivery
from motcua.notifications.services import notifications_purge, notify, webhook_emit, webhook_subscription_create
from motcua.notifications.services._common import _DeliverAfterCommit
from tests.notifications.conftest import CONTEXT, RECEIVED

pytestmark = pytest.mark.django_db


def test_the_sweep_and_the_purge_are_periodic_jobs_on_the_notifications_queue():
    jobs = {job.name: job for job in schedule.periodic_jobs()}
    assert jobs["notifications.sweep"].every == dt.timedelta(seconds=30)
    assert jobs["notifications.purge"].every == dt.timedelta(days=1)
    for task in (
        tasks.notification_deliver_task,
        tasks.webhook_deliver_task,
        tasks.notifications_sweep_task,
        tasks.notifications_purge_task,
    ):
        assert task.queue_name == "notifications"


def test_the_sweep_task_sends_what_is_due(lan):
    notify(event=RECEIVED, recipients=[lan], context=CONTEXT)  # its after-commit task never ran
    result = tasks.notifications_sweep_task.enqueue()
    assert result.return_value["notifications"]["sent"] == 2
    assert len(mail.outbox) == 1


def test_a_task_that_cannot_be_enqueued_leaves_the_rows_for_the_sweep(lan, monkeypatch, caplog):
    written = notify(event=RECEIVED, recipients=[lan], context=CONTEXT)

    class QueueDown:
        def enqueue(self, *args, **kwargs):
            raise ConnectionError("the task queue is down")

    monkeypatch.setattr(tasks, "notification_deliver_task", QueueDown())
    callback = _DeliverAfterCommit("notification")
    callback.ids = [str(row.pk) for row in written]
    with caplog.at_level("ERROR"):
        callback()
    assert "could not enqueue" in caplog.text
    assert Notification.objects.filter(state="pending").count() == 2


def test_old_rows_are_purged_but_waiting_ones_kept(lan, agency_admin, department, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 30
    notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
    webhook_subscription_create(
        actor=agency_admin, organisation=department, name="A", target_url="https://a.example.vn/", events=[RECEIVED]
    )
    delivery = webhook_emit(event=RECEIVED, organisation_ids=[department.pk], payload={})[0]
    WebhookDelivery.objects.filter(pk=delivery.pk).update(state="failed")
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), duration_ms=1, error="x")
    Notification.objects.filter(channel="email").update(state="sent")

    later = timezone.now() + dt.timedelta(days=31)
    assert notifications_purge(now=later) == {"notifications": 2, "webhook_deliveries": 1}  # the SMS still waits
    assert list(Notification.objects.values_list("channel", flat=True)) == ["sms"]
    assert not WebhookAttempt.objects.exists()
    settings.NOTIFICATION_RETENTION_DAYS = 0
    assert notifications_purge(now=later + dt.timedelta(days=3650)) == {"notifications": 0, "webhook_deliveries": 0}
    assert tasks.notifications_purge_task.enqueue().return_value == {"notifications": 0, "webhook_deliveries": 0}


def test_dates_from_a_context_are_shown_in_vietnam_time():
    template = Template('{% load notifications %}{{ value|as_datetime|date:"d/m/Y H:i" }}')
    with translation.override("vi"):
        assert template.render(Context({"value": "2026-03-02T02:30:00+00:00"})) == "02/03/2026 09:30"
        assert template.render(Context({"value": "2026-03-02T02:30:00"})) == "02/03/2026 09:30"  # naive: UTC
        assert (
            Template('{% load notifications %}{{ value|as_datetime|date:"d/m/Y" }}').render(
                Context({"value": "2026-03-05"})
            )
            == "05/03/2026"
        )
        assert (
            Template("{% load notifications %}{{ value|as_datetime }}").render(Context({"value": "hôm nay"}))
            == "hôm nay"
        )


def test_the_command_delivers_what_is_due_and_counts_by_state(lan):
    import io
    import json

    from django.core.management import call_command

    notify(event=RECEIVED, recipients=[lan], context=CONTEXT)
    out = io.StringIO()
    call_command("notifications", "status", stdout=out)
    assert json.loads(out.getvalue()) == {
        "notifications": {"email": {"pending": 1}, "sms": {"pending": 1}, "inbox": {"sent": 1}},
        "webhook_deliveries": {},
    }
    out = io.StringIO()
    call_command("notifications", "deliver", stdout=out)
    assert json.loads(out.getvalue())["notifications"]["sent"] == 2
    out = io.StringIO()
    call_command("notifications", "status", stdout=out)
    assert json.loads(out.getvalue())["notifications"]["email"] == {"sent": 1}
