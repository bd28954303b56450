"""Reads of the shared kernel that need rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet

from motcua.core.models import AuditEvent
from motcua.core.permissions import permission_require


def audit_event_list(
    *,
    user: Any,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    actor_label: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """Audit events, newest first; only auditors and platform administrators may read the trail."""
    permission_require(user, "core.view_audit")
    events = AuditEvent.objects.all()
    if action:
        events = events.filter(action__startswith=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if object_id:
        events = events.filter(object_id=object_id)
    if actor_label:
        events = events.filter(actor_label=actor_label)
    if since:
        events = events.filter(occurred_at__gte=since)
    if until:
        events = events.filter(occurred_at__lt=until)
    return events.order_by("-sequence")
