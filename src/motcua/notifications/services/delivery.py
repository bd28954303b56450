"""Sending e-mails and SMS after commit, with back-off, and giving them up; re-sending from the admin.

``notifications_deliver`` (tasks ``notification_deliver_task`` with the ids a transaction wrote, and
``notifications_sweep_task`` for everything due) follows the national portal outbox's approach: a worker
claims due rows under ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's write lock serialises
claims) and leases them by moving ``next_attempt_at`` past the send timeout, then sends outside the
transaction, so several workers never send the same message and one that dies mid-send only delays it.
A failure is tried again after an exponential back-off with jitter (``NOTIFICATION_RETRY_BASE_SECONDS``,
doubling up to ``NOTIFICATION_RETRY_MAX_SECONDS``) until ``NOTIFICATION_MAX_ATTEMPTS``, then given up
("failed", logged as an error); an address refused for good is given up at once.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from motcua.core.audit import audit_record
from motcua.core.permissions import permission_require
from motcua.notifications.channels import Channel, ChannelRejected, channel_find
from motcua.notifications.models import INBOX, Notification
from motcua.notifications.services._common import (
    CLAIM_BATCH,
    DeliveryReport,
    deliver_after_commit,
    logger,
    retry_delay,
    setting_int,
)

State = Notification.State
# How long a claimed row is held by the worker sending it (mail servers and SMS gateways answer in seconds).
LEASE_SECONDS = 120


def _claim(*, now: dt.datetime, limit: int, ids: list[str] | None) -> list[Notification]:
    with transaction.atomic():
        due = Notification.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        due = due.order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:limit])
        if claimed:
            Notification.objects.filter(pk__in=[row.pk for row in claimed]).update(
                next_attempt_at=now + dt.timedelta(seconds=LEASE_SECONDS), attempts=F("attempts") + 1
            )
    for row in claimed:
        row.attempts += 1
    return claimed


def _deliver_one(*, channel: Channel | None, row: Notification, now: dt.datetime, report: DeliveryReport) -> None:
    outcome: dict[str, Any]
    try:
        if channel is None:
            raise ChannelRejected(f"no channel {row.channel!r} is registered any more")
        reference = channel.send(row)
    except ChannelRejected as error:
        outcome = {"state": State.FAILED, "last_error": str(error)[:4000], "next_attempt_at": None}
        report.failed += 1
        logger.error(
            "notification refused for good",
            extra={"notification": str(row.pk), "channel": row.channel, "error": str(error)},
        )
    except Exception as error:
        message = f"{type(error).__name__}: {error}"[:4000]
        if row.attempts >= setting_int("NOTIFICATION_MAX_ATTEMPTS", 6):
            outcome = {"state": State.FAILED, "last_error": message, "next_attempt_at": None}
            report.failed += 1
            logger.error(
                "notification given up after %s attempts: %s",
                row.attempts,
                message,
                extra={"notification": str(row.pk), "channel": row.channel},
            )
        else:
            delay = retry_delay(
                attempts=row.attempts,
                base_seconds=setting_int("NOTIFICATION_RETRY_BASE_SECONDS", 60),
                cap_seconds=setting_int("NOTIFICATION_RETRY_MAX_SECONDS", 3600),
            )
            outcome = {"last_error": message, "next_attempt_at": now + delay}
            report.retried += 1
            logger.warning("notification not sent, will retry: %s", message, extra={"notification": str(row.pk)})
    else:
        outcome = {"state": State.SENT, "sent_at": now, "last_error": "", "provider_reference": reference[:300]}
        report.sent += 1
    # Only while this worker's claim stands (a worker that outlived its lease must not overwrite a newer one).
    Notification.objects.filter(pk=row.pk, state=State.PENDING, attempts=row.attempts).update(**outcome)


def notifications_deliver(
    *, notification_ids: Iterable[Any] | None = None, now: dt.datetime | None = None, limit: int = 1000
) -> DeliveryReport:
    """Send due e-mails and SMS (only those named, if ids are given), each channel's in one batch."""
    ids = [str(identifier) for identifier in notification_ids] if notification_ids is not None else None
    report = DeliveryReport()
    while report.handled < limit:
        claimed = _claim(now=now or timezone.now(), limit=min(CLAIM_BATCH, limit - report.handled), ids=ids)
        if not claimed:
            break
        by_channel: dict[str, list[Notification]] = defaultdict(list)
        for row in claimed:
            by_channel[row.channel].append(row)
        for key, rows in by_channel.items():
            channel = channel_find(key)
            if channel is None:
                for row in rows:
                    _deliver_one(channel=None, row=row, now=now or timezone.now(), report=report)
                continue
            try:
                with channel.batch():
                    for row in rows:
                        _deliver_one(channel=channel, row=row, now=now or timezone.now(), report=report)
            except Exception:
                # Opening or closing the batch failed (a mail server refusing connections): the rows not
                # handled keep their lease and are tried again after it.
                logger.exception("notification channel %s failed", key)
    return report


@transaction.atomic
def notification_retry(
    *, actor: Any, notification_ids: Iterable[uuid.UUID | str], now: dt.datetime | None = None
) -> int:
    """Put given-up or waiting e-mails and SMS back in the queue now, with a fresh count of attempts."""
    permission_require(actor, "notifications.retry")
    now = now or timezone.now()
    rows = list(
        Notification.objects.select_for_update()
        .filter(pk__in=list(notification_ids), state__in=[State.FAILED, State.PENDING])
        .exclude(channel=INBOX)
    )
    for row in rows:
        before = {"state": row.state, "attempts": row.attempts, "last_error": row.last_error}
        row.state, row.attempts, row.next_attempt_at = State.PENDING, 0, now
        row.save(update_fields=["state", "attempts", "next_attempt_at", "updated_at"])
        audit_record(
            action="notifications.notification_retry",
            instance=row,
            before=before,
            after={"state": row.state, "attempts": 0},
            actor=actor,
        )
    deliver_after_commit(kind="notification", ids=[row.pk for row in rows])
    return len(rows)
