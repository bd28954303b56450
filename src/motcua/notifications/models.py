"""Notifications (thông báo): messages to people by channel, their choices, template overrides, and webhooks
to agency systems with the log of every delivery attempt.

Every write goes through ``notifications.services``. A ``Notification`` is one message to one recipient on
one channel: the in-app inbox row *is* the message (no sending), e-mail and SMS rows wait ``pending`` until a
task sends them. A ``WebhookDelivery`` is one event to one subscribed agency system; each try of it is a
``WebhookAttempt``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.core.models import BaseModel

# The in-app inbox channel: stored for the person, never sent.
INBOX = "inbox"


class Notification(BaseModel):
    """One message to one recipient on one channel, rendered in the recipient's language when it was created."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Given up")
        READ = "read", _("Read")
        CANCELLED = "cancelled", _("Cancelled")

    event = models.CharField(_("event"), max_length=100)
    channel = models.CharField(_("channel"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient account"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Who the message is for, whatever the channel: "user:<id>", or the addresses of someone without an account.
    recipient_key = models.CharField(_("recipient"), max_length=300)
    recipient_name = models.CharField(_("recipient name"), max_length=200, blank=True)
    # The e-mail address or phone number (E.164) this channel used; empty for the inbox.
    address = models.CharField(_("address"), max_length=254, blank=True)
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=300)
    body = models.TextField(_("text"))
    body_html = models.TextField(_("HTML text"), blank=True)
    link = models.CharField(_("link"), max_length=1000, blank=True)
    # What the message is about (e.g. "dossiers.dossier" and its id), for looking messages up.
    subject_type = models.CharField(_("about (type)"), max_length=100, blank=True)
    subject_id = models.CharField(_("about (id)"), max_length=100, blank=True)
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not before this time; while a worker sends the message it also holds it until then (a lease).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    # What the e-mail server or SMS provider called the message (Message-ID, provider id).
    provider_reference = models.CharField(_("provider reference"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient_key", "channel", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notification_dedupe_once",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sent", "failed", "read", "cancelled"]),
                name="notification_state_valid",
            ),
            # The inbox row is the message itself: it is never waiting to be sent, and only it can be read.
            models.CheckConstraint(
                condition=~Q(channel=INBOX) | Q(state__in=["sent", "read"]), name="notification_inbox_delivered"
            ),
            models.CheckConstraint(
                condition=~Q(state="read") | (Q(channel=INBOX) & Q(read_at__isnull=False)),
                name="notification_read_is_inbox",
            ),
            models.CheckConstraint(
                condition=~Q(channel=INBOX) | Q(user__isnull=False), name="notification_inbox_has_account"
            ),
        ]
        indexes = [
            models.Index(fields=["user", "channel", "-created_at"], name="notification_inbox"),
            models.Index(fields=["user"], condition=Q(channel=INBOX, state="sent"), name="notification_inbox_unread"),
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="notification_due"),
            models.Index(fields=["subject_type", "subject_id"], name="notification_about"),
            models.Index(fields=["created_at"], name="notification_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient_name or self.address or self.recipient_key} ({self.channel})"

    @property
    def is_unread(self) -> bool:
        return self.channel == INBOX and self.state == self.State.SENT


class NotificationPreference(BaseModel):
    """A person's choice for one channel: for every event (``event`` empty) or for one event.

    The inbox cannot be switched off; without a row a channel is on (as far as the event uses it).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    event = models.CharField(_("event"), max_length=100, blank=True, help_text=_("Empty: every event."))
    channel = models.CharField(_("channel"), max_length=20)
    enabled = models.BooleanField(_("on"), default=True)

    class Meta:
        ordering = ["user", "event", "channel"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "event", "channel"], name="notification_preference_once"),
            models.CheckConstraint(condition=~Q(channel=INBOX), name="notification_preference_not_inbox"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.event or '*'} {self.channel}: {'on' if self.enabled else 'off'}"


class NotificationTemplate(BaseModel):
    """An administrator's wording of one event in one language, used instead of the event's template files.

    Empty parts fall back to the files. Each part is a Django template, checked before it is saved.
    """

    event = models.CharField(_("event"), max_length=100)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    body = models.TextField(_("text (e-mail and inbox)"), blank=True)
    sms = models.TextField(_("SMS text"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["event", "language"]
        verbose_name = _("notification template")
        verbose_name_plural = _("notification templates")
        constraints = [
            models.UniqueConstraint(fields=["event", "language"], name="notification_template_once"),
            models.CheckConstraint(
                condition=~Q(subject="") | ~Q(body="") | ~Q(sms=""), name="notification_template_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.language})"


class WebhookSubscription(BaseModel):
    """An agency system that wants to be told of events concerning an organisation, by signed HTTP POSTs.

    The secret signs every request (HMAC-SHA256); Motcua needs it to sign, so it is kept encrypted under a key
    derived from ``SECRET_KEY`` (``notifications.webhook_secrets``), never in clear, never in the audit trail.
    """

    organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("organisation"),
        on_delete=models.PROTECT,
        related_name="webhook_subscriptions",
    )
    name = models.CharField(_("name"), max_length=200)
    target_url = models.URLField(_("target URL"), max_length=500)
    events = models.JSONField(_("events"), default=list)
    include_descendants = models.BooleanField(
        _("also events of the bodies below"),
        default=False,
        help_text=_("Also receive the events of every organisation under this one."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    secret_encrypted = models.TextField(_("secret (encrypted)"))
    previous_secret_encrypted = models.TextField(_("previous secret (encrypted)"), blank=True)
    previous_secret_valid_until = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    secret_rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    # Secrets never go into the audit trail, even encrypted.
    secret_encrypted.audit_secret = True  # type: ignore[attr-defined]
    previous_secret_encrypted.audit_secret = True  # type: ignore[attr-defined]

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self) -> str:
        return f"{self.name} ({self.organisation})"


class WebhookDelivery(BaseModel):
    """One event to one subscribed system: sent once it answers 2xx, retried with back-off until then."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENT = "sent", _("Delivered")
        FAILED = "failed", _("Given up")
        CANCELLED = "cancelled", _("Cancelled")

    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("subscription"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="deliveries",
    )
    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    target_url = models.URLField(_("target URL"), max_length=500)
    event = models.CharField(_("event"), max_length=100)
    payload = models.JSONField(_("data"))
    dedupe_key = models.CharField(_("deduplication key"), max_length=200, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not before this time; while a worker sends the delivery it also holds it until then (a lease).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("delivered at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "dedupe_key"], condition=~Q(dedupe_key=""), name="webhook_delivery_dedupe_once"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sent", "failed", "cancelled"]), name="webhook_delivery_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="webhook_delivery_sent_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(state="pending"), name="webhook_delivery_due"),
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.target_url}"


class WebhookAttempt(BaseModel):
    """One try of a delivery: when, how long, the HTTP status and the start of the answer, or the error."""

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempts_log"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("started at"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"))
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    response_excerpt = models.TextField(_("start of the answer"), blank=True)
    error = models.TextField(_("error"), blank=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_number_once")]

    def __str__(self) -> str:
        return f"#{self.number} {self.http_status or self.error[:40]}"
