"""``motcua portal deliver [--limit N]`` (send due outbox records now) and ``motcua portal status``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count

from motcua.dossiers.models import PortalOutboxRecord
from motcua.dossiers.national_portal.outbox import portal_outbox_deliver


class Command(BaseCommand):
    help = (
        "National public service portal outbox. `deliver` sends the records that are due (for cron or "
        "operators; workers also do it after each change); `status` counts the records per state."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["deliver", "status"])
        parser.add_argument("--limit", type=int, default=10_000, help="deliver: at most this many records")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "status":
            counts = dict(PortalOutboxRecord.objects.values_list("state").annotate(count=Count("id")).order_by("state"))
            for state in PortalOutboxRecord.State.values:
                self.stdout.write(f"{state}: {counts.get(state, 0)}")
            return
        try:
            report = portal_outbox_deliver(limit=options["limit"])
        except LookupError as error:  # the configured client cannot be built (e.g. no URL)
            raise CommandError(str(error)) from error
        self.stdout.write(
            f"sent {report.sent}, to retry {report.retried}, rejected {report.rejected}, given up {report.failed}"
        )
