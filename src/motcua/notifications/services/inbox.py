"""One's in-app inbox: marking notifications read.

Reading one's own messages is not audited: it changes nothing anybody else relies on, and it happens far too
often to be worth a line in the hash chain (ADR 0011).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from motcua.core.permissions import permission_require
from motcua.notifications.models import INBOX, Notification
from motcua.notifications.selectors import person_require


@transaction.atomic
def notification_mark_read(*, actor: Any, notification: Notification, now: dt.datetime | None = None) -> Notification:
    """Mark one of one's in-app notifications read (already read: left as it was)."""
    permission_require(actor, "notifications.read", notification)
    row = Notification.objects.select_for_update().get(pk=notification.pk)
    if row.state == Notification.State.SENT:
        row.state, row.read_at = Notification.State.READ, now or timezone.now()
        row.save(update_fields=["state", "read_at", "updated_at"])
    return row


@transaction.atomic
def notification_mark_all_read(*, actor: Any, now: dt.datetime | None = None) -> int:
    """Mark every unread in-app notification of the person read; returns how many there were."""
    person = person_require(actor)
    return Notification.objects.filter(user=person, channel=INBOX, state=Notification.State.SENT).update(
        state=Notification.State.READ, read_at=now or timezone.now(), updated_at=timezone.now()
    )
