"""The events that Motcua tells people and agency systems about.

An app registers its events once, in its ``AppConfig.ready()``::

    from motcua.notifications.events import notification_event_register

    notification_event_register(
        "dossiers.accepted",
        label=_("Dossier received"),
        template="dossiers/notifications/accepted",  # subject.txt, body.txt, sms.txt, optional body.html
        channels=("email", "sms", "inbox"),
        audience="public",
    )

then calls ``notifications.services.notify(event="dossiers.accepted", ...)`` inside the transaction of the
change. An event only for agency systems (no message to people, no templates) is registered with
``webhook_event_register``; every registered event may be subscribed to by webhooks.

Keys are ``<app>.<name>`` in lower case. Registering a key again replaces it (tests and reloads do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

PUBLIC = "public"  # citizens and businesses
OFFICIALS = "officials"  # officials, for their information
AUDIENCES = (PUBLIC, OFFICIALS)
DEFAULT_CHANNELS = ("email", "sms", "inbox")

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


@dataclass(frozen=True)
class EventType:
    """What an event is called, where its wording lives, which channels it may use and for whom it is."""

    key: str
    label: Any  # a lazily translated string
    template: str = ""  # folder of subject.txt, body.txt, sms.txt and an optional body.html; "" for webhooks only
    channels: tuple[str, ...] = ()
    audience: str = PUBLIC

    @property
    def notifies_people(self) -> bool:
        return bool(self.template and self.channels)


_events: dict[str, EventType] = {}


def _key_check(key: str) -> None:
    if not KEY_PATTERN.match(key) or len(key) > 100:
        raise ValueError(f"an event key is '<app>.<name>' in lower case (at most 100 characters), not {key!r}")


def notification_event_register(
    key: str,
    *,
    label: Any,
    template: str,
    channels: tuple[str, ...] = DEFAULT_CHANNELS,
    audience: str = PUBLIC,
) -> EventType:
    """Declare an event that notifies people (and that webhooks may subscribe to)."""
    _key_check(key)
    if audience not in AUDIENCES:
        raise ValueError(f"audience must be one of {AUDIENCES}, not {audience!r}")
    if not template or template.startswith("/") or template.endswith("/"):
        raise ValueError("template is a folder under a templates directory, e.g. 'dossiers/notifications/accepted'")
    if not channels or len(set(channels)) != len(channels):
        raise ValueError("channels lists each channel the event may use once")
    event = EventType(key=key, label=label, template=template, channels=tuple(channels), audience=audience)
    _events[key] = event
    return event


def webhook_event_register(key: str, *, label: Any) -> EventType:
    """Declare an event that only agency systems receive (``webhook_emit``), without messages to people."""
    _key_check(key)
    existing = _events.get(key)
    if existing is not None and existing.notifies_people:
        return existing  # already registered with its templates: webhooks may subscribe to it as it is
    event = EventType(key=key, label=label)
    _events[key] = event
    return event


def event_get(key: str) -> EventType:
    """The registered event; LookupError for a key nobody registered (a programming error, not bad input)."""
    try:
        return _events[key]
    except KeyError:
        raise LookupError(f"no notification event {key!r} is registered") from None


def event_find(key: str) -> EventType | None:
    return _events.get(key)


def event_types(*, audience: str | None = None, notifying_people: bool | None = None) -> list[EventType]:
    """Registered events sorted by key, optionally only those for one audience or those that notify people."""
    found: Iterable[EventType] = _events.values()
    if audience is not None:
        found = (event for event in found if event.audience == audience)
    if notifying_people is not None:
        found = (event for event in found if event.notifies_people == notifying_people)
    return sorted(found, key=lambda event: event.key)


def event_unregister(key: str) -> None:
    """Forget an event (tests that register their own)."""
    _events.pop(key, None)
