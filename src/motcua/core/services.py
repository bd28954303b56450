"""Writes of the shared kernel: the administrator's calendar days."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import NotFound, ValidationFailed, validation_details
from motcua.core.models import CalendarDay
from motcua.core.permissions import permission_require


@transaction.atomic
def calendar_day_save(*, actor: Any, date: dt.date, kind: str, reason: str) -> CalendarDay:
    """Declare a day off or a compensatory working day (the Government's yearly holiday notice)."""
    permission_require(actor, "core.manage_calendar")
    if kind not in CalendarDay.Kind.values:
        raise ValidationFailed(details={"kind": [str(_("Choose a day off or a working day."))]})
    if not reason.strip():
        raise ValidationFailed(details={"reason": [str(_("Say why this day is different."))]})
    existing = CalendarDay.objects.select_for_update().filter(date=date).first()
    before = snapshot(existing) if existing else None
    day = existing or CalendarDay(date=date)
    day.kind, day.reason = kind, reason.strip()
    try:
        day.full_clean(validate_unique=False)  # e.g. a reason longer than the column
    except ValidationError as error:
        raise ValidationFailed(details=validation_details(error)) from error
    day.save()
    audit_record(action="core.calendar_day_save", instance=day, before=before, after=snapshot(day), actor=actor)
    return day


@transaction.atomic
def calendar_day_delete(*, actor: Any, date: dt.date) -> None:
    """Remove a configured day, returning it to the national rule."""
    permission_require(actor, "core.manage_calendar")
    day = CalendarDay.objects.select_for_update().filter(date=date).first()
    if day is None:
        raise NotFound()
    audit_record(action="core.calendar_day_delete", instance=day, before=snapshot(day), actor=actor)
    day.delete()
