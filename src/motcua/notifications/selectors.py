"""Reads of notifications, with their permission checks: one's own inbox and choices, and the webhook
subscriptions (with their delivery log) of the organisations one administers."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Role
from motcua.agencies.selectors import position_active_list, user_is_platform_admin
from motcua.core.exceptions import NotFound, PermissionDenied
from motcua.core.permissions import permission_require, user_can
from motcua.notifications.channels import Channel, channels_optional
from motcua.notifications.events import OFFICIALS, PUBLIC, EventType, event_types
from motcua.notifications.models import (
    INBOX,
    Notification,
    NotificationPreference,
    WebhookDelivery,
    WebhookSubscription,
)


def person_require(user: Any) -> User:
    """The signed-in person (API clients are systems: they have no inbox nor preferences)."""
    permission_require(user, "notifications.set_preferences", user)
    if not isinstance(user, User):
        raise PermissionDenied(code="user_required")
    return user


# ------------------------------------------------------------------------------------------------------
# The inbox
# ------------------------------------------------------------------------------------------------------


def notification_inbox_list(*, user: Any, unread_only: bool = False) -> QuerySet[Notification]:
    """One's in-app notifications: unread first, newest first."""
    person = person_require(user)
    rows = Notification.objects.filter(user=person, channel=INBOX)
    if unread_only:
        rows = rows.filter(state=Notification.State.SENT)
    return rows.annotate(
        read_rank=Case(
            When(state=Notification.State.SENT, then=Value(0)), default=Value(1), output_field=IntegerField()
        )
    ).order_by("read_rank", "-created_at", "-id")


def notification_get(*, user: Any, notification_id: uuid.UUID | str) -> Notification:
    """One of one's own in-app notifications; anybody else's is "not found"."""
    person = person_require(user)
    try:
        notification = Notification.objects.filter(pk=notification_id, user=person, channel=INBOX).first()
    except (ValueError, TypeError):
        notification = None
    if notification is None or not user_can(person, "notifications.read", notification):
        raise NotFound()
    return notification


def notification_unread_count(*, user: Any) -> int:
    """How many in-app notifications the person has not read (0 for anyone else)."""
    if not isinstance(user, User) or not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, channel=INBOX, state=Notification.State.SENT).count()


# ------------------------------------------------------------------------------------------------------
# Preferences
# ------------------------------------------------------------------------------------------------------


def preference_events_for(*, user: Any) -> list[EventType]:
    """The events a person is told about, to choose channels for: officials' events for officials, the
    public's for citizens and businesses (both for superusers)."""
    audiences = {PUBLIC}
    if getattr(user, "is_official", False):
        audiences = {OFFICIALS}
    if getattr(user, "is_superuser", False):
        audiences = {PUBLIC, OFFICIALS}
    return [event for event in event_types(notifying_people=True) if event.audience in audiences]


def preference_choices(*, user_ids: Iterable[Any], event: str) -> dict[tuple[Any, str, str], bool]:
    """Stored choices for an event (and for every event) of several people: ``(user id, event or "", channel)``."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = NotificationPreference.objects.filter(user_id__in=ids, event__in=["", event])
    return {(row.user_id, row.event, row.channel): row.enabled for row in rows}


def preference_enabled(choices: dict[tuple[Any, str, str], bool], *, user_id: Any, event: str, channel: str) -> bool:
    """The event's own choice, else the choice for every event, else on."""
    for key in ((user_id, event, channel), (user_id, "", channel)):
        if key in choices:
            return choices[key]
    return True


@dataclass
class PreferenceRow:
    event: EventType | None  # None: the choice for every event
    enabled: dict[str, bool]  # channel key -> on, as it applies; only the optional channels the event uses
    # The event's own choice per channel (None: as for every event).
    own: dict[str, bool | None] = field(default_factory=dict)

    @property
    def overridden(self) -> bool:
        return any(choice is not None for choice in self.own.values())


@dataclass
class PreferenceTable:
    channels: list[Channel]
    defaults: PreferenceRow
    events: list[PreferenceRow] = field(default_factory=list)


def preference_table(*, user: Any) -> PreferenceTable:
    """One's channel choices: for every event, and per event (the channels each event uses)."""
    person = person_require(user)
    channels = [channel for channel in channels_optional() if channel.is_available()]
    stored = {(row.event, row.channel): row.enabled for row in NotificationPreference.objects.filter(user=person)}
    defaults = {channel.key: stored.get(("", channel.key), True) for channel in channels}
    rows = []
    for event in preference_events_for(user=person):
        own = {
            channel.key: stored.get((event.key, channel.key)) for channel in channels if channel.key in event.channels
        }
        enabled = {key: defaults[key] if choice is None else choice for key, choice in own.items()}
        rows.append(PreferenceRow(event=event, enabled=enabled, own=own))
    return PreferenceTable(channels=channels, defaults=PreferenceRow(event=None, enabled=defaults), events=rows)


# ------------------------------------------------------------------------------------------------------
# Webhook subscriptions
# ------------------------------------------------------------------------------------------------------


def webhook_organisations_managed(*, user: Any) -> list[Organisation]:
    """The organisations whose agency administrator the person is (each with the bodies under it)."""
    positions = position_active_list(user=user).filter(role=Role.AGENCY_ADMIN)
    unique = {position.organisation_id: position.organisation for position in positions}
    return sorted(unique.values(), key=lambda organisation: organisation.name)


def _managed_scope(user: Any) -> Q | None:
    """Which subscriptions the person may manage (None: every one), or refuse."""
    if isinstance(user, User) and user.is_active and user_is_platform_admin(user=user):
        return None
    organisations = webhook_organisations_managed(user=user) if isinstance(user, User) and user.is_active else []
    if not organisations:
        raise PermissionDenied(details={"action": "notifications.manage_webhooks"})
    scope = Q(pk__in=[])
    for organisation in organisations:
        scope |= Q(organisation_id=organisation.pk) | Q(
            organisation__path__startswith=f"{organisation.path}{organisation.pk}/"
        )
    return scope


def webhook_subscription_list(*, user: Any, organisation: Organisation | None = None) -> QuerySet[WebhookSubscription]:
    """Subscriptions the person manages (of one organisation if given)."""
    if organisation is not None:
        permission_require(user, "notifications.manage_webhooks", organisation)
        rows = WebhookSubscription.objects.filter(organisation=organisation)
    else:
        scope = _managed_scope(user)
        rows = WebhookSubscription.objects.all() if scope is None else WebhookSubscription.objects.filter(scope)
    return rows.select_related("organisation").order_by("organisation__name", "name", "created_at")


def webhook_subscription_get(*, user: Any, subscription_id: uuid.UUID | str) -> WebhookSubscription:
    """One subscription the person manages; any other is "not found"."""
    try:
        subscription = WebhookSubscription.objects.select_related("organisation").filter(pk=subscription_id).first()
    except (ValueError, TypeError):
        subscription = None
    if subscription is None or not user_can(user, "notifications.manage_webhooks", subscription.organisation):
        raise NotFound()
    return subscription


def webhook_delivery_list(*, user: Any, subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The delivery log of a subscription, newest first, with each delivery's attempts."""
    permission_require(user, "notifications.manage_webhooks", subscription.organisation)
    return (
        WebhookDelivery.objects.filter(subscription=subscription)
        .prefetch_related("attempts_log")
        .order_by("-created_at", "-id")
    )


def webhook_delivery_get(*, user: Any, delivery_id: uuid.UUID | str) -> WebhookDelivery:
    try:
        delivery = WebhookDelivery.objects.select_related("organisation", "subscription").filter(pk=delivery_id).first()
    except (ValueError, TypeError):
        delivery = None
    if delivery is None or not user_can(user, "notifications.manage_webhooks", delivery.organisation):
        raise NotFound()
    return delivery
