"""Plain-words formatting of procedure facts: money in đồng, time in working days."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from motcua.procedures.selectors import working_days

register = template.Library()


@register.filter
def dong(amount: Any) -> str:
    """An amount in đồng with the language's thousands separator: 200.000 đồng in Vietnamese."""
    try:
        value = int(amount)
    except (TypeError, ValueError):
        return ""
    return _("%(amount)s đồng") % {"amount": number_format(value, decimal_pos=0, force_grouping=True)}


def _said(hours: Any, *, same_day_note: bool) -> str:
    try:
        value = float(hours)
    except (TypeError, ValueError):
        return ""
    days = working_days(value)
    if days < 1:
        shown = str(int(value)) if value == int(value) else number_format(value, decimal_pos=1)
        if same_day_note:
            return _("%(hours)s working hours (within the same working day)") % {"hours": shown}
        return _("%(hours)s working hours") % {"hours": shown}
    whole = int(days)
    if days == whole:
        return ngettext("%(days)s working day", "%(days)s working days", whole) % {"days": whole}
    return _("%(days)s working days") % {"days": number_format(days, decimal_pos=1)}


@register.filter
def working_time(hours: Any) -> str:
    """A statutory time said as a person says it: "3 working days", or hours within the same day."""
    return _said(hours, same_day_note=True)


@register.filter
def step_time(hours: Any) -> str:
    """The time allotted to one step of the internal process: hours, or working days from one day on."""
    return _said(hours, same_day_note=False)
