"""``motcua notifications deliver|status``: send what is due now (a cron safety net), or count rows by state."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db.models import Count

from motcua.notifications.models import Notification, WebhookDelivery
from motcua.notifications.services import notifications_sweep


class Command(BaseCommand):
    help = "Send the e-mails, SMS and webhook deliveries that are due (deliver), or count them by state (status)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["deliver", "status"])
        parser.add_argument("--limit", type=int, default=1000, help="at most this many of each kind (deliver)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "deliver":
            reports = notifications_sweep(limit=options["limit"])
            self.stdout.write(json.dumps({name: asdict(report) for name, report in reports.items()}, indent=2))
            return
        notifications: dict[str, dict[str, int]] = {}
        for row in Notification.objects.values("channel", "state").annotate(count=Count("id")).order_by():
            notifications.setdefault(row["channel"], {})[row["state"]] = row["count"]
        deliveries = {
            row["state"]: row["count"]
            for row in WebhookDelivery.objects.values("state").annotate(count=Count("id")).order_by()
        }
        self.stdout.write(json.dumps({"notifications": notifications, "webhook_deliveries": deliveries}, indent=2))
