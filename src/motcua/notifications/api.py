"""Notifications API at /api/v1/notifications: one's inbox and choice of channels; webhook subscriptions of
the organisations one administers, with their delivery log.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Router, Status
from ninja.pagination import PageNumberPagination, paginate

from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import ValidationFailed
from motcua.notifications import selectors, services
from motcua.notifications.events import event_types
from motcua.notifications.schemas import (
    ChannelOut,
    DeliveryOut,
    EventOut,
    EventPreferenceOut,
    MarkedOut,
    NotificationOut,
    PreferencesIn,
    PreferencesOut,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
    SubscriptionSecretOut,
    UnreadCountOut,
)

router = Router(tags=["notifications"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _preferences(table: selectors.PreferenceTable) -> dict[str, Any]:
    return {
        "channels": [ChannelOut(key=channel.key, label=str(channel.label)) for channel in table.channels],
        "defaults": table.defaults.enabled,
        "events": [
            EventPreferenceOut(event=row.event.key, label=str(row.event.label), channels=row.enabled, choices=row.own)
            for row in table.events
            if row.event is not None
        ],
    }


# ------------------------------------------------------------------------------------------------------
# The inbox and preferences (static paths before /{id})
# ------------------------------------------------------------------------------------------------------


@router.get("", response=list[NotificationOut], summary="My notifications: unread first, newest first")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def notification_list(request: HttpRequest, unread: bool = False) -> Any:
    return selectors.notification_inbox_list(user=_user(request), unread_only=unread)


@router.get("/unread-count", response=UnreadCountOut, summary="How many of my notifications are unread")
def unread_count(request: HttpRequest) -> Any:
    selectors.person_require(_user(request))
    return {"unread": selectors.notification_unread_count(user=_user(request))}


@router.post("/read-all", response=MarkedOut, summary="Mark all my notifications read")
def read_all(request: HttpRequest) -> Any:
    return {"marked": services.notification_mark_all_read(actor=_user(request))}


@router.get("/events", response=list[EventOut], summary="Events people and agency systems are told about")
def events(request: HttpRequest) -> Any:
    return [
        EventOut(
            key=event.key,
            label=str(event.label),
            audience=event.audience if event.notifies_people else "",
            channels=list(event.channels),
        )
        for event in event_types()
    ]


@router.get("/preferences", response=PreferencesOut, summary="My choice of channels")
def preferences_get(request: HttpRequest) -> Any:
    return _preferences(selectors.preference_table(user=_user(request)))


@router.put("/preferences", response=PreferencesOut, summary="Choose my channels (for every event, or per event)")
def preferences_put(request: HttpRequest, payload: PreferencesIn) -> Any:
    table = services.notification_preferences_set(
        actor=_user(request), defaults=payload.defaults, events=payload.events
    )
    return _preferences(table)


# ------------------------------------------------------------------------------------------------------
# Webhook subscriptions
# ------------------------------------------------------------------------------------------------------


def _organisation(reference: str) -> Any:
    organisation = organisation_find(reference=reference)
    if organisation is None:
        raise ValidationFailed(details={"organisation": [str(_("There is no organisation with this code."))]})
    return organisation


@router.get("/webhooks", response=list[SubscriptionOut], summary="Webhook subscriptions I manage")
def webhook_list(request: HttpRequest, organisation: str = "") -> Any:
    scope = _organisation(organisation) if organisation else None
    return list(selectors.webhook_subscription_list(user=_user(request), organisation=scope))


@router.post(
    "/webhooks",
    response={201: SubscriptionSecretOut},
    summary="Subscribe an agency system; the secret is shown only in this answer",
)
def webhook_create(request: HttpRequest, payload: SubscriptionIn, response: HttpResponse) -> Any:
    response["Cache-Control"] = "no-store"
    subscription, secret = services.webhook_subscription_create(
        actor=_user(request),
        organisation=_organisation(payload.organisation),
        name=payload.name,
        target_url=payload.target_url,
        events=payload.events,
        include_descendants=payload.include_descendants,
    )
    return Status(201, {"subscription": subscription, "secret": secret})


@router.post(
    "/webhooks/deliveries/{uuid:delivery_id}/retry",
    response=DeliveryOut,
    summary="Send a delivery again now (given up, cancelled or waiting)",
)
def webhook_delivery_retry(request: HttpRequest, delivery_id: uuid.UUID) -> Any:
    delivery = selectors.webhook_delivery_get(user=_user(request), delivery_id=delivery_id)
    services.webhook_delivery_retry(actor=_user(request), delivery_ids=[delivery.pk])
    return selectors.webhook_delivery_get(user=_user(request), delivery_id=delivery_id)


@router.get("/webhooks/{uuid:subscription_id}", response=SubscriptionOut, summary="A webhook subscription")
def webhook_get(request: HttpRequest, subscription_id: uuid.UUID) -> Any:
    return selectors.webhook_subscription_get(user=_user(request), subscription_id=subscription_id)


@router.patch("/webhooks/{uuid:subscription_id}", response=SubscriptionOut, summary="Change a webhook subscription")
def webhook_update(request: HttpRequest, subscription_id: uuid.UUID, payload: SubscriptionPatch) -> Any:
    subscription = selectors.webhook_subscription_get(user=_user(request), subscription_id=subscription_id)
    return services.webhook_subscription_update(
        actor=_user(request), subscription=subscription, changes=payload.model_dump(exclude_none=True)
    )


@router.delete("/webhooks/{uuid:subscription_id}", response={204: None}, summary="Delete a webhook subscription")
def webhook_delete(request: HttpRequest, subscription_id: uuid.UUID) -> Any:
    subscription = selectors.webhook_subscription_get(user=_user(request), subscription_id=subscription_id)
    services.webhook_subscription_delete(actor=_user(request), subscription=subscription)
    return Status(204, None)


@router.post(
    "/webhooks/{uuid:subscription_id}/rotate-secret",
    response=SubscriptionSecretOut,
    summary="New secret (shown only in this answer); the old one also signs for the grace period",
)
def webhook_rotate_secret(request: HttpRequest, subscription_id: uuid.UUID, response: HttpResponse) -> Any:
    response["Cache-Control"] = "no-store"
    subscription = selectors.webhook_subscription_get(user=_user(request), subscription_id=subscription_id)
    secret = services.webhook_subscription_rotate_secret(actor=_user(request), subscription=subscription)
    subscription.refresh_from_db()
    return {"subscription": subscription, "secret": secret}


@router.post(
    "/webhooks/{uuid:subscription_id}/ping",
    response={202: DeliveryOut},
    summary="Send a test event (notifications.ping) to the subscription's address",
)
def webhook_ping(request: HttpRequest, subscription_id: uuid.UUID) -> Any:
    subscription = selectors.webhook_subscription_get(user=_user(request), subscription_id=subscription_id)
    delivery = services.webhook_subscription_ping(actor=_user(request), subscription=subscription)
    return Status(202, selectors.webhook_delivery_get(user=_user(request), delivery_id=delivery.pk))


@router.get(
    "/webhooks/{uuid:subscription_id}/deliveries",
    response=list[DeliveryOut],
    summary="The delivery log of a subscription, newest first, with every attempt",
)
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def webhook_deliveries(request: HttpRequest, subscription_id: uuid.UUID) -> Any:
    subscription = selectors.webhook_subscription_get(user=_user(request), subscription_id=subscription_id)
    return selectors.webhook_delivery_list(user=_user(request), subscription=subscription)


# ------------------------------------------------------------------------------------------------------
# One notification
# ------------------------------------------------------------------------------------------------------


@router.get("/{uuid:notification_id}", response=NotificationOut, summary="One of my notifications")
def notification_get(request: HttpRequest, notification_id: uuid.UUID) -> Any:
    return selectors.notification_get(user=_user(request), notification_id=notification_id)


@router.post("/{uuid:notification_id}/read", response=NotificationOut, summary="Mark one of my notifications read")
def notification_read(request: HttpRequest, notification_id: uuid.UUID) -> Any:
    notification = selectors.notification_get(user=_user(request), notification_id=notification_id)
    return services.notification_mark_read(actor=_user(request), notification=notification)
