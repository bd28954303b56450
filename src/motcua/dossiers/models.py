"""One-stop-shop dossiers (hồ sơ thủ tục hành chính): applications, their files, history and deadlines.

Every write goes through ``dossiers.services``; the state machine is in ``dossiers.workflow``. Statuses map
one-to-one to the national portal's ``TrangThaiHoSo`` 1-10 (see ``DossierStatus.portal_code``).

Dossier code (mã hồ sơ, MaHoSo): ``{receiving organisation code}-{yyMMdd}-{sequence:04d}``, e.g.
``000.00.20.H49-260302-0007``: the QCVN 102 code of the organisation that received the dossier, the local
date (Asia/Ho_Chi_Minh) of submission or counter registration, and a sequence per receiving organisation
and day (at least four digits) from a ``DossierCounter`` row locked while it is incremented.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.core.models import BaseModel


class DossierStatus(models.TextChoices):
    """Status of a dossier; ``portal_code`` is the national portal's TrangThaiHoSo."""

    NEW = "new", _("Newly submitted")
    ACCEPTED = "accepted", _("Received")
    REFUSED = "refused", _("Refused")
    PROCESSING = "processing", _("Processing")
    SUPPLEMENT_REQUESTED = "supplement_requested", _("Supplement requested")
    FINANCIAL_OBLIGATION = "financial_obligation", _("Awaiting financial obligation")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    STOPPED = "stopped", _("Processing stopped")
    FINISHED = "finished", _("Processing finished")
    RETURNED = "returned", _("Result returned")

    @property
    def portal_code(self) -> int:
        return PORTAL_STATUS_CODES[self.value]


# TrangThaiHoSo of the national public service portal (DOMAIN.md §1).
PORTAL_STATUS_CODES: dict[str, int] = {
    "new": 1,
    "accepted": 2,
    "refused": 3,
    "processing": 4,
    "supplement_requested": 5,
    "financial_obligation": 6,
    "withdrawn": 7,
    "stopped": 8,
    "finished": 9,
    "returned": 10,
}

# Statuses in which the processing clock runs (and a dossier can be overdue).
RUNNING_STATUSES = (DossierStatus.ACCEPTED, DossierStatus.PROCESSING)
# Statuses of a dossier still being dealt with by the agency (not ended).
OPEN_STATUSES = (
    DossierStatus.NEW,
    DossierStatus.ACCEPTED,
    DossierStatus.PROCESSING,
    DossierStatus.SUPPLEMENT_REQUESTED,
    DossierStatus.FINANCIAL_OBLIGATION,
)
# Statuses of a dossier the agency still holds: open, or finished with the result not yet handed over.
IN_HAND_STATUSES = (*OPEN_STATUSES, DossierStatus.FINISHED)
# Statuses with a workflow step in progress that someone has to act on.
STEP_STATUSES = (*RUNNING_STATUSES, DossierStatus.FINISHED)


class Channel(models.IntegerChoices):
    """How the dossier was submitted (KenhThucHien)."""

    IN_PERSON = 1, _("In person")
    ONLINE = 2, _("Online")
    POST = 3, _("Public postal service")


class ApplicantKind(models.TextChoices):
    """LoaiDoiTuong: 1 citizen, 2 business."""

    CITIZEN = "citizen", _("Citizen")
    BUSINESS = "business", _("Business")


class ResultMethod(models.TextChoices):
    """How the result is handed over (HinhThuc)."""

    ONLINE = "online", _("Online download")
    COUNTER = "counter", _("At the counter")
    POST = "post", _("By post")


class Dossier(BaseModel):
    """An application for an administrative procedure, from submission to the returned result."""

    code = models.CharField(_("dossier code"), max_length=60, editable=False)
    # Only a salted SHA-256 of the lookup secret printed on the receipt; the secret itself is shown once.
    secret_hash = models.CharField(_("lookup secret (hashed)"), max_length=120, editable=False)
    secret_hash.audit_secret = True  # type: ignore[attr-defined]  # never copied into the audit trail
    procedure_version = models.ForeignKey(
        "procedures.ProcedureVersion", verbose_name=_("procedure version"), on_delete=models.PROTECT, related_name="+"
    )
    procedure = models.ForeignKey(
        "procedures.Procedure", verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="+"
    )
    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
    )
    applicant_kind = models.CharField(_("applicant kind"), max_length=20, choices=ApplicantKind.choices)
    applicant_name = models.CharField(_("applicant name"), max_length=300)
    applicant_identifier = models.CharField(_("personal identification number or tax code"), max_length=20, blank=True)
    applicant_phone = models.CharField(_("phone number"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("e-mail"), blank=True)
    applicant_address = models.CharField(_("address"), max_length=300, blank=True)
    channel = models.PositiveSmallIntegerField(_("channel"), choices=Channel.choices)
    status = models.CharField(_("status"), max_length=30, choices=DossierStatus.choices, default=DossierStatus.NEW)
    receiving_organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("receiving organisation"), on_delete=models.PROTECT, related_name="+"
    )
    processing_organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("processing organisation"), on_delete=models.PROTECT, related_name="+"
    )
    # The current step of the procedure's internal process, denormalised for the work queues.
    current_step_index = models.PositiveSmallIntegerField(_("current step"), null=True, blank=True)
    current_step_code = models.CharField(_("current step code"), max_length=60, blank=True)
    current_step_role = models.CharField(_("current step role"), max_length=30, blank=True)
    current_step_unit_code = models.CharField(_("current step unit"), max_length=30, blank=True)
    current_step_organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("organisation of the current step"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned official"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    form_data = models.JSONField(_("application form"), default=dict, blank=True)
    summary = models.CharField(_("summary"), max_length=500, blank=True)  # trích yếu (TrichYeuHoSo)
    submitted_at = models.DateTimeField(_("submitted at"))
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)  # NgayTiepNhan
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("received by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at = models.DateTimeField(_("appointment for the result"), null=True, blank=True)  # NgayHenTra
    finished_at = models.DateTimeField(_("processing finished at"), null=True, blank=True)  # NgayKetThucXuLy
    returned_at = models.DateTimeField(_("result returned at"), null=True, blank=True)  # NgayTra
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)  # refused, stopped or withdrawn
    # The statutory deadline (core.calendar.Deadline), paused while the applicant supplements or pays.
    deadline_started_at = models.DateTimeField(_("deadline started at"), null=True, blank=True)
    deadline_allotted_seconds = models.FloatField(_("allotted working seconds"), default=0)
    deadline_consumed_seconds = models.FloatField(_("consumed working seconds"), default=0)
    deadline_running_since = models.DateTimeField(_("deadline running since"), null=True, blank=True)
    deadline_paused_at = models.DateTimeField(_("deadline paused at"), null=True, blank=True)
    # Working seconds added to the appointment by apology letters (Form 04); not to the statutory time.
    deadline_extended_seconds = models.FloatField(_("working seconds of announced delays"), default=0)
    supplement_count = models.PositiveSmallIntegerField(_("supplement requests"), default=0)
    is_on_time = models.BooleanField(_("finished on time"), null=True, blank=True)
    # Fees and charges asked of the applicant so far (at application and at status 6) and paid so far, in đồng; the
    # bills themselves are payment requests of the payments app (purposes "dossier_fees", "dossier_obligation").
    fees_due = models.PositiveBigIntegerField(_("amount requested (đồng)"), default=0)
    fees_paid = models.PositiveBigIntegerField(_("amount paid (đồng)"), default=0)
    # What the applicant declared for the fee quote: copies (per-copy lines) and the exemption group they say they
    # belong to (the clerk checks the proof).
    fee_copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    fee_exemption_category = models.CharField(_("exemption claimed"), max_length=200, blank=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    payment_reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    result = models.JSONField(_("result"), default=dict, blank=True)
    result_method = models.CharField(_("result returned"), max_length=20, choices=ResultMethod.choices, blank=True)
    # "user:<id>" or "client:<client id>" and the caller's Idempotency-Key, with a fingerprint of the payload.
    idempotency_scope = models.CharField(max_length=80, blank=True, editable=False)
    idempotency_key = models.CharField(max_length=200, blank=True, editable=False)
    idempotency_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    # Folded code, applicant name and identifier (agencies.search.search_fold), for search without diacritics.
    search_key = models.CharField(max_length=400, blank=True, default="", editable=False, db_index=True)

    # Not stored: the plain lookup secret right after a service issued it, and whether a submission
    # was an idempotent replay of an earlier one.
    lookup_secret: str | None = None
    idempotent_replay: bool = False
    # Not stored either: the pay link of a bill just made, told once to an applicant without an account.
    pay_link: str = ""

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("dossier")
        verbose_name_plural = _("dossiers")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="dossier_code_unique"),
            models.CheckConstraint(condition=Q(status__in=DossierStatus.values), name="dossier_status_valid"),
            models.CheckConstraint(condition=Q(channel__in=Channel.values), name="dossier_channel_valid"),
            models.CheckConstraint(
                condition=Q(applicant_kind__in=ApplicantKind.values), name="dossier_applicant_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(result_method="") | Q(result_method__in=ResultMethod.values),
                name="dossier_result_method_valid",
            ),
            models.UniqueConstraint(
                fields=["idempotency_scope", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="dossier_idempotency_key_unique",
            ),
            # A dossier past receipt has been received, with an appointment date.
            models.CheckConstraint(
                condition=Q(status__in=["new", "refused", "withdrawn"])
                | (Q(received_at__isnull=False) & Q(due_at__isnull=False)),
                name="dossier_received_has_due_date",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["finished", "returned"]) | Q(finished_at__isnull=False),
                name="dossier_finished_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | Q(returned_at__isnull=False), name="dossier_returned_has_time"
            ),
            models.CheckConstraint(condition=Q(deadline_allotted_seconds__gte=0), name="dossier_deadline_positive"),
            models.CheckConstraint(condition=Q(fee_copies__gte=1), name="dossier_fee_copies_positive"),
        ]
        indexes = [
            models.Index(fields=["processing_organisation", "status", "due_at"], name="dossier_processing_queue"),
            models.Index(fields=["receiving_organisation", "status", "due_at"], name="dossier_receiving_queue"),
            models.Index(fields=["current_step_organisation", "status", "due_at"], name="dossier_step_queue"),
            models.Index(fields=["applicant", "-submitted_at"], name="dossier_applicant_list"),
            models.Index(fields=["status", "due_at"], name="dossier_status_due"),
            # The register ("all" queue, newest first) and its count over both organisations, index-only.
            models.Index(fields=["-submitted_at", "-code"], name="dossier_register"),
            models.Index(fields=["receiving_organisation", "processing_organisation"], name="dossier_organisations"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def portal_status(self) -> int:
        return PORTAL_STATUS_CODES[self.status]


class DossierCounter(models.Model):
    """Last sequence number given to a dossier received by an organisation on a (local) day."""

    organisation = models.ForeignKey("agencies.Organisation", on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dossier counter")
        verbose_name_plural = _("dossier counters")
        constraints = [models.UniqueConstraint(fields=["organisation", "day"], name="dossier_counter_unique")]

    def __str__(self) -> str:
        return f"{self.organisation_id} {self.day}: {self.last_number}"


def dossier_file_path(instance: DossierFile, filename: str) -> str:
    # The stored name never contains what the uploader typed: only a fresh id and the sniffed extension.
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.content_type, "bin")
    today = dt.date.today()
    return f"dossiers/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class DossierFile(BaseModel):
    """A document of a dossier (TaiLieuNop) or its result (GiayToKetQua).

    An upload first belongs to its uploader alone (no dossier yet); submission attaches it. A document
    re-used from an earlier dossier or result (DuocLayTuKhoDMQG) points to it with ``reused_from`` and
    shares its stored file instead of a new upload.
    """

    class Purpose(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted document")
        RESULT = "result", _("Result document")

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), null=True, blank=True, on_delete=models.PROTECT, related_name="files"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.SUBMITTED)
    component_code = models.CharField(_("dossier component"), max_length=60, blank=True)
    file = models.FileField(_("file"), upload_to=dossier_file_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    reused_from = models.ForeignKey(
        "self",
        verbose_name=_("re-used from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reuses",
    )
    # Scanned at the counter from paper (HoSoCoThanhPhanSoHoa / DuocSoHoa).
    is_digitised = models.BooleanField(_("digitised from paper"), default=False)

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("dossier file")
        verbose_name_plural = _("dossier files")
        constraints = [
            models.CheckConstraint(condition=Q(purpose__in=["submitted", "result"]), name="dossier_file_purpose_valid"),
            models.CheckConstraint(
                condition=~Q(purpose="result") | Q(dossier__isnull=False), name="dossier_file_result_has_dossier"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
                name="dossier_file_content_type_allowed",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DossierEvent(models.Model):
    """One line of a dossier's history: a transition (or an action within a status), who, when, the
    appointment at that moment. With the step records it is the data of the control slip (Form 05) and
    of the portal's progress record (CapNhatTienDoHoSoMC)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=40)
    from_status = models.CharField(_("from status"), max_length=30, choices=DossierStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=30, choices=DossierStatus.choices)
    step_code = models.CharField(_("step"), max_length=60, blank=True)
    step_name = models.CharField(_("step name"), max_length=300, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    actor_title = models.CharField(_("job title"), max_length=200, blank=True)  # ChucDanh
    organisation = models.ForeignKey(
        "agencies.Organisation",
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    at = models.DateTimeField(_("time"))
    due_at = models.DateTimeField(_("appointment at that time"), null=True, blank=True)

    class Meta:
        ordering = ["dossier", "sequence"]
        verbose_name = _("dossier event")
        verbose_name_plural = _("dossier history")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "sequence"], name="dossier_event_sequence_unique"),
            models.CheckConstraint(condition=Q(to_status__in=DossierStatus.values), name="dossier_event_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.sequence} {self.action}"


class StepRecord(BaseModel):
    """One pass of a dossier through a step of the internal process, with its own working-time clock."""

    class Outcome(models.TextChoices):
        FORWARDED = "forwarded", _("Forwarded")
        RETURNED = "returned", _("Returned to an earlier step")
        APPROVED = "approved", _("Approved")
        ENDED = "ended", _("Processing ended")

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="steps")
    index = models.PositiveSmallIntegerField(_("step number"))
    code = models.CharField(_("step code"), max_length=60)
    name = models.CharField(_("step name"), max_length=300)
    role = models.CharField(_("role"), max_length=30)
    unit_code = models.CharField(_("unit"), max_length=30, blank=True)
    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="+"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("official"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    started_at = models.DateTimeField(_("started at"))
    due_at = models.DateTimeField(_("step due at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    allotted_hours = models.FloatField(_("allotted working hours"))
    consumed_seconds = models.FloatField(_("used working seconds"), default=0)
    running_since = models.DateTimeField(_("running since"), null=True, blank=True)
    is_on_time = models.BooleanField(_("on time"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("finished by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["dossier", "started_at", "created_at"]
        verbose_name = _("step record")
        verbose_name_plural = _("step records")
        constraints = [
            # At most one open step per dossier.
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(finished_at__isnull=True), name="step_record_one_open_per_dossier"
            ),
            models.CheckConstraint(condition=Q(allotted_hours__gte=0), name="step_record_allotted_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.code}"


class SupplementRequest(BaseModel):
    """Request to supplement or complete the dossier (Form 02); the deadline is paused until supplied."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="supplement_requests"
    )
    items = models.JSONField(_("requested items"), default=list)
    reason = models.TextField(_("reason"))
    step_code = models.CharField(_("step"), max_length=60, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    due_at_before = models.DateTimeField(_("appointment before"), null=True, blank=True)  # NgayHenTraTruoc
    supplied_at = models.DateTimeField(_("supplied at"), null=True, blank=True)
    supplied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("supplied by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    due_at_after = models.DateTimeField(_("new appointment"), null=True, blank=True)  # NgayHenTraMoi
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["dossier", "requested_at"]
        verbose_name = _("supplement request")
        verbose_name_plural = _("supplement requests")
        constraints = [
            models.UniqueConstraint(
                fields=["dossier"], condition=Q(supplied_at__isnull=True), name="supplement_request_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.requested_at:%Y-%m-%d}"


class DelayNotice(BaseModel):
    """Apology and new appointment (Form 04), sent at least one working day before the due date."""

    dossier = models.ForeignKey(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="delays")
    reason = models.TextField(_("reason"))
    previous_due_at = models.DateTimeField(_("previous appointment"))
    new_due_at = models.DateTimeField(_("new appointment"))
    announced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("announced by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    announced_at = models.DateTimeField(_("announced at"))

    class Meta:
        ordering = ["dossier", "announced_at"]
        verbose_name = _("delay notice")
        verbose_name_plural = _("delay notices")
        constraints = [
            models.CheckConstraint(
                condition=Q(new_due_at__gt=models.F("previous_due_at")), name="delay_notice_new_date_later"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.new_due_at:%Y-%m-%d}"


class OpinionRequest(BaseModel):
    """A request for another agency's opinion on a dossier (lấy ý kiến phối hợp)."""

    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="opinion_requests"
    )
    organisation = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("asked organisation"), on_delete=models.PROTECT, related_name="+"
    )
    question = models.TextField(_("question"))
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"))
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)

    class Meta:
        ordering = ["dossier", "requested_at"]
        verbose_name = _("opinion request")
        verbose_name_plural = _("opinion requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | ~Q(answer=""), name="opinion_request_answer_when_answered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.organisation_id}"


class DraftStep(models.TextChoices):
    """The steps of an online application, in order (guide → form → documents → fees → review)."""

    GUIDE = "guide", _("Before you start")
    FORM = "form", _("Application form")
    DOCUMENTS = "documents", _("Documents")
    FEES = "fees", _("Fees and charges")
    REVIEW = "review", _("Check and submit")


class DossierDraft(BaseModel):
    """An online application being prepared by its applicant, saved at every step and resumed later.

    ``documents`` maps a dossier component's code to ``{"upload_id": ...}`` (a file uploaded for this draft,
    not yet attached to any dossier) or ``{"reuse_file_id": ...}`` (a document of the applicant's earlier
    dossiers or results, re-used: DuocLayTuKhoDMQG). Submission creates the dossier with the draft's id as
    the Idempotency-Key and links it here, so a retried submission returns the same dossier.
    """

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("applicant account"),
        on_delete=models.CASCADE,
        related_name="dossier_drafts",
    )
    procedure_version = models.ForeignKey(
        "procedures.ProcedureVersion", verbose_name=_("procedure version"), on_delete=models.PROTECT, related_name="+"
    )
    current_step = models.CharField(
        _("current step"), max_length=20, choices=DraftStep.choices, default=DraftStep.GUIDE
    )
    form_data = models.JSONField(_("application form"), default=dict, blank=True)
    documents = models.JSONField(_("chosen documents"), default=dict, blank=True)
    # The fees step: copies asked for (per-copy fee lines) and the exemption group the applicant says they are in.
    fee_copies = models.PositiveSmallIntegerField(_("copies"), default=1)
    fee_exemption_category = models.CharField(_("exemption claimed"), max_length=200, blank=True)
    dossier = models.OneToOneField(
        Dossier,
        verbose_name=_("submitted dossier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="draft",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("application draft")
        verbose_name_plural = _("application drafts")
        constraints = [
            models.CheckConstraint(condition=Q(current_step__in=DraftStep.values), name="dossier_draft_step_valid"),
            models.CheckConstraint(condition=Q(fee_copies__gte=1), name="dossier_draft_fee_copies_positive"),
            models.CheckConstraint(
                condition=Q(dossier__isnull=True) | Q(submitted_at__isnull=False),
                name="dossier_draft_submitted_has_time",
            ),
        ]
        indexes = [models.Index(fields=["applicant", "-updated_at"], name="dossier_draft_applicant")]

    def __str__(self) -> str:
        return f"{self.applicant_id} {self.procedure_version_id} ({self.current_step})"


class PortalOutboxRecord(models.Model):
    """A record for the national portal (DongBoHoSoMC or CapNhatTienDoHoSoMC), written in the same
    transaction as the dossier change it reports, then delivered (and retried) by
    ``dossiers.national_portal.outbox``. ``payload`` is the record exactly as it is sent.

    Records of one dossier are delivered in order (``event_sequence``, then ``kind``: the dossier before its
    progress): a record waits while an earlier one of its dossier is still pending.
    """

    class Kind(models.TextChoices):
        DOSSIER_SYNC = "dossier_sync", _("Dossier (DongBoHoSoMC)")
        PROGRESS_UPDATE = "progress_update", _("Progress (CapNhatTienDoHoSoMC)")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        REJECTED = "rejected", _("Rejected by the portal")
        FAILED = "failed", _("Given up")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    dossier = models.ForeignKey(
        Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="portal_outbox_records"
    )
    # The history line (DossierEvent.sequence) that caused the record.
    event_sequence = models.PositiveIntegerField(_("history line"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    payload = models.JSONField(_("record"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Not before this time; while a worker sends the record it also holds it until then (a lease).
    next_attempt_at = models.DateTimeField(_("next attempt at"), db_index=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["created_at", "event_sequence", "kind"]
        verbose_name = _("national portal record")
        verbose_name_plural = _("national portal outbox")
        constraints = [
            models.UniqueConstraint(fields=["dossier", "event_sequence", "kind"], name="portal_outbox_event_once"),
            models.CheckConstraint(
                condition=Q(kind__in=["dossier_sync", "progress_update"]), name="portal_outbox_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(state__in=["pending", "sent", "rejected", "failed"]), name="portal_outbox_state_valid"
            ),
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="portal_outbox_sent_has_time"
            ),
        ]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"], name="portal_outbox_due"),
            models.Index(fields=["dossier", "state", "event_sequence"], name="portal_outbox_dossier_order"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} #{self.event_sequence} {self.kind}"


class RatingScore(models.IntegerChoices):
    """How satisfied the applicant is with the service, once the result is returned (đánh giá mức độ hài lòng)."""

    VERY_DISSATISFIED = 1, _("Very dissatisfied")
    DISSATISFIED = 2, _("Dissatisfied")
    NEUTRAL = 3, _("Neither satisfied nor dissatisfied")
    SATISFIED = 4, _("Satisfied")
    VERY_SATISFIED = 5, _("Very satisfied")


# Scores that count as a dislike in the service quality index (Decision 766: satisfaction = 100 % − overdue
# rate − rate of dossiers with complaints or dislikes).
DISSATISFIED_SCORES = (RatingScore.VERY_DISSATISFIED, RatingScore.DISSATISFIED)


class DossierRating(BaseModel):
    """The applicant's rating of the service for one dossier: given once, after the result was returned."""

    class Channel(models.TextChoices):
        ACCOUNT = "account", _("Signed in")
        LOOKUP = "lookup", _("With the receipt's code and secret")

    dossier = models.OneToOneField(Dossier, verbose_name=_("dossier"), on_delete=models.PROTECT, related_name="rating")
    score = models.PositiveSmallIntegerField(_("rating"), choices=RatingScore.choices)
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    channel = models.CharField(_("rated"), max_length=20, choices=Channel.choices)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    rated_at = models.DateTimeField(_("rated at"))

    class Meta:
        ordering = ["-rated_at"]
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5), name="dossier_rating_score_range"),
            models.CheckConstraint(condition=Q(channel__in=["account", "lookup"]), name="dossier_rating_channel_valid"),
        ]
        indexes = [models.Index(fields=["rated_at"], name="dossier_rating_time")]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.score}"
