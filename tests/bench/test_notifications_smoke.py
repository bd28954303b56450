"""The notifications benchmark's own code, at a tiny size on the test database (structure only, never timings)."""

import pytest

from motcua.notifications.events import event_find
from motcua.notifications.models import Notification, WebhookDelivery
from tests.bench.notifications import (
    BENCH_EVENT,
    MEASUREMENTS,
    notifications_machine,
    notifications_measure,
    notifications_table,
)
from tests.bench.run import _arguments

pytestmark = pytest.mark.django_db


def test_every_figure_is_measured_and_what_was_measured_really_happened():
    timings = notifications_measure(scale=0.02)

    assert [timing.measurement for timing in timings] == list(MEASUREMENTS)
    assert all(timing.count >= 1 and timing.seconds > 0 and timing.per_second > 0 for timing in timings)
    by_name = {timing.measurement: timing for timing in timings}
    # What the figures count was really done: rows written, e-mails and SMS sent, webhooks received.
    assert Notification.objects.filter(channel="email", state="sent").count() == by_name[MEASUREMENTS[3]].count
    assert Notification.objects.filter(channel="sms", state="sent").count() == by_name[MEASUREMENTS[4]].count
    assert WebhookDelivery.objects.filter(state="sent").count() == by_name[MEASUREMENTS[5]].count
    assert event_find(BENCH_EVENT) is None  # the bench's own event is gone again

    table = notifications_table(timings)
    assert table.count("\n") == 2 + len(MEASUREMENTS)
    assert "cores" in notifications_machine()
    assert _arguments(["--only", "notifications"]).only == "notifications"
