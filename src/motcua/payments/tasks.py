"""Background tasks of payments (thin: call a service, log the outcome)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone
from django_tasks import task

from motcua.core.permissions import SYSTEM
from motcua.payments.errors import GatewayUnavailable

logger = logging.getLogger(__name__)


@task()
def payments_status_sweep_task() -> dict[str, int]:
    """Every minute: settle or expire payments whose browser never came back."""
    from motcua.payments.services import payments_status_sweep

    counts = payments_status_sweep()
    if counts["checked"]:
        logger.info("payment status sweep: %s", counts)
    return counts


@task()
def payment_refund_execute_task(refund_id: str) -> str:
    from motcua.payments.services import payment_refund_execute

    return str(payment_refund_execute(refund_id=refund_id).status)


@task()
def payments_refunds_retry_task() -> int:
    from motcua.payments.services import payments_refunds_retry

    return payments_refunds_retry()


@task()
def payments_reconciliation_task() -> int:
    """Once a day is over: reconcile it (run again later in the day, it replaces the reports)."""
    from motcua.payments.services import reconciliation_run

    yesterday = timezone.localdate() - dt.timedelta(days=1)
    try:
        return len(reconciliation_run(actor=SYSTEM, day=yesterday))
    except GatewayUnavailable as error:
        logger.warning("reconciliation of %s postponed: %s", yesterday, error)
        return 0
