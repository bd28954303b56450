"""Notifications: how many messages per second notify() writes and the channels deliver, and webhooks per second.

``notifications_measure(...)`` runs on the benchmark's database (a throw-away one; the embedded task backend, so
each committed ``notify()`` also enqueues its delivery task, as in production) and times:

* ``notify()`` called once per transaction for one citizen (in-app inbox and e-mail rows, rendered in the
  citizen's language from the event's template files), and called once for a hundred citizens;
* the in-app inbox alone (e-mail and SMS switched off by the people's preferences);
* delivering the e-mails written (Django's locmem backend: the cost of rendering and handing over the message,
  not of an SMTP server) and SMS (the demo ``file`` provider);
* webhook deliveries to a local receiver (``tests/support/webhook_receiver.py`` in its own process, on
  127.0.0.1): emitted in the caller's transaction, then signed and POSTed one after the other by one worker;
* the header's unread count for a person with a thousand notifications.

The event is the certificate-expiry warning of the signatures app (its real, translated templates), with the SMS
channel added for the measure. Counts scale with ``scale`` (the smoke test runs a tiny one).
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

RECEIVER = Path(__file__).resolve().parents[1] / "support" / "webhook_receiver.py"
BENCH_EVENT = "bench.certificate_expiring"
NOTIFY_ONE = "notify() one citizen per transaction (inbox + e-mail)"
NOTIFY_HUNDRED = "notify() a hundred citizens in one call (inbox + e-mail)"
NOTIFY_INBOX = "notify() inbox only (e-mail and SMS switched off)"
DELIVER_EMAIL = "e-mail delivery (locmem backend)"
DELIVER_SMS = "SMS delivery (file provider)"
WEBHOOKS = "webhook deliveries to a local receiver (signed POST, one worker)"
UNREAD_COUNT = "unread count in the page header (1,000 notifications)"
MEASUREMENTS = (NOTIFY_ONE, NOTIFY_HUNDRED, NOTIFY_INBOX, DELIVER_EMAIL, DELIVER_SMS, WEBHOOKS, UNREAD_COUNT)


@dataclass(frozen=True)
class NotificationTiming:
    measurement: str
    count: int
    seconds: float
    unit: str
    note: str = ""

    @property
    def per_second(self) -> float:
        return self.count / self.seconds

    @property
    def per_operation_ms(self) -> float:
        return self.seconds * 1000 / self.count


def _timed(function: Callable[[], Any]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def _citizens(count: int, prefix: str, series: int) -> list[Any]:
    from motcua.accounts.models import User

    users = [
        User(
            username=f"{prefix}-{number}",
            kind=User.Kind.CITIZEN,
            full_name=f"Nguyễn Văn {number}",
            personal_id=f"{series:03d}09{number:07d}",
            email=f"{prefix}-{number}@example.vn",
            phone=f"09{number:08d}",
            preferred_language=("vi", "en", "fr")[number % 3],
        )
        for number in range(count)
    ]
    return User.objects.bulk_create(users)


def _context(number: int) -> dict[str, Any]:
    return {
        "certificate_name": f"Nguyễn Văn {number}",
        "serial_number": f"54A1{number:012X}",
        "not_after": "2026-12-31T10:00:00+00:00",
        "days": 7,
        "threshold": 7,
        "seal": False,
    }


def _receiver() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, str(RECEIVER), "--port", "0"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    port = int(process.stdout.readline().split()[1])
    return process, f"http://127.0.0.1:{port}"


def notifications_measure(*, scale: float = 1.0) -> list[NotificationTiming]:
    import requests

    from motcua.agencies.models import Organisation
    from motcua.core.permissions import SYSTEM
    from motcua.notifications.events import event_unregister, notification_event_register
    from motcua.notifications.models import Notification, NotificationPreference
    from motcua.notifications.selectors import notification_unread_count
    from motcua.notifications.services import (
        notifications_deliver,
        notify,
        webhook_deliveries_deliver,
        webhook_emit,
        webhook_subscription_create,
    )

    def count(base: int) -> int:
        return max(1, int(base * scale))

    saved = {name: getattr(settings, name) for name in ("EMAIL_BACKEND", "SMS_PROVIDER", "DATA_DIR")}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SMS_PROVIDER = "file"
    settings.DATA_DIR = Path(tempfile.mkdtemp(prefix="motcua-bench-sms-"))
    notification_event_register(
        BENCH_EVENT,
        label="Bench",
        template="signatures/notifications/certificate_expiring",
        channels=("email", "inbox"),
    )
    results: list[NotificationTiming] = []
    process = None
    try:
        # notify(): one transaction per citizen, as a dossier transition does.
        single = _citizens(count(500), "bench-one", 1)
        notify(event=BENCH_EVENT, recipients=[single[0]], context=_context(0))  # warm the template cache

        def one_each() -> None:
            for number, person in enumerate(single):
                with transaction.atomic():
                    notify(event=BENCH_EVENT, recipients=[person], context=_context(number), link="/dossiers/mine/")

        seconds = _timed(one_each)
        results.append(
            NotificationTiming(NOTIFY_ONE, 2 * len(single), seconds, "notifications", f"{len(single)} calls")
        )

        many = _citizens(count(1000), "bench-many", 2)
        batches = [many[start : start + 100] for start in range(0, len(many), 100)]

        def hundred_each() -> None:
            for batch in batches:
                with transaction.atomic():
                    notify(event=BENCH_EVENT, recipients=batch, context=_context(1), link="/dossiers/mine/")

        seconds = _timed(hundred_each)
        results.append(
            NotificationTiming(NOTIFY_HUNDRED, 2 * len(many), seconds, "notifications", f"{len(batches)} calls")
        )

        quiet = _citizens(count(500), "bench-quiet", 3)
        NotificationPreference.objects.bulk_create(
            NotificationPreference(user=person, event="", channel=channel, enabled=False)
            for person in quiet
            for channel in ("email", "sms")
        )

        def inbox_only() -> None:
            for number, person in enumerate(quiet):
                with transaction.atomic():
                    notify(event=BENCH_EVENT, recipients=[person], context=_context(number))

        seconds = _timed(inbox_only)
        results.append(NotificationTiming(NOTIFY_INBOX, len(quiet), seconds, "notifications", f"{len(quiet)} calls"))

        # Delivering what was written: every pending e-mail, then SMS of another run with the SMS channel.
        pending_emails = Notification.objects.filter(channel="email", state="pending").count()
        seconds = _timed(lambda: notifications_deliver(limit=pending_emails))
        results.append(NotificationTiming(DELIVER_EMAIL, pending_emails, seconds, "e-mails"))

        notification_event_register(
            BENCH_EVENT,
            label="Bench",
            template="signatures/notifications/certificate_expiring",
            channels=("sms",),
        )
        texted = _citizens(count(500), "bench-sms", 4)
        with transaction.atomic():
            notify(event=BENCH_EVENT, recipients=texted, context=_context(2))
        pending_sms = Notification.objects.filter(channel="sms", state="pending").count()
        seconds = _timed(lambda: notifications_deliver(limit=pending_sms))
        results.append(NotificationTiming(DELIVER_SMS, pending_sms, seconds, "SMS"))

        # Webhooks: a subscription to a real local receiver process.
        process, url = _receiver()
        organisation = Organisation.objects.create(code="000.00.99.K99", name="Bench", kind=Organisation.Kind.OTHER)
        _subscription, secret = webhook_subscription_create(
            actor=SYSTEM, organisation=organisation, name="Bench", target_url=f"{url}/hook", events=[BENCH_EVENT]
        )
        requests.post(f"{url}/_control", json={"reset": True, "secret": secret}, timeout=5).raise_for_status()
        deliveries = count(300)
        for number in range(deliveries):
            with transaction.atomic():
                webhook_emit(event=BENCH_EVENT, organisation_ids=[organisation.pk], payload={"number": number})
        report: list[Any] = []
        seconds = _timed(lambda: report.append(webhook_deliveries_deliver(limit=deliveries)))
        accepted = len(requests.get(f"{url}/_control", timeout=5).json()["accepted"])
        assert report[0].sent == deliveries == accepted, (report, accepted)
        results.append(NotificationTiming(WEBHOOKS, deliveries, seconds, "deliveries", f"{accepted} received"))

        # The header badge: one count per page for a person with a thousand notifications.
        reader = single[0]
        Notification.objects.bulk_create(
            Notification(
                event=BENCH_EVENT,
                channel="inbox",
                user=reader,
                recipient_key=f"user:{reader.pk}",
                language="vi",
                subject="x",
                body="x",
                state="sent" if number % 4 else "read",
                read_at=None if number % 4 else reader.date_joined,
            )
            for number in range(1000)
        )
        samples = count(500)
        notification_unread_count(user=reader)
        seconds = _timed(lambda: [notification_unread_count(user=reader) for _ in range(samples)])
        results.append(NotificationTiming(UNREAD_COUNT, samples, seconds, "pages"))
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=10)
        event_unregister(BENCH_EVENT)
        for name, value in saved.items():
            setattr(settings, name, value)
    return results


def notifications_table(timings: list[NotificationTiming]) -> str:
    header = "| measurement | throughput | per operation | notes |\n|---|---|---|---|\n"
    return header + "".join(
        f"| {timing.measurement} | {timing.per_second:,.0f} {timing.unit}/s | {timing.per_operation_ms:.3f} ms | "
        f"{timing.note} |\n"
        for timing in timings
    )


def notifications_machine() -> str:
    from django.db import connection

    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, {connection.vendor}"
