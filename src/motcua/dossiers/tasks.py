"""Background tasks of dossiers (thin: call a service or a selector, log the outcome)."""

from __future__ import annotations

import datetime as dt
import logging

from django.db.models.functions import Now
from django_tasks import task

from motcua.dossiers.models import DossierFile

logger = logging.getLogger(__name__)

# Uploads never attached to an application are forgotten after this long.
UNUSED_UPLOAD_HOURS = 48


@task()
def dossier_unused_uploads_purge_task() -> int:
    """Delete uploads that no application used within two days (scheduled by operators, e.g. hourly).

    Files shared by re-use are never unattached, so only blobs nobody else points to are removed.
    """
    cutoff = Now() - dt.timedelta(hours=UNUSED_UPLOAD_HOURS)
    stale = DossierFile.objects.filter(dossier__isnull=True, created_at__lt=cutoff, reuses__isnull=True)
    removed = 0
    for item in stale:
        name = item.file.name
        item.delete()
        if not DossierFile.objects.filter(file=name).exists():
            item.file.storage.delete(name)
        removed += 1
    logger.info("unused dossier uploads removed: %s", removed)
    return removed


@task()
def dossier_deadlines_notify_task() -> dict[str, int]:
    """Tell officials of dossiers due within a working day or overdue (periodic, hourly; once per appointment)."""
    from motcua.dossiers.notifying import dossier_deadlines_notify

    counts = dossier_deadlines_notify()
    logger.info("dossier deadline notices: %s", counts)
    return counts
