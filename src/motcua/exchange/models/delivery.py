"""Delivery: the durable outbox of messages this node sends, and the log of every message it received."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    PACKAGE = "package", _("Document package")
    STATUS = "status", _("Status package")


class OutboxMessage(models.Model):
    """One message to deliver to one recipient organisation: the signed bytes exactly as they are sent.

    Written in the same transaction as the change that makes it (sending a document, a status change of a
    received one), then delivered by ``transport.outbox`` outside any transaction: claimed under ``SKIP
    LOCKED``, leased, sent, retried with exponential back-off and jitter up to a limit, then failed with an
    alert. ``id`` is the message id the receiver deduplicates on: every retry sends the same id and bytes.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        HELD = "held", _("Waiting for the receiver to fetch it")
        SENT = "sent", _("Sent")
        REFUSED = "refused", _("Refused by the receiver")
        FAILED = "failed", _("Given up")

    id = models.UUIDField(_("message id"), primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    from_code = models.CharField(_("from"), max_length=35)
    to_code = models.CharField(_("to"), max_length=35)
    document_id = models.CharField(_("document identifier"), max_length=100)
    # The node where the message started, and the node it goes to next ("" = this node's own agencies).
    origin_node = models.CharField(_("origin node"), max_length=64)
    next_hop = models.CharField(_("next node"), max_length=64, blank=True)
    # The nodes a relayed message went through before this one (comma-separated, origin first).
    route = models.CharField(_("route"), max_length=300, blank=True)
    body = models.BinaryField(_("signed package"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # Messages of one group (the statuses of one received document, say) leave in sequence order: one waits
    # while an earlier one of its group is still pending.
    order_group = models.CharField(_("order group"), max_length=250, blank=True)
    order_sequence = models.PositiveIntegerField(_("order"), default=0)
    recipient = models.ForeignKey(
        "exchange.Recipient",
        verbose_name=_("recipient"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="messages",
    )
    # A hub relaying a message it received keeps the inbound row it came from.
    relayed_from = models.ForeignKey(
        "exchange.InboundMessage",
        verbose_name=_("relayed from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="relays",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not before this time; while a worker sends the message it also holds it until then (a lease).
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    response_status = models.PositiveSmallIntegerField(_("HTTP status of the answer"), null=True, blank=True)
    response = models.BinaryField(_("answer"), blank=True, default=b"", editable=False)
    alerted_at = models.DateTimeField(_("alert sent at"), null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("outgoing message")
        verbose_name_plural = _("exchange outbox")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=["package", "status"]), name="exchange_outbox_kind"),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "held", "sent", "refused", "failed"]), name="exchange_outbox_state"
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="exchange_outbox_sent_time"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="exchange_outbox_due"),
            models.Index(fields=["order_group", "state", "order_sequence"], name="exchange_outbox_order"),
            models.Index(fields=["next_hop", "state"], name="exchange_outbox_held"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id} → {self.to_code}"


class InboundMessage(models.Model):
    """Every message this node received, kept as evidence with its outcome and what it answered.

    ``message_id`` is unique: a message delivered again (a retry after a crash, a replay) is answered with
    the stored answer and changes nothing. The row that accepts a package is written in the same transaction
    as the incoming document it creates.
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        DUPLICATE = "duplicate", _("Duplicate of an earlier package")
        REFUSED = "refused", _("Refused")
        RELAYED = "relayed", _("Relayed to another node")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    message_id = models.UUIDField(_("message id"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=MessageKind.choices)
    from_code = models.CharField(_("from"), max_length=35, blank=True)
    to_code = models.CharField(_("to"), max_length=35, blank=True)
    document_id = models.CharField(_("document identifier"), max_length=100, blank=True, db_index=True)
    origin_node = models.CharField(_("origin node"), max_length=64, blank=True)
    previous_hop = models.CharField(_("delivered by node"), max_length=64, blank=True)
    route = models.CharField(_("route"), max_length=300, blank=True)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    body = models.BinaryField(_("package"), editable=False)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    reason_code = models.CharField(_("reason code"), max_length=60, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    response_status = models.PositiveSmallIntegerField(_("HTTP status answered"), default=200)
    response = models.BinaryField(_("answer"), blank=True, default=b"", editable=False)
    response_type = models.CharField(_("answer type"), max_length=60, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("received message")
        verbose_name_plural = _("received messages")
        constraints = [
            models.UniqueConstraint(fields=["document_id", "message_id"], name="exchange_inbound_document_message"),
            models.CheckConstraint(
                condition=Q(outcome__in=["accepted", "duplicate", "refused", "relayed"]),
                name="exchange_inbound_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.document_id} ({self.outcome})"


class RequestNonce(models.Model):
    """Nonces of signed node-to-node requests seen recently: a request replayed within the accepted clock window
    is refused. Rows older than the window are purged."""

    nonce = models.CharField(max_length=64, primary_key=True)
    node_id = models.CharField(max_length=64)
    seen_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = _("request nonce")
        verbose_name_plural = _("request nonces")

    def __str__(self) -> str:
        return self.nonce
