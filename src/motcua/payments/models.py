"""Payments (thanh toán): payment requests (the bill), transactions (attempts), refunds, receipts, reconciliation.

A ``PaymentRequest`` is what someone owes (fee lines, the collecting agency, the payer); it is paid once, online
through one of its ``Transaction``s or at the counter. Every state change of a request or a transaction is a
``PaymentEvent`` row (numbered per request) and an audit event. The state machines are in
``payments.workflow``; every write goes through ``payments.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.core.models import BaseModel


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Awaiting payment")
    PAID = "paid", _("Paid")
    REFUNDED = "refunded", _("Refunded")
    CANCELLED = "cancelled", _("Cancelled")


class TransactionStatus(models.TextChoices):
    CREATED = "created", _("Created")
    PENDING = "pending", _("Awaiting the payer")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")
    REFUNDED = "refunded", _("Refunded")


class PaidVia(models.TextChoices):
    GATEWAY = "gateway", _("Online payment")
    COUNTER = "counter", _("At the counter")


class TransactionFlag(models.TextChoices):
    """Why a succeeded transaction needs attention (reconciliation lists them)."""

    NONE = "", _("None")
    # The request had already been paid (another tab, the counter): the money is refunded automatically.
    DUPLICATE_PAYMENT = "duplicate_payment", _("Paid twice: refunded automatically")
    # The request had been cancelled (dossier withdrawn, refused...) when the money arrived: refunded too.
    LATE_AFTER_CANCEL = "late_after_cancel", _("Paid after cancellation: refunded automatically")
    # The gateway reported a different amount than the one asked: nothing is settled, people must look.
    AMOUNT_MISMATCH = "amount_mismatch", _("Amount differs from the bill")
    # An automatic refund failed every attempt.
    REFUND_FAILED = "refund_failed", _("Automatic refund failed")


class CollectionAccount(BaseModel):
    """The State Treasury account (tài khoản thu ngân sách tại Kho bạc Nhà nước) into which an agency collects
    fees and charges; printed on the bill sent to the payment platform (TaiKhoanThuHuong, MaKhoBac)."""

    organisation = models.OneToOneField(
        "agencies.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    account_number = models.CharField(_("account number"), max_length=40)
    account_name = models.CharField(_("account name"), max_length=200)
    treasury_code = models.CharField(_("State Treasury code"), max_length=20)
    treasury_name = models.CharField(_("State Treasury office"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__name"]
        verbose_name = _("collection account")
        verbose_name_plural = _("collection accounts")

    def __str__(self) -> str:
        return f"{self.account_number} – {self.treasury_name}"


class PaymentRequest(BaseModel):
    """A bill: what a payer owes a collecting agency for a subject (a dossier...), in integer đồng.

    ``purpose`` names the settlement handler called once when it is paid (``payments.handlers``);
    ``subject_id`` and ``reference`` (e.g. the dossier's id and code, MaHoSo) tie it to that subject.
    """

    code = models.CharField(_("payment code"), max_length=60, unique=True, editable=False)
    purpose = models.CharField(_("purpose"), max_length=50, db_index=True)
    subject_id = models.UUIDField(_("subject"), null=True, blank=True, db_index=True)
    reference = models.CharField(_("reference (dossier code)"), max_length=60, blank=True, db_index=True)
    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("collecting agency"), on_delete=models.PROTECT, related_name="+"
    )
    # Where the payer may also pay in cash (the one-stop desk that received the dossier), if not the agency.
    counter_organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("counter"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    procedure_code = models.CharField(_("procedure code"), max_length=40, blank=True)
    procedure_name = models.CharField(_("procedure"), max_length=500, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    payer_name = models.CharField(_("payer"), max_length=300)
    payer_identifier = models.CharField(_("payer's identification number or tax code"), max_length=20, blank=True)
    payer_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("payer's account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payment_requests",
    )
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    refundable = models.BooleanField(_("refundable if the dossier is refused"), default=False)
    due_at = models.DateTimeField(_("pay by"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=RequestStatus.choices, default=RequestStatus.OPEN)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    paid_via = models.CharField(_("paid"), max_length=20, choices=PaidVia.choices, blank=True)
    settled_transaction = models.ForeignKey(
        "Transaction",
        verbose_name=_("transaction that paid"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded at the counter by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    paper_receipt_number = models.CharField(_("paper receipt number"), max_length=50, blank=True)
    counter_note = models.CharField(_("counter note"), max_length=300, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=500, blank=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    # SHA-256 of the random token of the pay link (for payers without an account); the token is shown once.
    pay_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    pay_token_hash.audit_secret = True  # type: ignore[attr-defined]
    # The collecting agency's treasury account when the bill was made (the bill does not change afterwards).
    account_number = models.CharField(_("account number"), max_length=40, blank=True)
    account_name = models.CharField(_("account name"), max_length=200, blank=True)
    treasury_code = models.CharField(_("State Treasury code"), max_length=20, blank=True)
    treasury_name = models.CharField(_("State Treasury office"), max_length=200, blank=True)
    created_by_label = models.CharField(_("requested by"), max_length=200, blank=True)
    # Events are numbered per request under the request's row lock.
    last_event_sequence = models.PositiveIntegerField(default=0, editable=False)

    # Not stored: the plain pay-link token right after a service issued it.
    pay_token: str | None = None

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("payment request")
        verbose_name_plural = _("payment requests")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_request_amount_positive"),
            models.CheckConstraint(
                condition=~Q(status="paid") | (Q(paid_at__isnull=False) & ~Q(paid_via="")),
                name="payment_request_paid_has_time_and_way",
            ),
            models.UniqueConstraint(
                fields=["pay_token_hash"], condition=~Q(pay_token_hash=""), name="payment_request_pay_token_unique"
            ),
        ]
        indexes = [models.Index(fields=["organisation", "status", "-created_at"], name="payment_request_org_status")]

    def __str__(self) -> str:
        return self.code


class PaymentLine(models.Model):
    """One fee or charge line of a bill (phí / lệ phí), already multiplied and exempted: ``amount`` is owed."""

    request = models.ForeignKey(PaymentRequest, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=300)
    kind = models.CharField(_("kind"), max_length=10, choices=[("fee", _("Fee")), ("charge", _("Charge"))])
    unit_amount = models.PositiveBigIntegerField(_("unit amount (đồng)"))
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    exempt = models.BooleanField(_("exempt"), default=False)
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))

    class Meta:
        ordering = ["request", "position"]
        verbose_name = _("payment line")
        verbose_name_plural = _("payment lines")
        constraints = [
            models.UniqueConstraint(fields=["request", "position"], name="payment_line_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name}: {self.amount}"


class Transaction(BaseModel):
    """One attempt to pay a request through a gateway. ``initiator_transaction_id`` (MaThamChieu) is Motcua's
    id sent to the gateway, unique across all gateways; the gateway answers with its own id (MaGiaoDich)."""

    request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="transactions")
    gateway = models.CharField(_("gateway"), max_length=30)
    initiator_transaction_id = models.CharField(_("transaction id"), max_length=40, unique=True, editable=False)
    gateway_transaction_id = models.CharField(_("gateway's transaction id"), max_length=80, blank=True)
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    status = models.CharField(
        _("status"), max_length=20, choices=TransactionStatus.choices, default=TransactionStatus.CREATED
    )
    payment_url = models.CharField(_("payment page"), max_length=1000, blank=True)
    # Where Motcua sends the payer after its own return page (a local path given by the caller).
    return_url = models.CharField(_("back to"), max_length=500, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    paid_at = models.DateTimeField(_("paid at (gateway)"), null=True, blank=True)
    bank_code = models.CharField(_("bank"), max_length=20, blank=True)
    settled_at = models.DateTimeField(_("recorded as paid at"), null=True, blank=True)
    failure_reason = models.CharField(_("reason"), max_length=300, blank=True)
    flag = models.CharField(_("attention"), max_length=30, choices=TransactionFlag.choices, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    last_checked_at = models.DateTimeField(_("last status query"), null=True, blank=True)
    # "user:<id>", "token:<request id>" or "client:<client id>", and the caller's Idempotency-Key.
    idempotency_scope = models.CharField(max_length=80, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=200, blank=True, editable=False)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("transaction")
        verbose_name_plural = _("transactions")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_transaction_amount_positive"),
            models.UniqueConstraint(
                fields=["gateway", "gateway_transaction_id"],
                condition=~Q(gateway_transaction_id=""),
                name="payment_transaction_gateway_id_unique",
            ),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="payment_transaction_idempotency_unique",
            ),
        ]
        indexes = [models.Index(fields=["status", "created_at"], name="payment_transaction_status")]

    def __str__(self) -> str:
        return self.initiator_transaction_id


class PaymentEvent(models.Model):
    """History: one row per state change of a request or of one of its transactions, numbered per request."""

    request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="events")
    transaction = models.ForeignKey(Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField()
    occurred_at = models.DateTimeField(_("time"))
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    # start, gateway, callback, return, status_query, expiry, counter, refund, cancel...
    source = models.CharField(_("source"), max_length=30)
    notification_id = models.CharField(_("notification id"), max_length=80, blank=True)
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["request", "sequence"]
        verbose_name = _("payment event")
        verbose_name_plural = _("payment events")
        constraints = [models.UniqueConstraint(fields=["request", "sequence"], name="payment_event_sequence_unique")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.from_status or '-'} → {self.to_status}"


class GatewayNotification(models.Model):
    """A server-to-server notification processed once: its id may never be processed again (replays and the
    gateway's retries are answered without settling twice). ``digest`` covers what it said, not when."""

    gateway = models.CharField(max_length=30)
    notification_id = models.CharField(max_length=80)
    digest = models.CharField(max_length=64)
    transaction = models.ForeignKey(Transaction, null=True, on_delete=models.PROTECT, related_name="notifications")
    received_at = models.DateTimeField()
    outcome = models.CharField(max_length=30)  # applied, no_change

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("gateway notification")
        verbose_name_plural = _("gateway notifications")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "notification_id"], name="payment_notification_once"),
        ]

    def __str__(self) -> str:
        return f"{self.gateway}:{self.notification_id}"


class CallbackRejection(models.Model):
    """A callback that changed nothing: refused (bad signature, stale, replayed with other content, malformed,
    unknown transaction, amount differs) or a duplicate of one already processed. Kept for the security log."""

    class Reason(models.TextChoices):
        BAD_SIGNATURE = "bad_signature", _("Bad signature")
        MALFORMED = "malformed", _("Malformed")
        STALE = "stale", _("Timestamp outside the window")
        REPLAYED = "replayed", _("Notification id reused with other content")
        DUPLICATE = "duplicate", _("Already processed")
        UNKNOWN_TRANSACTION = "unknown_transaction", _("Unknown transaction")
        AMOUNT_DIFFERS = "amount_differs", _("Amount differs")

    gateway = models.CharField(max_length=30)
    notification_id = models.CharField(max_length=80, blank=True)
    reason = models.CharField(max_length=30, choices=Reason.choices)
    received_at = models.DateTimeField(db_index=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("refused or duplicate callback")
        verbose_name_plural = _("refused or duplicate callbacks")

    def __str__(self) -> str:
        return f"{self.gateway} {self.reason} {self.notification_id}"


class Refund(BaseModel):
    """Money given back: the whole fee of a refused dossier (``kind`` request), or a payment the request did not
    need (``kind`` duplicate: paid twice, or after cancellation). Through the gateway that took it, or in cash."""

    class Kind(models.TextChoices):
        REQUEST = "request", _("Refund of the fee")
        DUPLICATE = "duplicate", _("Refund of a payment not needed")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        SUCCEEDED = "succeeded", _("Refunded")
        FAILED = "failed", _("Failed")

    request = models.ForeignKey(PaymentRequest, on_delete=models.PROTECT, related_name="refunds")
    transaction = models.ForeignKey(
        Transaction, null=True, blank=True, on_delete=models.PROTECT, related_name="refunds"
    )
    refund_id = models.CharField(_("refund id"), max_length=40, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    via = models.CharField(_("how"), max_length=20, choices=PaidVia.choices)
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    requested_by_label = models.CharField(_("requested by"), max_length=200, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_refund_amount_positive"),
            # A transaction's money is given back once.
            models.UniqueConstraint(
                fields=["transaction"],
                condition=Q(transaction__isnull=False) & ~Q(status="failed"),
                name="payment_refund_once_per_transaction",
            ),
        ]

    def __str__(self) -> str:
        return self.refund_id


class ReceiptCounter(models.Model):
    """The last receipt number of an agency in a series (numbers restart each year with the series)."""

    organisation = models.ForeignKey("agencies.Organisation", on_delete=models.PROTECT, related_name="+")
    series = models.CharField(max_length=20)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "series"], name="payment_receipt_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.last_number}"


class Receipt(BaseModel):
    """The electronic receipt of fees and charges (biên lai thu phí, lệ phí điện tử) of a paid request.

    Numbered per collecting agency in its series (``series`` e.g. ``MC/26E``: prefix, two-digit year, E for
    electronic; ``number`` seven digits). Registered as an issued document, so its short code and QR code lead
    to the public verification page; the PDF is rendered when first asked for (``receipt_pdf``).
    """

    request = models.OneToOneField(PaymentRequest, on_delete=models.PROTECT, related_name="receipt")
    organisation = models.ForeignKey("agencies.Organisation", on_delete=models.PROTECT, related_name="+")
    series = models.CharField(_("receipt series"), max_length=20)
    number = models.PositiveIntegerField(_("receipt number"))
    issued_at = models.DateTimeField(_("issued at"))
    amount = models.PositiveBigIntegerField(_("amount (đồng)"))
    issued_document = models.ForeignKey(
        "signatures.IssuedDocument", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "series", "number"], name="payment_receipt_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.number_text}"

    @property
    def number_text(self) -> str:
        return f"{self.number:07d}"


class ReconciliationReport(BaseModel):
    """The day's comparison (đối soát) of one agency's online payments: Motcua's records against the gateway's
    list. Made again (replaced) each time it is run for the same gateway, agency and day."""

    gateway = models.CharField(_("gateway"), max_length=30)
    organisation_code = models.CharField(_("collecting agency code"), max_length=35)
    organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("collecting agency"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    day = models.DateField(_("day"))
    generated_at = models.DateTimeField(_("made at"))
    motcua_count = models.PositiveIntegerField(_("transactions in Motcua"), default=0)
    motcua_total = models.PositiveBigIntegerField(_("total in Motcua (đồng)"), default=0)
    gateway_count = models.PositiveIntegerField(_("transactions at the gateway"), default=0)
    gateway_total = models.PositiveBigIntegerField(_("total at the gateway (đồng)"), default=0)
    mismatch_count = models.PositiveIntegerField(_("mismatches"), default=0)

    class Meta:
        ordering = ["-day", "organisation_code"]
        verbose_name = _("reconciliation report")
        verbose_name_plural = _("reconciliation reports")
        constraints = [
            models.UniqueConstraint(fields=["gateway", "organisation_code", "day"], name="payment_reconciliation_once"),
        ]

    def __str__(self) -> str:
        return f"{self.organisation_code} {self.day:%d/%m/%Y}"


class ReconciliationLine(models.Model):
    """One transaction in a reconciliation report, matched or not."""

    class Result(models.TextChoices):
        MATCHED = "matched", _("Matched")
        MISSING_AT_GATEWAY = "missing_at_gateway", _("Missing at the gateway")
        MISSING_IN_MOTCUA = "missing_in_motcua", _("Missing in Motcua")
        AMOUNT_DIFFERS = "amount_differs", _("Amount differs")
        STATUS_DIFFERS = "status_differs", _("Status differs")

    report = models.ForeignKey(ReconciliationReport, on_delete=models.CASCADE, related_name="lines")
    initiator_transaction_id = models.CharField(_("transaction id"), max_length=40)
    gateway_transaction_id = models.CharField(_("gateway's transaction id"), max_length=80, blank=True)
    reference = models.CharField(_("reference (dossier code)"), max_length=60, blank=True)
    motcua_status = models.CharField(_("status in Motcua"), max_length=20, blank=True)
    gateway_status = models.CharField(_("status at the gateway"), max_length=20, blank=True)
    motcua_amount = models.PositiveBigIntegerField(_("amount in Motcua"), null=True, blank=True)
    gateway_amount = models.PositiveBigIntegerField(_("amount at the gateway"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=30, choices=Result.choices)
    flag = models.CharField(_("attention"), max_length=30, blank=True)

    class Meta:
        ordering = ["report", "result", "initiator_transaction_id"]
        verbose_name = _("reconciliation line")
        verbose_name_plural = _("reconciliation lines")

    def __str__(self) -> str:
        return f"{self.initiator_transaction_id} {self.result}"
