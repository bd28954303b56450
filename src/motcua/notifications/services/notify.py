"""``notify``: tell people about an event, inside the transaction of the change that caused it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urljoin

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from motcua.notifications.channels import Channel, channel_find
from motcua.notifications.events import event_get
from motcua.notifications.models import Notification, NotificationTemplate
from motcua.notifications.recipients import Recipient, ResolvedRecipient, recipient_resolve
from motcua.notifications.rendering import parts_render, template_context
from motcua.notifications.selectors import preference_choices, preference_enabled
from motcua.notifications.services._common import deliver_after_commit, json_check, logger


def link_absolute(link: str) -> str:
    """A link for messages read outside the site: paths are joined to ``SITE_URL``."""
    if not link:
        return ""
    if link.startswith(("http://", "https://")):
        return link[:1000]
    return urljoin(settings.SITE_URL.rstrip("/") + "/", link.lstrip("/"))[:1000]


def _channels_of(event_channels: Iterable[str]) -> list[Channel]:
    channels = []
    for key in event_channels:
        channel = channel_find(key)
        if channel is None:
            logger.warning("an event names a channel nobody registered: %s", key)
        elif channel.is_available():
            channels.append(channel)
    return channels


def _unique(recipients: Iterable[Recipient | Any]) -> list[ResolvedRecipient]:
    resolved: dict[str, ResolvedRecipient] = {}
    for recipient in recipients:
        person = recipient_resolve(recipient)
        if person.user is not None and not person.user.is_active:
            continue  # a closed account is told nothing (its addresses may belong to someone else by now)
        resolved.setdefault(person.key, person)  # the same person named twice is told once
    return list(resolved.values())


def notify(
    *,
    event: str,
    recipients: Iterable[Recipient | Any],
    context: dict[str, Any],
    link: str = "",
    subject_type: str = "",
    subject_id: str = "",
    dedupe_key: str = "",
) -> list[Notification]:
    """Tell each recipient about an event, on the channels the event uses and they did not switch off.

    Runs inside the caller's transaction: renders the event's wording in each recipient's language, writes one
    ``Notification`` per recipient and channel (the inbox row is the message itself), and hands the e-mails
    and SMS to delivery tasks once the transaction commits, so nothing is sent for a change that rolls back
    (the periodic sweep sends what a lost task missed). With a ``dedupe_key`` a repeated call tells nobody
    twice: a recipient already told on a channel with that key is skipped (a unique constraint backs it).
    Returns the notifications written.
    """
    event_type = event_get(event)
    if not event_type.notifies_people:
        raise ValueError(f"the event {event!r} is for webhooks only: it has no templates to notify people with")
    json_check(context, what="context")
    people = _unique(recipients)
    channels = _channels_of(event_type.channels)
    if not people or not channels:
        return []
    now = timezone.now()
    absolute_link = link_absolute(link)
    dedupe_key = dedupe_key[:200]

    with transaction.atomic(savepoint=False):
        choices = preference_choices(
            user_ids=[person.user.pk for person in people if person.user is not None], event=event
        )
        overrides = {row.language: row for row in NotificationTemplate.objects.filter(event=event)}
        already: set[tuple[str, str]] = set()
        if dedupe_key:
            already = set(
                Notification.objects.filter(
                    dedupe_key=dedupe_key, recipient_key__in=[person.key for person in people]
                ).values_list("recipient_key", "channel")
            )
        rows: list[Notification] = []
        for person in people:
            chosen: list[tuple[Channel, str]] = []
            for channel in channels:
                if (person.key, channel.key) in already or (channel.needs_account and person.user is None):
                    continue
                address = channel.address(person)
                if channel.sends and not address:
                    continue
                if (
                    channel.optional
                    and person.user is not None
                    and not preference_enabled(choices, user_id=person.user.pk, event=event, channel=channel.key)
                ):
                    continue
                chosen.append((channel, address))
            if not chosen:
                continue
            parts = parts_render(
                event=event_type,
                language=person.language,
                parts={part for channel, _address in chosen for part in channel.parts},
                data=template_context(context=context, recipient=person.template_context(), link=absolute_link),
                override=overrides.get(person.language),
            )
            for channel, address in chosen:
                subject, body, body_html = channel.compose(parts)
                rows.append(
                    Notification(
                        event=event,
                        channel=channel.key,
                        user=person.user,
                        recipient_key=person.key,
                        recipient_name=person.name,
                        address=address,
                        language=person.language,
                        subject=subject,
                        body=body,
                        body_html=body_html,
                        link=absolute_link,
                        subject_type=subject_type[:100],
                        subject_id=str(subject_id)[:100],
                        dedupe_key=dedupe_key,
                        state=Notification.State.PENDING if channel.sends else Notification.State.SENT,
                        next_attempt_at=now if channel.sends else None,
                        sent_at=None if channel.sends else now,
                    )
                )
        if not rows:
            return []
        # A concurrent call with the same key may have won the race since the check above: the constraint
        # keeps its rows and drops ours, without breaking the caller's transaction.
        Notification.objects.bulk_create(rows, ignore_conflicts=bool(dedupe_key))
        if dedupe_key:
            written = set(Notification.objects.filter(pk__in=[row.pk for row in rows]).values_list("pk", flat=True))
            rows = [row for row in rows if row.pk in written]
        deliver_after_commit(
            kind="notification", ids=[row.pk for row in rows if row.state == Notification.State.PENDING]
        )
    return rows
