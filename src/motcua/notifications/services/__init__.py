"""Services of notifications: every write, typed, keyword-only (DESIGN.md).

What other apps call, inside the transaction of their change:

- ``notify(*, event, recipients, context, link="", subject_type="", subject_id="", dedupe_key="")`` tells people
  (``Recipient`` or ``User``) about a registered event (``notifications.events.notification_event_register``);
- ``webhook_emit(*, event, organisation_ids, payload, dedupe_key="")`` tells the agency systems subscribed to it.
"""

from motcua.notifications.recipients import Recipient
from motcua.notifications.services._common import DeliveryReport, retry_delay
from motcua.notifications.services.delivery import notification_retry, notifications_deliver
from motcua.notifications.services.inbox import notification_mark_all_read, notification_mark_read
from motcua.notifications.services.maintenance import notifications_purge, notifications_sweep
from motcua.notifications.services.notify import link_absolute, notify
from motcua.notifications.services.preferences import notification_preferences_set
from motcua.notifications.services.templates import notification_template_delete, notification_template_save
from motcua.notifications.services.webhooks import (
    FAILED_EVENT,
    PING_EVENT,
    signing_secrets,
    target_url_problems,
    webhook_body,
    webhook_deliveries_deliver,
    webhook_delivery_retry,
    webhook_emit,
    webhook_events_available,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_ping,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)

__all__ = [
    "FAILED_EVENT",
    "PING_EVENT",
    "DeliveryReport",
    "Recipient",
    "link_absolute",
    "notification_mark_all_read",
    "notification_mark_read",
    "notification_preferences_set",
    "notification_retry",
    "notification_template_delete",
    "notification_template_save",
    "notifications_deliver",
    "notifications_purge",
    "notifications_sweep",
    "notify",
    "retry_delay",
    "signing_secrets",
    "target_url_problems",
    "webhook_body",
    "webhook_deliveries_deliver",
    "webhook_delivery_retry",
    "webhook_emit",
    "webhook_events_available",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_ping",
    "webhook_subscription_rotate_secret",
    "webhook_subscription_update",
]
