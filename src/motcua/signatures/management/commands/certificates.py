"""``motcua certificates expiring [--days N] [--warn]``: signing certificates close to expiry, and warn holders."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from motcua.core.permissions import SYSTEM
from motcua.signatures.expiry import WARNING_DAYS, certificate_expiry_warn, certificates_expiring


class Command(BaseCommand):
    help = "List signing certificates that expire soon (JSON); with --warn, warn their holders (run daily)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["expiring"])
        parser.add_argument("--days", type=int, default=WARNING_DAYS[0], help="look this many days ahead")
        parser.add_argument("--warn", action="store_true", help="send the warnings that are due (30, 7, 1 days)")

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        warned = (
            {item.certificate.pk for item in certificate_expiry_warn(now=now, actor=SYSTEM)}
            if options["warn"]
            else set()
        )
        rows = [
            {
                "serial_number": row.serial_number,
                "kind": row.kind,
                "subject": row.subject_common_name,
                "organisation_code": row.organisation_code,
                "not_after": row.not_after.isoformat(),
                "days_left": max(0, (row.not_after - now).days),
                "warned_now": row.pk in warned,
            }
            for row in certificates_expiring(within_days=options["days"], now=now)
        ]
        self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
