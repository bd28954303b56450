"""Background tasks of feedback (thin: call a service, log the outcome)."""

from __future__ import annotations

from django_tasks import task

from motcua.core.context import request_context
from motcua.core.permissions import SYSTEM


@task()
def feedback_deadline_reminders_task() -> int:
    """Remind handlers, receiving officials and leaders of feedback due soon or overdue (run hourly by the
    scheduler: ``feedback.deadline_reminders``)."""
    from motcua.feedback.services import feedback_deadline_reminders_send

    with request_context():  # a request id for the log lines of this run
        return feedback_deadline_reminders_send(actor=SYSTEM)
