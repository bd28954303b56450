"""Template helpers of notifications: the unread count of the page header, and dates in message templates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from motcua.notifications.selectors import notification_unread_count

register = template.Library()


@register.simple_tag
def notifications_unread(user: Any) -> int:
    """How many in-app notifications the signed-in person has not read (one indexed count per page)."""
    return notification_unread_count(user=user)


@register.filter
def as_datetime(value: Any) -> Any:
    """ISO text from a notification's context as a date or time, for the ``date`` filter; anything else as is."""
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        return value
    parsed: Any = parse_datetime(value)
    if parsed is not None:
        return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt.UTC)
    return parse_date(value) or value
