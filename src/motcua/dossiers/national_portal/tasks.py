"""Background delivery of the national portal outbox (thin: call the service, log the outcome)."""

from __future__ import annotations

import logging
from dataclasses import asdict

from django_tasks import task

from motcua.dossiers.national_portal.outbox import portal_outbox_deliver

logger = logging.getLogger(__name__)


@task()
def portal_outbox_deliver_task() -> dict[str, int]:
    """Send the due outbox records (enqueued after each dossier change commits; also run from cron with
    ``motcua portal deliver``)."""
    report = portal_outbox_deliver()
    if report.handled:
        logger.info("national portal outbox: %s", asdict(report))
    return asdict(report)
