"""Background tasks of signatures (thin: call a service, log the outcome)."""

from __future__ import annotations

import logging

from django_tasks import task

from motcua.core.permissions import SYSTEM
from motcua.signatures.expiry import certificate_expiry_warn

logger = logging.getLogger(__name__)


@task()
def certificate_expiry_warn_task() -> int:
    """Warn holders of certificates close to expiry (scheduled by operators, daily)."""
    warnings = certificate_expiry_warn(actor=SYSTEM)
    logger.info("certificate expiry warnings: %s", len(warnings))
    return len(warnings)
