"""Admin of notifications: messages and their delivery state, event wording overrides, webhook subscriptions
and the delivery log with every attempt. Every change goes through ``notifications.services`` (DESIGN.md rule 1).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from motcua.core.admin_base import ServiceAdmin
from motcua.core.exceptions import MotcuaError
from motcua.notifications import services
from motcua.notifications.events import event_types
from motcua.notifications.models import (
    Notification,
    NotificationTemplate,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from motcua.notifications.services.webhooks import EDITABLE_FIELDS as WEBHOOK_EDITABLE_FIELDS


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "event", "channel", "recipient_name", "address", "state", "attempts", "sent_at"]
    list_filter = ["state", "channel", "event", "language"]
    search_fields = ["recipient_name", "address", "subject", "subject_id", "dedupe_key"]
    date_hierarchy = "created_at"
    list_select_related = ["user"]
    readonly_fields = [field.name for field in Notification._meta.fields]
    actions = ["retry_now"]

    @admin.action(description=_("Send again now (e-mails and SMS given up or waiting)"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        try:
            count = services.notification_retry(
                actor=request.user, notification_ids=queryset.values_list("pk", flat=True)
            )
        except MotcuaError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            return
        self.message_user(
            request,
            gettext("%(count)d messages will be sent again now (sent and in-app ones are left alone).")
            % {"count": count},
            level=messages.SUCCESS,
        )


def _event_choices() -> list[tuple[str, str]]:
    return [(event.key, f"{event.label} ({event.key})") for event in event_types(notifying_people=True)]


class NotificationTemplateForm(forms.ModelForm):
    event = forms.ChoiceField(label=_("event"), choices=_event_choices)
    language = forms.ChoiceField(label=_("language"), choices=settings.LANGUAGES)

    class Meta:
        model = NotificationTemplate
        fields = ["event", "language", "subject", "body", "sms"]
        help_texts = {
            "body": _(
                "Django template language: {{ recipient.name }}, {{ link }} and the event's own values; "
                "empty parts keep the shipped wording."
            ),
        }


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(ServiceAdmin):
    """Wording overrides, checked as templates by the service before they are saved."""

    form = NotificationTemplateForm
    list_display = ["event", "language", "subject", "updated_at", "updated_by"]
    list_filter = ["language", "event"]
    search_fields = ["event", "subject", "body", "sms"]
    closes_instead_of_deleting = False

    def service_save(self, request: HttpRequest, obj: NotificationTemplate, form: Any, change: bool) -> Any:
        data = form.cleaned_data
        return services.notification_template_save(
            actor=request.user,
            event=data.get("event") or "",
            language=data.get("language") or "",
            subject=data.get("subject") or "",
            body=data.get("body") or "",
            sms=data.get("sms") or "",
            template=NotificationTemplate.objects.get(pk=obj.pk) if change else None,
        )

    def service_delete(self, request: HttpRequest, obj: NotificationTemplate) -> None:
        services.notification_template_delete(actor=request.user, template=obj)


class SubscriptionForm(forms.ModelForm):
    target_url = forms.URLField(label=_("target URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"), choices=lambda: [(key, key) for key in services.webhook_events_available()]
    )

    class Meta:
        model = WebhookSubscription
        fields = ["organisation", "name", "target_url", "events", "include_descendants", "is_active"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ServiceAdmin):
    """Created through the service, which makes the secret: shown once, in a message; rotated by an action."""

    form = SubscriptionForm
    list_display = ["name", "organisation", "target_url", "is_active", "created_at", "secret_rotated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "target_url", "organisation__name", "organisation__code"]
    autocomplete_fields = ["organisation"]
    list_select_related = ["organisation"]
    actions = ["rotate_secret", "send_test_event"]
    closes_instead_of_deleting = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = ["secret_rotated_at", "previous_secret_valid_until", "created_by", "created_at"]
        return ["organisation", *readonly] if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        if obj is None:
            return ["organisation", "name", "target_url", "events", "include_descendants"]
        return [
            "organisation",
            "name",
            "target_url",
            "events",
            "include_descendants",
            "is_active",
            "created_by",
            "created_at",
            "secret_rotated_at",
            "previous_secret_valid_until",
        ]

    def service_save(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> Any:
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in WEBHOOK_EDITABLE_FIELDS}
            return services.webhook_subscription_update(
                actor=request.user, subscription=WebhookSubscription.objects.get(pk=obj.pk), changes=changes
            )
        subscription, secret = services.webhook_subscription_create(
            actor=request.user,
            organisation=data["organisation"],
            name=data.get("name") or "",
            target_url=data.get("target_url") or "",
            events=list(data.get("events") or []),
            include_descendants=bool(data.get("include_descendants")),
        )
        request._motcua_webhook_secret = secret  # type: ignore[attr-defined]
        return subscription

    def save_model(self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        secret = getattr(request, "_motcua_webhook_secret", None)
        if secret:
            messages.warning(
                request,
                gettext(
                    "Copy the secret of %(name)s into the receiving system now, it will not be shown again: %(secret)s"
                )
                % {"name": obj.name, "secret": secret},
            )

    def service_delete(self, request: HttpRequest, obj: WebhookSubscription) -> None:
        services.webhook_subscription_delete(actor=request.user, subscription=obj)

    @admin.action(description=_("Make a new secret for the selected subscriptions"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            try:
                secret = services.webhook_subscription_rotate_secret(actor=request.user, subscription=subscription)
            except MotcuaError as error:
                messages.error(request, f"{subscription}: {error.message}")
                continue
            messages.warning(
                request,
                gettext("Copy the new secret of %(name)s now, it will not be shown again: %(secret)s")
                % {"name": subscription.name, "secret": secret},
            )

    @admin.action(description=_("Send a test event to the selected subscriptions"))
    def send_test_event(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        for subscription in queryset:
            try:
                services.webhook_subscription_ping(actor=request.user, subscription=subscription)
            except MotcuaError as error:
                messages.error(request, f"{subscription}: {error.message}")
                continue
        messages.success(request, gettext("Test events were sent; see the webhook deliveries."))


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    fields = ["number", "started_at", "duration_ms", "http_status", "succeeded", "error", "response_excerpt"]
    readonly_fields = ["number", "started_at", "duration_ms", "http_status", "succeeded", "error", "response_excerpt"]
    ordering = ["number"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: each delivery with its attempts; "retry now" through the service."""

    list_display = [
        "created_at",
        "event",
        "subscription",
        "organisation",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = ["state", "event"]
    search_fields = ["event", "target_url", "organisation__code", "subscription__name", "last_error"]
    list_select_related = ["subscription", "organisation"]
    date_hierarchy = "created_at"
    readonly_fields = [field.name for field in WebhookDelivery._meta.fields]
    inlines = [WebhookAttemptInline]
    actions = ["retry_now"]

    @admin.action(description=_("Send again now"))
    def retry_now(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        try:
            count = services.webhook_delivery_retry(
                actor=request.user, delivery_ids=queryset.values_list("pk", flat=True)
            )
        except MotcuaError as error:
            self.message_user(request, str(error.message), level=messages.ERROR)
            return
        self.message_user(
            request,
            gettext("%(count)d deliveries will be sent again now (delivered ones are left alone).") % {"count": count},
            level=messages.SUCCESS,
        )
