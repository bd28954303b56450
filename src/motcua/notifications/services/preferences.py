"""One's choice of channels: e-mail and SMS may be switched off, for every event or per event."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from motcua.core.audit import audit_record
from motcua.core.exceptions import ValidationFailed
from motcua.notifications.models import NotificationPreference
from motcua.notifications.selectors import PreferenceTable, person_require, preference_events_for, preference_table


@transaction.atomic
def notification_preferences_set(
    *,
    actor: Any,
    defaults: Mapping[str, bool] | None = None,
    events: Mapping[str, Mapping[str, bool | None]] | None = None,
) -> PreferenceTable:
    """Store one's choices: ``defaults`` per channel for every event, ``events`` per event and channel (None:
    as for every event). A channel left out keeps its current choice. The inbox is always on."""
    person = person_require(actor)
    current = preference_table(user=person)
    known = {channel.key for channel in current.channels}
    allowed_events = {event.key: event for event in preference_events_for(user=person)}
    problems: dict[str, list[str]] = {}
    defaults = defaults or {}
    for key in defaults:
        if key not in known:
            problems.setdefault(f"defaults.{key}", []).append(_("There is no such channel to choose."))
    for event_key, choices in (events or {}).items():
        event = allowed_events.get(event_key)
        if event is None:
            problems.setdefault(f"events.{event_key}", []).append(_("There is no such event to choose for."))
            continue
        for key in choices:
            if key not in known or key not in event.channels:
                problems.setdefault(f"events.{event_key}.{key}", []).append(
                    _("This event is not sent on this channel.")
                )
    if problems:
        raise ValidationFailed(details=problems)

    before = _snapshot(current)
    new_defaults = {key: bool(defaults.get(key, current.defaults.enabled[key])) for key in known}
    own_choices = {row.event.key: dict(row.own) for row in current.events if row.event is not None}
    for event_key, choices in (events or {}).items():
        own_choices[event_key].update({key: None if value is None else bool(value) for key, value in choices.items()})

    NotificationPreference.objects.filter(user=person, channel__in=known, event__in=["", *allowed_events]).delete()
    rows = [
        NotificationPreference(user=person, event="", channel=key, enabled=enabled)
        for key, enabled in new_defaults.items()
        if not enabled
    ]
    for event_key, choices in own_choices.items():
        rows.extend(
            NotificationPreference(user=person, event=event_key, channel=key, enabled=choice)
            for key, choice in choices.items()
            if choice is not None
        )
    NotificationPreference.objects.bulk_create(rows)
    table = preference_table(user=person)
    after = _snapshot(table)
    if after != before:
        audit_record(
            action="notifications.preferences_set",
            instance=person,
            object_label=str(person),
            before=before,
            after=after,
            actor=actor,
        )
    return table


def _snapshot(table: PreferenceTable) -> dict[str, Any]:
    return {
        "defaults": dict(table.defaults.enabled),
        "events": {row.event.key: dict(row.own) for row in table.events if row.event is not None and row.overridden},
    }
