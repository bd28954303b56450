"""Forms of the notification pages: choosing channels, and webhook subscriptions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from motcua.notifications.events import event_find
from motcua.notifications.selectors import PreferenceTable

FOLLOW, ON, OFF = "", "on", "off"
EVENT_CHOICES = [(FOLLOW, _("As for all notifications")), (ON, _("On")), (OFF, _("Off"))]


def default_field_name(channel: str) -> str:
    return f"default__{channel}"


def event_field_name(event: str, channel: str) -> str:
    return f"event__{event}__{channel}"


class PreferencesForm(forms.Form):
    """A checkbox per channel for every event, and per event a choice that may follow it."""

    def __init__(self, *args: Any, table: PreferenceTable, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.table = table
        labels = {channel.key: channel.label for channel in table.channels}
        for key, enabled in table.defaults.enabled.items():
            self.fields[default_field_name(key)] = forms.BooleanField(
                label=labels[key], required=False, initial=enabled
            )
        for row in table.events:
            assert row.event is not None
            for key, choice in row.own.items():
                self.fields[event_field_name(row.event.key, key)] = forms.ChoiceField(
                    label=labels[key],
                    choices=EVENT_CHOICES,
                    required=False,
                    initial=FOLLOW if choice is None else (ON if choice else OFF),
                )

    def defaults(self) -> dict[str, bool]:
        return {key: bool(self.cleaned_data.get(default_field_name(key))) for key in self.table.defaults.enabled}

    def events(self) -> dict[str, dict[str, bool | None]]:
        chosen: dict[str, dict[str, bool | None]] = {}
        for row in self.table.events:
            assert row.event is not None
            chosen[row.event.key] = {
                key: {ON: True, OFF: False}.get(self.cleaned_data.get(event_field_name(row.event.key, key)) or "")
                for key in row.own
            }
        return chosen

    def rows(self) -> list[dict[str, Any]]:
        """The form as the page draws it: each event with its fields."""
        drawn = []
        for row in self.table.events:
            assert row.event is not None
            drawn.append(
                {
                    "row": row,
                    "fields": [self[event_field_name(row.event.key, key)] for key in row.own],
                }
            )
        return drawn

    def default_fields(self) -> list[forms.BoundField]:
        return [self[default_field_name(key)] for key in self.table.defaults.enabled]


class SubscriptionForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the system"),
        max_length=200,
        help_text=_("For example: the province's document management system."),
    )
    target_url = forms.URLField(
        label=_("Address that receives the events"),
        max_length=500,
        assume_scheme="https",
        help_text=_("An https:// address; Motcua sends a signed POST request there for each event."),
        widget=forms.URLInput(attrs={"autocomplete": "off", "spellcheck": "false", "inputmode": "url"}),
    )
    events = forms.MultipleChoiceField(label=_("Events to receive"), widget=forms.CheckboxSelectMultiple, choices=[])
    include_descendants = forms.BooleanField(
        label=_("Also the events of every body under the organisation"), required=False
    )

    def __init__(self, *args: Any, event_keys: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = []
        for key in event_keys:
            event = event_find(key)
            choices.append((key, f"{event.label if event else key} ({key})"))
        self.fields["events"].choices = choices  # type: ignore[attr-defined]


class SubscriptionEditForm(SubscriptionForm):
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("An inactive subscription receives nothing; deliveries still waiting are cancelled."),
    )
