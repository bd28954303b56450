from django.urls import URLPattern, URLResolver, path

from motcua.notifications.views import inbox, preferences, webhooks

app_name = "notifications"

urlpatterns: list[URLPattern | URLResolver] = [
    path("", inbox.inbox, name="inbox"),
    path("read-all/", inbox.mark_all_read, name="mark_all_read"),
    path("preferences/", preferences.preferences, name="preferences"),
    path("webhooks/", webhooks.webhook_list, name="webhooks"),
    path("webhooks/new/", webhooks.webhook_create, name="webhook_create"),
    path("webhooks/deliveries/<uuid:delivery_id>/retry/", webhooks.webhook_delivery_retry, name="webhook_retry"),
    path("webhooks/<uuid:subscription_id>/", webhooks.webhook_detail, name="webhook_detail"),
    path("webhooks/<uuid:subscription_id>/edit/", webhooks.webhook_edit, name="webhook_edit"),
    path("webhooks/<uuid:subscription_id>/secret/", webhooks.webhook_rotate_secret, name="webhook_rotate_secret"),
    path("webhooks/<uuid:subscription_id>/ping/", webhooks.webhook_ping, name="webhook_ping"),
    path("webhooks/<uuid:subscription_id>/delete/", webhooks.webhook_delete, name="webhook_delete"),
    path("<uuid:notification_id>/", inbox.detail, name="detail"),
    path("<uuid:notification_id>/open/", inbox.open_link, name="open"),
    path("<uuid:notification_id>/read/", inbox.mark_read, name="mark_read"),
]
