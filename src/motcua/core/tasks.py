"""Background tasks of the shared kernel (thin: call a service, log the outcome)."""

from __future__ import annotations

import logging

from django_tasks import task

from motcua.core.audit import audit_chain_verify

logger = logging.getLogger(__name__)


@task()
def audit_chain_verify_task() -> dict[str, object]:
    """Verify the audit chain in the background (scheduled by operators, e.g. nightly)."""
    report = audit_chain_verify()
    if report.intact:
        logger.info("audit chain intact: %s events", report.events_checked)
    else:
        logger.error("audit chain broken at #%s (%s)", report.first_bad_sequence, report.problem)
    return dict(report.__dict__)
