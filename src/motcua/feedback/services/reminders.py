"""Deadline reminders: the periodic job (``feedback.deadline_reminders``) tells those who must act on a feedback
that its current deadline is near or has passed, once per stage, kind and day."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from motcua.core.calendar import calendar_get
from motcua.core.permissions import SYSTEM, permission_require
from motcua.feedback.deadlines import DUE_SOON_WORKING_HOURS, current_stage
from motcua.feedback.models import Feedback, FeedbackStatus
from motcua.feedback.notifying import (
    Recipient,
    agency_recipients,
    feedback_notify,
    receiver_recipients,
    user_recipients,
    work_link,
)
from motcua.feedback.rules import LEADER_ROLES

logger = logging.getLogger(__name__)
S = FeedbackStatus


def responsible_recipients(feedback: Feedback) -> list[Recipient]:
    """Who must act now: the receiving officials (to receive or assign), the handler, or the leaders."""
    if feedback.status in (S.NEW, S.ACCEPTED):
        return receiver_recipients(feedback.agency)
    if feedback.status == S.ASSIGNED:
        return user_recipients(feedback.assigned_to)
    if feedback.status in (S.ANSWERED, S.AWAITING_PUBLICATION):
        return agency_recipients(feedback.agency, LEADER_ROLES)
    return []


def feedback_deadline_reminders_send(*, actor: Any = SYSTEM, now: dt.datetime | None = None) -> int:
    """Remind of every open feedback whose current deadline falls within one working day or has passed; returns
    how many feedback were reminded of. Run by the platform (``SYSTEM``) from the periodic job."""
    permission_require(actor, "feedback.send_reminders")
    now = now or timezone.now()
    calendar = calendar_get()
    cutoff = calendar.add_working_hours(now, DUE_SOON_WORKING_HOURS)
    today = timezone.localtime(now).date().isoformat()
    candidates = (
        Feedback.objects.filter(due_at__isnull=False, due_at__lte=cutoff)
        .filter(Q(status__in=[S.NEW, S.ACCEPTED, S.ASSIGNED, S.ANSWERED, S.AWAITING_PUBLICATION]))
        .values_list("pk", flat=True)
    )
    reminded = 0
    for pk in list(candidates):
        with transaction.atomic():
            feedback = Feedback.objects.select_for_update().get(pk=pk)
            if feedback.due_at is None or feedback.due_at > cutoff or not feedback.is_open:
                continue
            kind = "overdue" if feedback.due_at < now else "due_soon"
            key = f"{current_stage(feedback)}:{feedback.status}:{kind}:{today}"
            if feedback.last_reminder_key == key:
                continue
            feedback_notify(
                event=f"feedback.deadline_{kind}",
                feedback=feedback,
                recipients=responsible_recipients(feedback),
                link=work_link(feedback),
                dedupe_key=f"feedback.reminder:{feedback.pk}:{key}",
                context={"due_at": feedback.due_at.isoformat()},
            )
            # Bookkeeping of the job, not a change of the feedback: no history line, no audit event.
            Feedback.objects.filter(pk=pk).update(last_reminder_key=key)
            reminded += 1
    logger.info("feedback deadline reminders sent: %s", reminded)
    return reminded
