"""API shapes of dossiers: one input schema per action, outputs without secrets."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any, Literal

from django.utils import timezone
from ninja import Field, Schema

from motcua.dossiers.models import RUNNING_STATUSES, Dossier, DossierStatus


class FileRefIn(Schema):
    component_code: str
    upload_id: uuid.UUID | None = None
    reuse_file_id: uuid.UUID | None = None


class DossierSubmitIn(Schema):
    """An online application. Upload the documents first (``POST /dossiers/uploads``), then name them here."""

    procedure: str = Field(description="National code of the procedure, e.g. 1.001193")
    procedure_version_id: uuid.UUID | None = Field(None, description="A specific published version (default: current)")
    receiving_organisation: str = Field("", description="Code of the receiving organisation (default: the first)")
    form_data: dict[str, Any] = Field(default_factory=dict)
    files: list[FileRefIn] = Field(default_factory=list)
    summary: str = ""
    copies: int = Field(1, description="Copies asked for: lines of the procedure's fees priced per copy × copies")
    applicant_category: str = Field(
        "", description="The exemption group the applicant says they are in (one of the fee lines' exempt_categories)"
    )


class ApplicantIn(Schema):
    kind: Literal["citizen", "business"] = "citizen"
    full_name: str
    identifier: str = Field(description="Personal identification number (12 digits) or tax code")
    phone: str = ""
    email: str = ""
    address: str = ""


class DossierCounterIn(Schema):
    procedure: str
    procedure_version_id: uuid.UUID | None = None
    receiving_organisation: str = ""
    channel: Literal[1, 3] = 1
    applicant: ApplicantIn
    form_data: dict[str, Any] = Field(default_factory=dict)
    files: list[FileRefIn] = Field(default_factory=list)
    paper_components: list[str] = Field(default_factory=list)
    summary: str = ""


class QueueFilter(Schema):
    view: Literal["new", "my_step", "awaiting_supplement", "due_soon", "overdue", "open", "all"] = "open"
    q: str = ""
    organisation: str = ""
    procedure: str = ""


# ---------------------------------------------------------------------------------------------- actions


class NoteIn(Schema):
    note: str = ""


class StepIn(Schema):
    expected_step: str = Field("", description="The step code you saw; 409 dossier_step_changed if it moved")


class ForwardIn(StepIn):
    assignee_id: uuid.UUID | None = None
    note: str = ""


class ReturnToStepIn(StepIn):
    step_code: str
    reason: str


class ReasonsIn(StepIn):
    reasons: list[str]


class ReasonIn(Schema):
    reason: str = ""


class SupplementRequestIn(StepIn):
    items: list[str]
    reason: str


class SupplyIn(Schema):
    files: list[FileRefIn] = Field(default_factory=list)
    form_data: dict[str, Any] | None = None
    note: str = ""


class PaymentRequestIn(StepIn):
    amount: int | None = Field(None, description="Amount in đồng (one line named by the note)")
    fee_codes: list[str] = Field(
        default_factory=list, description="Or codes of the procedure's fee lines to bill (not with amount)"
    )
    copies: int = Field(1, description="Copies, for fee lines priced per copy")
    note: str = Field("", description="What is to be paid (printed on the bill)")


class PaymentIn(Schema):
    amount: int = Field(description="Amount received at the counter in đồng: must be the amount requested")
    reference: str = Field("", description="Number of the paper receipt, if one was given")


class CounterPaymentIn(Schema):
    amount: int = Field(description="Amount received at the counter in đồng: must be the amount requested")
    paper_receipt_number: str = ""
    note: str = ""


class RatingIn(Schema):
    score: int = Field(description="1 very dissatisfied … 5 very satisfied")
    comment: str = ""


class PublicRatingIn(RatingIn):
    code: str = Field(description="Dossier code printed on the receipt")
    secret: str = Field(description="Lookup secret printed on the receipt")


class RatingOut(Schema):
    score: int
    score_label: str
    comment: str
    channel: str
    rated_at: dt.datetime

    @staticmethod
    def resolve_score_label(obj: Any) -> str:
        return str(obj.get_score_display())


class OpinionRequestIn(StepIn):
    organisation: str = Field(description="Code of the organisation asked")
    question: str


class OpinionAnswerIn(Schema):
    opinion_request_id: uuid.UUID
    answer: str


class DelayIn(Schema):
    new_due_at: dt.datetime
    reason: str


class ApproveIn(StepIn):
    result: dict[str, Any] = Field(default_factory=dict)
    note: str = ""
    pin: str = Field(default="", description="The approver's signing PIN: approve and sign the result at once.")


class PinIn(Schema):
    pin: str = Field(description="PIN of the signing key (personal key, or the agency seal's).")


class ReturnResultIn(Schema):
    method: Literal["online", "counter", "post"]
    note: str = ""


# ---------------------------------------------------------------------------------------------- outputs


class FileOut(Schema):
    id: uuid.UUID
    component_code: str
    purpose: str
    name: str
    size: int
    content_type: str
    sha256: str
    reused_from_id: uuid.UUID | None = None
    is_digitised: bool
    created_at: dt.datetime


class DossierListOut(Schema):
    id: uuid.UUID
    code: str
    status: str
    status_label: str
    portal_status: int
    channel: int
    procedure_code: str
    procedure_name: str
    applicant_name: str
    receiving_organisation: str
    processing_organisation: str
    current_step_code: str
    assigned_to: str
    submitted_at: dt.datetime
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    is_overdue: bool

    @staticmethod
    def resolve_status_label(obj: Dossier) -> str:
        return str(DossierStatus(obj.status).label)

    @staticmethod
    def resolve_procedure_code(obj: Dossier) -> str:
        return obj.procedure.code

    @staticmethod
    def resolve_procedure_name(obj: Dossier) -> str:
        return obj.procedure.name

    @staticmethod
    def resolve_receiving_organisation(obj: Dossier) -> str:
        return obj.receiving_organisation.code or ""

    @staticmethod
    def resolve_processing_organisation(obj: Dossier) -> str:
        return obj.processing_organisation.code or ""

    @staticmethod
    def resolve_assigned_to(obj: Dossier) -> str:
        user = obj.assigned_to
        return (user.full_name or user.username) if user is not None else ""

    @staticmethod
    def resolve_is_overdue(obj: Dossier) -> bool:
        return obj.status in RUNNING_STATUSES and obj.due_at is not None and obj.due_at < timezone.now()


class DossierCreatedOut(DossierListOut):
    lookup_secret: str | None = Field(None, description="Shown once: printed on the receipt for public lookup")
    idempotent_replay: bool = False


class EventOut(Schema):
    sequence: int
    action: str
    from_status: str
    to_status: str
    step_code: str
    step_name: str
    actor_label: str
    actor_title: str
    organisation: str | None
    note: str
    details: dict[str, Any]
    at: dt.datetime
    due_at: dt.datetime | None

    @staticmethod
    def resolve_organisation(obj: Any) -> str | None:
        return obj.organisation.code if obj.organisation is not None else None


class StepOut(Schema):
    index: int
    code: str
    name: str
    role: str
    unit_code: str
    organisation: str
    assignee: str
    started_at: dt.datetime
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    allotted_hours: float
    used_seconds: float
    is_on_time: bool | None
    outcome: str

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return obj.organisation.code or ""

    @staticmethod
    def resolve_assignee(obj: Any) -> str:
        user = obj.assignee
        return (user.full_name or user.username) if user is not None else ""

    @staticmethod
    def resolve_used_seconds(obj: Any) -> float:
        return round(obj.consumed_seconds)


class SupplementOut(Schema):
    id: uuid.UUID
    items: list[str]
    reason: str
    requested_at: dt.datetime
    due_at_before: dt.datetime | None
    supplied_at: dt.datetime | None
    due_at_after: dt.datetime | None


class DelayOut(Schema):
    reason: str
    previous_due_at: dt.datetime
    new_due_at: dt.datetime
    announced_at: dt.datetime


class OpinionOut(Schema):
    id: uuid.UUID
    organisation: str
    question: str
    requested_at: dt.datetime
    answer: str
    answered_at: dt.datetime | None

    @staticmethod
    def resolve_organisation(obj: Any) -> str:
        return obj.organisation.code or ""


class BillLineOut(Schema):
    code: str
    name: str
    kind: str
    unit_amount: int
    quantity: int
    exempt: bool
    amount: int


class BillOut(Schema):
    """A bill of the dossier (payments app): pay it with POST /payments/requests/{id}/transactions."""

    id: uuid.UUID
    code: str
    purpose: str = Field(description="dossier_fees (at application) or dossier_obligation (status 6)")
    amount: int
    status: str = Field(description="open, paid, refunded, cancelled")
    paid_at: dt.datetime | None
    paid_via: str
    refundable: bool
    receipt: str = Field("", description="Series and number of the receipt, once paid")
    lines: list[BillLineOut]

    @staticmethod
    def resolve_id(obj: Any) -> Any:
        return obj.request.pk

    @staticmethod
    def resolve_code(obj: Any) -> str:
        return str(obj.request.code)

    @staticmethod
    def resolve_purpose(obj: Any) -> str:
        return str(obj.request.purpose)

    @staticmethod
    def resolve_amount(obj: Any) -> int:
        return int(obj.request.amount)

    @staticmethod
    def resolve_status(obj: Any) -> str:
        return str(obj.request.status)

    @staticmethod
    def resolve_paid_at(obj: Any) -> Any:
        return obj.request.paid_at

    @staticmethod
    def resolve_paid_via(obj: Any) -> str:
        return str(obj.request.paid_via)

    @staticmethod
    def resolve_refundable(obj: Any) -> bool:
        return bool(obj.request.refundable)

    @staticmethod
    def resolve_receipt(obj: Any) -> str:
        return f"{obj.receipt.series} {obj.receipt.number_text}" if obj.receipt is not None else ""


class PublicBillOut(Schema):
    id: uuid.UUID
    code: str
    purpose: str
    amount: int
    status: str
    status_label: str
    paid_at: dt.datetime | None
    has_receipt: bool


class TimelinessOut(Schema):
    is_counted: bool
    is_on_time: bool | None
    is_ended: bool
    is_paused: bool
    is_overdue: bool
    allotted_seconds: float
    consumed_seconds: float
    remaining_seconds: float
    supplement_count: int
    reason: str


class DossierDetailOut(DossierListOut):
    procedure_version_id: uuid.UUID
    applicant_kind: str
    applicant_identifier: str
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    summary: str
    form_data: dict[str, Any]
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    closed_at: dt.datetime | None
    supplement_count: int
    fees_due: int
    fees_paid: int
    fee_copies: int
    fee_exemption_category: str
    payments: list[BillOut] = Field(description="The dossier's bills: fees at application, financial obligations")
    result: dict[str, Any]
    result_method: str
    files: list[FileOut]
    steps: list[StepOut]
    supplements: list[SupplementOut]
    delays: list[DelayOut]
    opinions: list[OpinionOut]
    timeliness: TimelinessOut
    allowed_actions: list[str]
    rating: RatingOut | None = Field(None, description="The applicant's rating, once the result was returned")

    @staticmethod
    def resolve_files(obj: Dossier) -> Any:
        return obj.files.order_by("created_at")

    @staticmethod
    def resolve_steps(obj: Dossier) -> Any:
        return obj.steps.select_related("organisation", "assignee").order_by("started_at", "created_at")

    @staticmethod
    def resolve_supplements(obj: Dossier) -> Any:
        return obj.supplement_requests.order_by("requested_at")

    @staticmethod
    def resolve_delays(obj: Dossier) -> Any:
        return obj.delays.order_by("announced_at")

    @staticmethod
    def resolve_opinions(obj: Dossier) -> Any:
        return obj.opinion_requests.select_related("organisation").order_by("requested_at")

    @staticmethod
    def resolve_payments(obj: Dossier) -> Any:
        from motcua.dossiers.billing import bills_of

        return bills_of(obj)

    @staticmethod
    def resolve_rating(obj: Dossier) -> Any:
        from motcua.dossiers.models import DossierRating

        return DossierRating.objects.filter(dossier=obj).first()


class PublicHistoryOut(Schema):
    at: dt.datetime
    action: str
    action_label: str
    status: str
    status_label: str
    step_name: str


class PublicLookupOut(Schema):
    code: str
    procedure_name: str
    receiving_organisation: str
    processing_organisation: str
    status: str
    status_label: str
    portal_status: int
    submitted_at: dt.datetime
    received_at: dt.datetime | None
    due_at: dt.datetime | None
    finished_at: dt.datetime | None
    returned_at: dt.datetime | None
    history: list[PublicHistoryOut]
    bills: list[PublicBillOut] = Field(default_factory=list, description="What is to pay, paid or refunded")
