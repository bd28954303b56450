"""Official documents (văn bản): outgoing ones an agency issues, incoming ones it receives, their files,
their recipients as the sender sees them, and the history of each."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.core.models import BaseModel
from motcua.exchange.models.books import DocumentBook
from motcua.exchange.vocabulary import (
    BusinessType,
    Confidentiality,
    DocumentType,
    Priority,
    SignerCompetence,
    StatusCode,
    SteeringType,
)


class DocumentFields(BaseModel):
    """What every official document states (Decree 30/2020 Article 8; edXML MessageHeader)."""

    document_type = models.CharField(_("document type"), max_length=4, choices=DocumentType.choices)
    subject = models.CharField(_("subject"), max_length=500, help_text=_("The summary of the content (trích yếu)."))
    content_summary = models.CharField(_("content summary"), max_length=500, blank=True)
    place = models.CharField(_("place of issue"), max_length=50, blank=True)
    signer_name = models.CharField(_("signer"), max_length=100, blank=True)
    signer_position = models.CharField(_("signer's position"), max_length=200, blank=True)
    signer_competence = models.CharField(
        _("signing competence"), max_length=5, choices=SignerCompetence.choices, blank=True, default=""
    )
    priority = models.PositiveSmallIntegerField(_("urgency"), choices=Priority.choices, default=Priority.NORMAL)
    steering_type = models.PositiveSmallIntegerField(
        _("steering type"), choices=SteeringType.choices, default=SteeringType.NONE
    )
    due_date = models.DateField(_("due date"), null=True, blank=True, help_text=_("When the receivers must answer."))
    # edXML DocumentId: {OrganId},{yyyy/MM/dd},{number}/{notation}; set when the document is numbered.
    document_id = models.CharField(_("document identifier"), max_length=100, blank=True, db_index=True)
    # Folded subject, number, notation and correspondent (agencies.search), kept by services, so the books
    # are searched with or without Vietnamese diacritics on every database.
    search_key = models.CharField(max_length=1200, blank=True, default="", editable=False)

    class Meta:
        abstract = True


class OutgoingDocument(DocumentFields):
    """A document the agency issues (văn bản đi), from its draft to its sending (Decree 30/2020 Chapter II)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        AWAITING_SIGNATURE = "awaiting_signature", _("Awaiting signature")
        SIGNED = "signed", _("Signed")
        REGISTERED = "registered", _("Numbered and registered")
        SENT = "sent", _("Sent")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("issuing organisation"), on_delete=models.PROTECT, related_name="+"
    )
    drafting_unit = models.ForeignKey(
        "agencies.Unit",
        verbose_name=_("drafting unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("drafted by"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    confidentiality = models.CharField(
        _("confidentiality"), max_length=12, choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    notation = models.CharField(_("notation"), max_length=30, help_text=_("E.g. QĐ-UBND in 15/QĐ-UBND."))
    intended_signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to be signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    book = models.ForeignKey(
        DocumentBook, verbose_name=_("book"), null=True, blank=True, on_delete=models.PROTECT, related_name="outgoing"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    number = models.PositiveIntegerField(_("number"), null=True, blank=True)
    issued_on = models.DateField(_("date of issue"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_late = models.BooleanField(_("registered late"), default=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    recalled_at = models.DateTimeField(_("recall sent at"), null=True, blank=True)
    recall_reason = models.CharField(_("recall reason"), max_length=500, blank=True)
    replaces = models.ForeignKey(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    answers = models.ManyToManyField(
        "exchange.IncomingDocument", verbose_name=_("answers"), blank=True, related_name="answered_by"
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outgoing document")
        verbose_name_plural = _("outgoing documents")
        constraints = [
            # Decree 30/2020 Article 15: number and notation are unique per agency in a year.
            models.UniqueConstraint(
                fields=["organisation", "year", "number", "notation"],
                condition=Q(number__isnull=False),
                name="exchange_outgoing_number_unique",
            ),
            models.UniqueConstraint(
                fields=["book", "year", "number"],
                condition=Q(number__isnull=False),
                name="exchange_outgoing_book_number",
            ),
            models.UniqueConstraint(
                fields=["document_id"], condition=~Q(document_id=""), name="exchange_outgoing_document_id_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "in_review", "awaiting_signature", "signed", "cancelled"])
                | Q(number__isnull=False, year__isnull=False, book__isnull=False, issued_on__isnull=False),
                name="exchange_outgoing_registered_has_number",
            ),
            models.CheckConstraint(
                condition=Q(number__isnull=True) | Q(number__gte=1), name="exchange_outgoing_number_positive"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="exchange_outgoing_org_status"),
            models.Index(fields=["book", "year", "number"], name="exchange_outgoing_book_order"),
        ]

    def __str__(self) -> str:
        return self.number_and_notation or str(self.subject)[:80]

    @property
    def number_and_notation(self) -> str:
        return f"{self.number}/{self.notation}" if self.number else ""


class IncomingDocument(DocumentFields):
    """A document the agency received (văn bản đến), from its arrival to the end of its processing
    (Decree 30/2020 Chapter II, Section 2)."""

    class Status(models.TextChoices):
        ARRIVED = "arrived", _("Arrived, to register")
        REGISTERED = "registered", _("Registered")
        REJECTED = "rejected", _("Rejected")
        ASSIGNED = "assigned", _("Assigned")
        PROCESSING = "processing", _("Processing")
        FINISHED = "finished", _("Finished")
        RECALLED = "recalled", _("Recalled by the sender")

    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("receiving organisation"), on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ARRIVED)
    sender_code = models.CharField(_("sender's code"), max_length=35)
    sender_name = models.CharField(_("sender"), max_length=200)
    code_number = models.CharField(_("number"), max_length=11, blank=True)
    code_notation = models.CharField(_("notation"), max_length=30, blank=True)
    type_name = models.CharField(_("type as written by the sender"), max_length=100, blank=True)
    issued_on = models.DateField(_("date of issue"), null=True, blank=True)
    business_type = models.PositiveSmallIntegerField(
        _("arrived as"), choices=BusinessType.choices, default=BusinessType.NEW
    )
    replaces = models.ForeignKey(
        "self", verbose_name=_("replaces"), null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by"
    )
    arrived_at = models.DateTimeField(_("arrived at"))
    book = models.ForeignKey(
        DocumentBook, verbose_name=_("book"), null=True, blank=True, on_delete=models.PROTECT, related_name="incoming"
    )
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    arrival_number = models.PositiveIntegerField(_("arrival number"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered at"), null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    registered_late = models.BooleanField(_("registered late"), default=False)
    rejection_reason = models.CharField(_("rejection reason"), max_length=500, blank=True)
    assigned_unit = models.ForeignKey(
        "agencies.Unit",
        verbose_name=_("assigned unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    assignment_note = models.CharField(_("instructions"), max_length=1000, blank=True)
    processing_due = models.DateField(_("processing due"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    finish_note = models.CharField(_("outcome"), max_length=1000, blank=True)
    recalled_at = models.DateTimeField(_("recalled at"), null=True, blank=True)
    # The status packages this document sent back to its sender, in order (their outbox rows follow it).
    status_sequence = models.PositiveIntegerField(default=0, editable=False)
    inbound = models.ForeignKey(
        "exchange.InboundMessage",
        verbose_name=_("package"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-arrived_at"]
        verbose_name = _("incoming document")
        verbose_name_plural = _("incoming documents")
        constraints = [
            # A package delivered twice (even under another message id) never makes a second document.
            models.UniqueConstraint(
                fields=["organisation", "document_id"], condition=~Q(document_id=""), name="exchange_incoming_once"
            ),
            models.UniqueConstraint(
                fields=["book", "year", "arrival_number"],
                condition=Q(arrival_number__isnull=False),
                name="exchange_incoming_arrival_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["arrived", "rejected"])
                | Q(arrival_number__isnull=False, year__isnull=False, book__isnull=False)
                | Q(status="recalled"),
                name="exchange_incoming_registered_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(rejection_reason=""), name="exchange_incoming_rejected_has_reason"
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "status"], name="exchange_incoming_org_status"),
            models.Index(fields=["book", "year", "arrival_number"], name="exchange_incoming_book_order"),
            models.Index(fields=["assigned_to", "status"], name="exchange_incoming_assignee"),
        ]

    def __str__(self) -> str:
        return self.number_and_notation or str(self.subject)[:80]

    @property
    def number_and_notation(self) -> str:
        if self.code_number and self.code_notation:
            return f"{self.code_number}/{self.code_notation}"
        return self.code_number or self.code_notation


class ChangeRequest(BaseModel):
    """A sender's request to recall or update a document this agency received (BussinessDocType 1 or 2), which
    its document clerk accepts (status 15) or rejects (status 16)."""

    class Kind(models.IntegerChoices):
        RECALL = BusinessType.REVOCATION, _("Recall")
        UPDATE = BusinessType.UPDATE, _("Update")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for a decision")
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected")

    document = models.ForeignKey(
        IncomingDocument, verbose_name=_("document"), on_delete=models.PROTECT, related_name="change_requests"
    )
    kind = models.PositiveSmallIntegerField(_("kind"), choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    # For an update: the new values of the document's fields (edXML header), applied when accepted.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=500, blank=True)
    inbound = models.ForeignKey(
        "exchange.InboundMessage",
        verbose_name=_("package"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("recall or update request")
        verbose_name_plural = _("recall and update requests")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=[1, 2]), name="exchange_change_kind"),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_at__isnull=False), name="exchange_change_decided_has_time"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.document_id}"


def document_file_path(instance: DocumentFile, filename: str) -> str:
    return f"exchange/{uuid.uuid4().hex}"


class DocumentFile(BaseModel):
    """A file of an official document: its main text (the signed PDF) or an attachment (phụ lục, tài liệu kèm)."""

    class Purpose(models.TextChoices):
        MAIN = "main", _("Document")
        ATTACHMENT = "attachment", _("Attachment")

    outgoing = models.ForeignKey(
        OutgoingDocument,
        verbose_name=_("outgoing document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="files",
    )
    incoming = models.ForeignKey(
        IncomingDocument,
        verbose_name=_("incoming document"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="files",
    )
    change_request = models.ForeignKey(
        ChangeRequest, verbose_name=_("update"), null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.ATTACHMENT)
    file = models.FileField(_("file"), upload_to=document_file_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    description = models.CharField(_("description"), max_length=300, blank=True)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # False once an accepted update replaced it (kept as evidence).
    is_current = models.BooleanField(_("current"), default=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["purpose", "created_at"]
        verbose_name = _("document file")
        verbose_name_plural = _("document files")
        constraints = [
            models.CheckConstraint(
                condition=Q(outgoing__isnull=False, incoming__isnull=True)
                | Q(outgoing__isnull=True, incoming__isnull=False),
                name="exchange_file_one_document",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Recipient(BaseModel):
    """A receiver of an outgoing document (nơi nhận), and what the sender knows of it: delivery, then the status
    packages its receiver sent back (01 arrived, 02 rejected, 03 registered, 04 assigned, 05 processing,
    06 finished; 13/15/16 for a recall or update)."""

    class Delivery(models.TextChoices):
        NOT_SENT = "not_sent", _("Not sent")
        QUEUED = "queued", _("Queued")
        IN_TRANSIT = "in_transit", _("Handed to the axis")
        DELIVERED = "delivered", _("Delivered")
        REFUSED = "refused", _("Refused")
        FAILED = "failed", _("Delivery failed")

    document = models.ForeignKey(
        OutgoingDocument, verbose_name=_("document"), on_delete=models.CASCADE, related_name="recipients"
    )
    organisation_code = models.CharField(_("organisation code"), max_length=35)
    organisation_name = models.CharField(_("organisation"), max_length=200)
    delivery = models.CharField(_("delivery"), max_length=12, choices=Delivery.choices, default=Delivery.NOT_SENT)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    # The signed technical receipt (status 01) that proves delivery.
    receipt = models.BinaryField(_("technical receipt"), blank=True, default=b"", editable=False)
    status_code = models.CharField(_("status"), max_length=2, choices=StatusCode.choices, blank=True)
    status_at = models.DateTimeField(_("status time"), null=True, blank=True)
    status_description = models.CharField(_("status description"), max_length=500, blank=True)
    status_staff = models.CharField(_("by"), max_length=200, blank=True)
    change_status_code = models.CharField(_("recall or update"), max_length=2, choices=StatusCode.choices, blank=True)
    change_status_at = models.DateTimeField(_("recall or update time"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)

    class Meta:
        ordering = ["organisation_name"]
        verbose_name = _("recipient")
        verbose_name_plural = _("recipients")
        constraints = [
            models.UniqueConstraint(fields=["document", "organisation_code"], name="exchange_recipient_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_name} ({self.organisation_code})"


class RecipientStatus(models.Model):
    """Every status a recipient sent back, in the order they arrived; ``applied`` is False for one that
    arrived after a newer one (it is kept, never applied over the newer)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    recipient = models.ForeignKey(
        Recipient, verbose_name=_("recipient"), on_delete=models.CASCADE, related_name="statuses"
    )
    status_code = models.CharField(_("status"), max_length=2, choices=StatusCode.choices)
    description = models.CharField(_("description"), max_length=500, blank=True)
    staff = models.CharField(_("by"), max_length=200, blank=True)
    occurred_at = models.DateTimeField(_("time stated by the receiver"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    applied = models.BooleanField(_("applied"), default=True)
    message_id = models.UUIDField(_("message"), null=True, blank=True)
    package = models.BinaryField(_("status package"), blank=True, default=b"", editable=False)

    class Meta:
        ordering = ["occurred_at", "received_at"]
        verbose_name = _("recipient status")
        verbose_name_plural = _("recipient statuses")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "message_id"], condition=Q(message_id__isnull=False), name="exchange_status_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.status_code} {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class DocumentEvent(models.Model):
    """One line of a document's history: who did what, when, from which status to which."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    outgoing = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    incoming = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("by"), max_length=200, blank=True)
    at = models.DateTimeField(_("time"))
    note = models.CharField(_("note"), max_length=1000, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("document history line")
        verbose_name_plural = _("document history")
        constraints = [
            models.CheckConstraint(
                condition=Q(outgoing__isnull=False, incoming__isnull=True)
                | Q(outgoing__isnull=True, incoming__isnull=False),
                name="exchange_event_one_document",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.at:%Y-%m-%d %H:%M}"
