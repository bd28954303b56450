"""The periodic sweep (send what is due, whatever task was lost) and the purge of old rows."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from motcua.notifications.models import Notification, WebhookDelivery
from motcua.notifications.services._common import DeliveryReport, setting_int
from motcua.notifications.services.delivery import notifications_deliver
from motcua.notifications.services.webhooks import webhook_deliveries_deliver


def notifications_sweep(*, now: dt.datetime | None = None, limit: int = 1000) -> dict[str, DeliveryReport]:
    """Send every e-mail, SMS and webhook delivery whose time has come: new ones whose task was lost, and
    those waiting for their next attempt."""
    return {
        "notifications": notifications_deliver(now=now, limit=limit),
        "webhooks": webhook_deliveries_deliver(now=now, limit=limit),
    }


@transaction.atomic
def notifications_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete notifications and webhook deliveries (with their attempts) older than
    ``NOTIFICATION_RETENTION_DAYS``, except those still waiting to be sent; 0 keeps everything."""
    days = setting_int("NOTIFICATION_RETENTION_DAYS", 365)
    if days <= 0:
        return {"notifications": 0, "webhook_deliveries": 0}
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    notifications, _by_model = (
        Notification.objects.filter(created_at__lt=cutoff).exclude(state=Notification.State.PENDING).delete()
    )
    deliveries = WebhookDelivery.objects.filter(created_at__lt=cutoff).exclude(state=WebhookDelivery.State.PENDING)
    delivery_count = deliveries.count()
    deliveries.delete()
    return {"notifications": notifications, "webhook_deliveries": delivery_count}
