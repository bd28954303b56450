"""Citizen feedback and recommendations (phản ánh kiến nghị, PAKN) and the answers agencies give.

Anyone submits feedback about a procedure of the catalogue, an agency of the directory, or their own dossier;
the competent agency receives it, may ask for more information, assigns a handler, answers, and (when the
submitter agreed) publishes a redacted question with the answer, which the public can search and rate.

Every write goes through ``feedback.services``; the state machine is ``feedback.workflow``; the legal deadlines
(Decree 20/2008/NĐ-CP as amended by Decree 92/2017/NĐ-CP, counted in working days by ``core.calendar``) are
stored on the row by ``feedback.deadlines`` so the work queues can sort on them.

Feedback code: ``PAKN-{yyMMdd}-{sequence:04d}``, the local (Asia/Ho_Chi_Minh) day of submission and a sequence
per day from a ``FeedbackCounter`` row locked while it is incremented; unique by constraint.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.models import BaseModel


class FeedbackStatus(models.TextChoices):
    """Where a feedback stands; the national PAKN system's states, with the answer's approval made explicit."""

    NEW = "new", _("Submitted, awaiting receipt")
    ACCEPTED = "accepted", _("Received")
    NEEDS_INFO = "needs_info", _("Waiting for more information")
    ASSIGNED = "assigned", _("Being handled")
    ANSWERED = "answered", _("Answer awaiting approval")
    AWAITING_PUBLICATION = "awaiting_publication", _("Answered, awaiting publication")
    PUBLISHED = "published", _("Answer published")
    CLOSED = "closed", _("Answered, not published")
    REFUSED = "refused", _("Refused")
    RETURNED = "returned", _("Returned: not within the agency's competence")


# Statuses the agency still has to act on (or wait in, for the submitter's information).
OPEN_STATUSES = (
    FeedbackStatus.NEW,
    FeedbackStatus.ACCEPTED,
    FeedbackStatus.NEEDS_INFO,
    FeedbackStatus.ASSIGNED,
    FeedbackStatus.ANSWERED,
    FeedbackStatus.AWAITING_PUBLICATION,
)
# Statuses in which the submitter may read the agency's answer.
ANSWER_GIVEN_STATUSES = (FeedbackStatus.AWAITING_PUBLICATION, FeedbackStatus.PUBLISHED, FeedbackStatus.CLOSED)
# Statuses in which an answer (a draft or the final one) is written on the row.
ANSWER_WRITTEN_STATUSES = (FeedbackStatus.ANSWERED, *ANSWER_GIVEN_STATUSES)
ENDED_STATUSES = (FeedbackStatus.PUBLISHED, FeedbackStatus.CLOSED, FeedbackStatus.REFUSED, FeedbackStatus.RETURNED)


class SubjectKind(models.TextChoices):
    """What the feedback is about."""

    PROCEDURE = "procedure", _("An administrative procedure")
    AGENCY = "agency", _("An agency")
    DOSSIER = "dossier", _("One of my dossiers")


class Feedback(BaseModel):
    """One feedback or recommendation, from submission to its published (or closed) answer."""

    code = models.CharField(_("feedback code"), max_length=20, editable=False)
    # Only a salted SHA-256 of the lookup secret given to the submitter; the secret itself is shown once.
    secret_hash = models.CharField(_("lookup secret (hashed)"), max_length=120, editable=False)
    secret_hash.audit_secret = True  # type: ignore[attr-defined]  # never copied into the audit trail
    status = models.CharField(_("status"), max_length=30, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    subject_kind = models.CharField(_("about"), max_length=20, choices=SubjectKind.choices)
    procedure = models.ForeignKey(
        "procedures.Procedure",
        verbose_name=_("procedure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    dossier = models.ForeignKey(
        "dossiers.Dossier",
        verbose_name=_("dossier"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The competent agency now (it changes when a feedback is forwarded to another agency).
    agency = models.ForeignKey(
        "agencies.Organisation", verbose_name=_("competent agency"), on_delete=models.PROTECT, related_name="+"
    )
    # The field (lĩnh vực) of the procedure, kept for the public search's filter.
    field_code = models.CharField(_("field code"), max_length=40, blank=True, default="")
    field_name = models.CharField(_("field"), max_length=300, blank=True, default="")
    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"))
    submitter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitter account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="feedback",
    )
    submitter_name = models.CharField(_("submitter's name"), max_length=200)
    submitter_phone = models.CharField(_("phone number"), max_length=20, blank=True)
    submitter_email = models.EmailField(_("e-mail"), blank=True)
    submitter_address = models.CharField(_("address"), max_length=300, blank=True)
    # The language of the submission page, for messages to a submitter without an account.
    language = models.CharField(_("language"), max_length=8, default="vi")
    publication_consent = models.BooleanField(_("agrees to publication of the question"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"))
    # When the current agency got it: the submission, or the forwarding from another agency.
    received_at = models.DateTimeField(_("received at"))
    receipt_due_at = models.DateTimeField(_("decide on receipt by"))
    info_request_due_at = models.DateTimeField(_("ask for more information by"))
    # The resolve clock (core.calendar.Deadline): 15 working days from receipt, paused while waiting for information.
    resolve_started_at = models.DateTimeField(_("resolve clock started at"))
    resolve_allotted_seconds = models.FloatField(_("allotted working seconds"), default=0)
    resolve_consumed_seconds = models.FloatField(_("consumed working seconds"), default=0)
    resolve_running_since = models.DateTimeField(_("resolve clock running since"), null=True, blank=True)
    resolve_paused_at = models.DateTimeField(_("resolve clock paused at"), null=True, blank=True)
    resolve_due_at = models.DateTimeField(_("answer due by"), null=True, blank=True)
    # The deadline of the current stage (receipt, answer or publication), for the work queues; None when paused
    # or ended.
    due_at = models.DateTimeField(_("current deadline"), null=True, blank=True)
    # Where a feedback waiting for information goes back once supplemented (accepted or assigned).
    resume_status = models.CharField(_("status after the information"), max_length=30, blank=True)
    info_request_count = models.PositiveSmallIntegerField(_("requests for information"), default=0)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    answered_at = models.DateTimeField(_("answer drafted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("answer approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    resolved_on_time = models.BooleanField(_("answered within the deadline"), null=True, blank=True)
    publish_due_at = models.DateTimeField(_("publish by"), null=True, blank=True)
    # What the public sees: a title and question rewritten without personal data, and the answer.
    published_title = models.CharField(_("published title"), max_length=200, blank=True)
    published_question = models.TextField(_("published question"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_on_time = models.BooleanField(_("published within the deadline"), null=True, blank=True)
    closed_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    # Why it was refused, returned or closed without publication.
    closing_reason = models.TextField(_("reason"), blank=True)
    like_count = models.PositiveIntegerField(_("likes"), default=0)
    dislike_count = models.PositiveIntegerField(_("dislikes"), default=0)
    # The key of the last deadline reminder sent, so the periodic job reminds once per stage, kind and day.
    last_reminder_key = models.CharField(max_length=120, blank=True, default="", editable=False)
    # Folded code, title and submitter's name (agencies.search.search_fold), for the officials' search.
    search_key = models.CharField(max_length=500, blank=True, default="", editable=False)
    # Folded published title, question and answer: the public search (filled only once published).
    public_search_key = models.TextField(blank=True, default="", editable=False)

    # Not stored: the plain lookup secret right after a service issued it.
    lookup_secret: str | None = None

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.UniqueConstraint(fields=["code"], name="feedback_code_unique"),
            models.CheckConstraint(condition=Q(status__in=FeedbackStatus.values), name="feedback_status_valid"),
            models.CheckConstraint(condition=Q(subject_kind__in=SubjectKind.values), name="feedback_subject_valid"),
            models.CheckConstraint(
                condition=~Q(subject_kind="procedure") | Q(procedure__isnull=False), name="feedback_procedure_named"
            ),
            models.CheckConstraint(
                condition=~Q(subject_kind="dossier") | Q(dossier__isnull=False), name="feedback_dossier_named"
            ),
            # Someone without an account leaves a way to be answered.
            models.CheckConstraint(
                condition=Q(submitter__isnull=False) | ~Q(submitter_phone="") | ~Q(submitter_email=""),
                name="feedback_contact_given",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["assigned", "answered"]) | Q(assigned_to__isnull=False),
                name="feedback_handled_has_handler",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[s.value for s in ANSWER_WRITTEN_STATUSES]) | ~Q(answer=""),
                name="feedback_answered_has_answer",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=[s.value for s in ANSWER_GIVEN_STATUSES]) | Q(approved_at__isnull=False),
                name="feedback_answer_given_is_approved",
            ),
            # Personal data is never published without consent, and a published item has its public text.
            models.CheckConstraint(
                condition=~Q(status="published")
                | (Q(publication_consent=True) & Q(published_at__isnull=False) & ~Q(published_question="")),
                name="feedback_published_with_consent",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]) | Q(closed_at__isnull=False),
                name="feedback_ended_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(status="needs_info") | Q(resume_status__in=["accepted", "assigned"]),
                name="feedback_waiting_knows_where_to_resume",
            ),
            models.CheckConstraint(condition=Q(resolve_allotted_seconds__gte=0), name="feedback_allotted_positive"),
        ]
        indexes = [
            models.Index(fields=["agency", "status", "due_at"], name="feedback_agency_queue"),
            models.Index(fields=["assigned_to", "status", "due_at"], name="feedback_handler_queue"),
            models.Index(fields=["status", "due_at"], name="feedback_status_due"),
            models.Index(fields=["submitter", "-submitted_at"], name="feedback_submitter_list"),
            models.Index(fields=["status", "-published_at"], name="feedback_published_list"),
            models.Index(fields=["dossier"], condition=Q(dossier__isnull=False), name="feedback_about_dossier"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def answer_is_given(self) -> bool:
        return self.status in ANSWER_GIVEN_STATUSES


class FeedbackCounter(models.Model):
    """Last sequence number given to a feedback submitted on a (local) day."""

    day = models.DateField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("feedback counter")
        verbose_name_plural = _("feedback counters")

    def __str__(self) -> str:
        return f"{self.day}: {self.last_number}"


class FeedbackEvent(models.Model):
    """One line of a feedback's history: a transition, who, when, the deadline of that stage and whether it
    was met."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    feedback = models.ForeignKey(Feedback, verbose_name=_("feedback"), on_delete=models.PROTECT, related_name="events")
    sequence = models.PositiveIntegerField(_("sequence"))
    action = models.CharField(_("action"), max_length=30)
    from_status = models.CharField(_("from status"), max_length=30, choices=FeedbackStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=30, choices=FeedbackStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor"), max_length=200, blank=True)
    actor_title = models.CharField(_("job title"), max_length=200, blank=True)
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
    # The legal deadline this action answered to (receipt, request for information, answer, publication).
    due_at = models.DateTimeField(_("deadline of the stage"), null=True, blank=True)
    is_on_time = models.BooleanField(_("on time"), null=True, blank=True)

    class Meta:
        ordering = ["feedback", "sequence"]
        verbose_name = _("feedback event")
        verbose_name_plural = _("feedback history")
        constraints = [
            models.UniqueConstraint(fields=["feedback", "sequence"], name="feedback_event_sequence_unique"),
            models.CheckConstraint(
                condition=Q(to_status__in=FeedbackStatus.values), name="feedback_event_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id} #{self.sequence} {self.action}"


def feedback_file_path(instance: FeedbackAttachment, filename: str) -> str:
    # The stored name never contains what the uploader typed: only a fresh id and the sniffed extension.
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(instance.content_type, "bin")
    today = timezone.localdate()
    return f"feedback/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"


class FeedbackAttachment(BaseModel):
    """An image or PDF given with the feedback or with the information supplied later."""

    feedback = models.ForeignKey(
        Feedback, verbose_name=_("feedback"), on_delete=models.PROTECT, related_name="attachments"
    )
    # The history line it came with (the submission or a supplement).
    event = models.ForeignKey(
        FeedbackEvent, verbose_name=_("history line"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to=feedback_file_path, max_length=300)
    name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size in bytes"))
    content_type = models.CharField(_("content type"), max_length=100)
    sha256 = models.CharField(_("SHA-256"), max_length=64)

    class Meta:
        ordering = ["feedback", "created_at"]
        verbose_name = _("feedback attachment")
        verbose_name_plural = _("feedback attachments")

    def __str__(self) -> str:
        return self.name


class FeedbackVote(BaseModel):
    """A like (+1) or dislike (-1) of a published answer: one per signed-in person, or per anonymous browser
    (``voter_key``: a hash of the random token in the browser's signed cookie)."""

    class Value(models.IntegerChoices):
        LIKE = 1, _("Like")
        DISLIKE = -1, _("Dislike")

    feedback = models.ForeignKey(Feedback, verbose_name=_("feedback"), on_delete=models.PROTECT, related_name="votes")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    voter_key = models.CharField(_("anonymous browser"), max_length=64, blank=True, default="")
    value = models.SmallIntegerField(_("vote"), choices=Value.choices)

    class Meta:
        verbose_name = _("vote on an answer")
        verbose_name_plural = _("votes on answers")
        constraints = [
            models.UniqueConstraint(
                fields=["feedback", "user"], condition=Q(user__isnull=False), name="feedback_vote_one_per_user"
            ),
            models.UniqueConstraint(
                fields=["feedback", "voter_key"], condition=~Q(voter_key=""), name="feedback_vote_one_per_browser"
            ),
            models.CheckConstraint(condition=Q(value__in=[1, -1]), name="feedback_vote_value_valid"),
            models.CheckConstraint(
                condition=(Q(user__isnull=False) & Q(voter_key="")) | (Q(user__isnull=True) & ~Q(voter_key="")),
                name="feedback_vote_one_voter",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.value:+d}"
