"""API schemas of notifications."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from ninja import Field, Schema

from motcua.notifications.models import Notification, WebhookDelivery, WebhookSubscription


class NotificationOut(Schema):
    id: uuid.UUID
    event: str
    subject: str
    body: str
    link: str
    state: str
    unread: bool
    subject_type: str
    subject_id: str
    created_at: dt.datetime
    read_at: dt.datetime | None

    @staticmethod
    def resolve_unread(obj: Notification) -> bool:
        return obj.is_unread


class UnreadCountOut(Schema):
    unread: int


class MarkedOut(Schema):
    marked: int


class EventOut(Schema):
    key: str
    label: str
    audience: str = Field(description="public (citizens and businesses) or officials; empty for webhook-only events")
    channels: list[str] = Field(description="Channels the event may use to tell people; empty for webhook-only events")


class ChannelOut(Schema):
    key: str
    label: str


class EventPreferenceOut(Schema):
    event: str
    label: str
    channels: dict[str, bool] = Field(description="Per channel, whether it applies to this event")
    choices: dict[str, bool | None] = Field(description="The event's own choice per channel; null: as the defaults")


class PreferencesOut(Schema):
    channels: list[ChannelOut] = Field(description="Channels that can be switched off (the inbox is always on)")
    defaults: dict[str, bool]
    events: list[EventPreferenceOut]


class PreferencesIn(Schema):
    defaults: dict[str, bool] = Field(default_factory=dict, description="Per channel, for every event")
    events: dict[str, dict[str, bool | None]] = Field(
        default_factory=dict, description="Per event key, per channel; null: as the defaults"
    )


class SubscriptionIn(Schema):
    organisation: str = Field(min_length=1, max_length=64, description="Organisation code or id")
    name: str = Field(min_length=1, max_length=200)
    target_url: str = Field(min_length=1, max_length=500)
    events: list[str] = Field(min_length=1, max_length=200)
    include_descendants: bool = False


class SubscriptionPatch(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    target_url: str | None = Field(default=None, min_length=1, max_length=500)
    events: list[str] | None = Field(default=None, min_length=1, max_length=200)
    include_descendants: bool | None = None
    is_active: bool | None = None


class SubscriptionOut(Schema):
    id: uuid.UUID
    organisation: str
    organisation_name: str
    name: str
    target_url: str
    events: list[str]
    include_descendants: bool
    is_active: bool
    created_at: dt.datetime
    secret_rotated_at: dt.datetime | None
    previous_secret_valid_until: dt.datetime | None

    @staticmethod
    def resolve_organisation(obj: WebhookSubscription) -> str:
        return obj.organisation.code or str(obj.organisation_id)

    @staticmethod
    def resolve_organisation_name(obj: WebhookSubscription) -> str:
        return obj.organisation.name


class SubscriptionSecretOut(Schema):
    """Returned once, when the secret is made or rotated: Motcua shows it nowhere else."""

    subscription: SubscriptionOut
    secret: str = Field(description="Signs every request (HMAC-SHA256); keep it in the receiving system")


class AttemptOut(Schema):
    number: int
    started_at: dt.datetime
    duration_ms: int
    http_status: int | None
    response_excerpt: str
    error: str
    succeeded: bool


class DeliveryOut(Schema):
    id: uuid.UUID
    event: str
    state: str
    attempts: int
    target_url: str
    created_at: dt.datetime
    next_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    last_error: str
    payload: Any
    log: list[AttemptOut]

    @staticmethod
    def resolve_log(obj: WebhookDelivery) -> list[Any]:
        return list(obj.attempts_log.all())
