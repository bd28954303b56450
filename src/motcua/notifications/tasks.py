"""Background tasks of notifications, on the "notifications" queue (thin: call a service, log the outcome)."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django_tasks import task

from motcua.notifications.services import (
    notifications_deliver,
    notifications_purge,
    notifications_sweep,
    webhook_deliveries_deliver,
)

logger = logging.getLogger(__name__)
QUEUE = "notifications"


@task(queue_name=QUEUE)
def notification_deliver_task(notification_ids: list[str]) -> dict[str, int]:
    """Send the e-mails and SMS a transaction wrote (enqueued when it commits)."""
    report = notifications_deliver(notification_ids=notification_ids)
    return asdict(report)


@task(queue_name=QUEUE)
def webhook_deliver_task(delivery_ids: list[str]) -> dict[str, int]:
    """Send the webhook deliveries a transaction wrote (enqueued when it commits)."""
    report = webhook_deliveries_deliver(delivery_ids=delivery_ids)
    return asdict(report)


@task(queue_name=QUEUE)
def notifications_sweep_task() -> dict[str, dict[str, int]]:
    """Send everything due: retries whose time has come, and rows whose task was lost (periodic)."""
    reports = {name: asdict(report) for name, report in notifications_sweep().items()}
    if any(sum(report.values()) for report in reports.values()):
        logger.info("notifications sweep: %s", reports)
    return reports


@task(queue_name=QUEUE)
def notifications_purge_task() -> dict[str, int]:
    """Delete notifications and webhook deliveries past their retention (daily)."""
    removed = notifications_purge()
    logger.info("notifications purged: %s", removed)
    return removed
