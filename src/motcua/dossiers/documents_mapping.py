"""From dossiers in the database to the contexts of the one-stop forms (``dossiers.documents``).

The renderers are pure; these functions read what a form prints (the dossier, its steps, history,
supplement requests, delay notices) and build the frozen context. They do not check who asks: callers
(views, API, tasks) check ``dossiers.view`` first, as for any read of the dossier. The forms are printed
in Vietnamese only, so the few words written here (outcomes, statuses) are Vietnamese and not translated.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from motcua.agencies.models import Organisation
from motcua.core.calendar import WorkingCalendar, calendar_get
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.documents import (
    Agency,
    Applicant,
    Channel,
    ControlSlipContext,
    ControlSlipStep,
    DelayNoticeContext,
    LogBookContext,
    LogBookEntry,
    ReceiptContext,
    ReceivedComponent,
    RefusalContext,
    SupplementItem,
    SupplementRequestContext,
    Timeliness,
)
from motcua.dossiers.models import (
    ApplicantKind,
    DelayNotice,
    Dossier,
    DossierEvent,
    DossierStatus,
    StepRecord,
    SupplementRequest,
)
from motcua.dossiers.workflow import Action

# Printed in the lookup-secret line of a reprinted receipt: only a hash of the secret is kept.
SECRET_NOT_KEPT = "(đã ghi trên phiếu giao cho người nộp hồ sơ)"
OUTCOME_WORDS: dict[str, str] = {
    StepRecord.Outcome.FORWARDED: "Chuyển bước tiếp theo",
    StepRecord.Outcome.RETURNED: "Trả lại bước trước",
    StepRecord.Outcome.APPROVED: "Phê duyệt",
    StepRecord.Outcome.ENDED: "Kết thúc xử lý",
}
STATUS_WORDS = {
    "new": "Mới tiếp nhận",
    "accepted": "Đã tiếp nhận",
    "refused": "Từ chối",
    "processing": "Đang xử lý",
    "supplement_requested": "Chờ bổ sung",
    "financial_obligation": "Chờ thực hiện nghĩa vụ tài chính",
    "withdrawn": "Rút hồ sơ",
    "stopped": "Dừng xử lý",
    "finished": "Đã xử lý xong",
    "returned": "Đã trả kết quả",
}
_LOCALITY_PREFIXES = ("Ủy ban nhân dân tỉnh ", "Ủy ban nhân dân thành phố ", "Ủy ban nhân dân Thành phố ")


def _province_of(organisation: Organisation) -> Organisation | None:
    code = organisation.code or ""
    family = code.rsplit(".", 1)[-1] if code else ""
    if not family.startswith("H"):
        return None
    return Organisation.objects.filter(code=f"000.00.00.{family}").first()


def agency_of(organisation: Organisation) -> Agency:
    """The heading of a form issued by ``organisation``: its name, its governing body, its locality."""
    province = _province_of(organisation)
    place = "Hà Nội"
    parent_name = ""
    if province is not None:
        place = province.name
        for prefix in _LOCALITY_PREFIXES:
            if place.startswith(prefix):
                place = place[len(prefix) :]
                break
        if province.pk != organisation.pk and organisation.kind != Organisation.Kind.COMMUNE:
            parent_name = province.name
    elif organisation.parent is not None and organisation.parent.kind != Organisation.Kind.GOVERNMENT:
        parent_name = organisation.parent.name
    return Agency(name=organisation.name, place=place, parent_name=parent_name)


def applicant_of(dossier: Dossier) -> Applicant:
    is_business = dossier.applicant_kind == ApplicantKind.BUSINESS
    return Applicant(
        name=dossier.applicant_name,
        identifier=dossier.applicant_identifier,
        phone=dossier.applicant_phone,
        address=dossier.applicant_address,
        email=dossier.applicant_email,
        identifier_label="Mã số doanh nghiệp" if is_business else "Số định danh cá nhân",
    )


def _person(user: object) -> str:
    if user is None:
        return ""
    return str(getattr(user, "full_name", "") or getattr(user, "username", ""))


def tracking_url_of(dossier: Dossier) -> str:
    """The public lookup page, printed (and in the QR code) on the receipt."""
    return f"{settings.SITE_URL}{reverse('dossiers:track')}?code={dossier.code}"


def _working_days(hours: float, calendar: WorkingCalendar) -> Decimal:
    hours_per_day = calendar.seconds_per_day / 3600 or 8
    return (Decimal(str(hours)) / Decimal(str(hours_per_day))).quantize(Decimal("0.01")).normalize()


def receipt_context(dossier: Dossier, *, lookup_secret: str = "", tracking_url: str = "") -> ReceiptContext:
    """Form 01 for a received dossier (``lookup_secret`` is known only right after registration)."""
    content = procedure_content(dossier.procedure_version)
    calendar = calendar_get()
    received_at = dossier.received_at or dossier.submitted_at
    fees_total = sum(fee.amount for fee in content.fees if fee.basis == "fixed")
    return ReceiptContext(
        agency=agency_of(dossier.receiving_organisation),
        dossier_code=dossier.code,
        lookup_secret=lookup_secret or SECRET_NOT_KEPT,
        tracking_url=tracking_url or tracking_url_of(dossier),
        procedure_name=content.name,
        procedure_code=content.code,
        applicant=applicant_of(dossier),
        components=tuple(
            ReceivedComponent(component.name, originals=component.originals, copies=component.copies)
            for component in content.components
        ),
        fees_total=fees_total,
        received_at=received_at,
        due_at=dossier.due_at or received_at,
        processing_days=round(content.processing_hours / ((calendar.seconds_per_day / 3600) or 8)),
        channel=Channel(dossier.channel),
        clerk_name=_person(dossier.received_by),
    )


def supplement_request_context(dossier: Dossier, request: SupplementRequest) -> SupplementRequestContext:
    """Form 02 for one request to supplement the dossier."""
    content = procedure_content(dossier.procedure_version)
    return SupplementRequestContext(
        agency=agency_of(dossier.receiving_organisation),
        dossier_code=dossier.code,
        procedure_name=content.name,
        procedure_code=content.code,
        applicant=applicant_of(dossier),
        items=tuple(SupplementItem(name=str(item), reason=request.reason) for item in request.items),
        deadline_note=(
            "Thời gian giải quyết hồ sơ được tạm dừng trong thời gian Ông/Bà bổ sung, hoàn thiện hồ sơ "
            "và tiếp tục được tính từ khi nhận đủ hồ sơ."
        ),
        issued_at=request.requested_at,
        official_name=_person(request.requested_by),
        contact_name=dossier.receiving_organisation.name,
        contact_phone=dossier.receiving_organisation.phone,
    )


def refusal_event(dossier: Dossier) -> DossierEvent | None:
    """The history line of the refusal (at receipt or after processing), if the dossier was refused."""
    return (
        DossierEvent.objects.filter(dossier=dossier, action__in=[Action.REFUSE_RECEIPT, Action.REFUSE])
        .select_related("actor")
        .order_by("-sequence")
        .first()
    )


def refusal_context(dossier: Dossier) -> RefusalContext | None:
    """Form 03 for a refused dossier, with the reasons recorded at the refusal."""
    event = refusal_event(dossier)
    if event is None:
        return None
    content = procedure_content(dossier.procedure_version)
    reasons = [str(reason) for reason in event.details.get("reasons", [])] or [event.note]
    legal_basis = "; ".join(content.legal_bases[:2])
    return RefusalContext(
        agency=agency_of(dossier.receiving_organisation),
        dossier_code=dossier.code,
        procedure_name=content.name,
        procedure_code=content.code,
        applicant=applicant_of(dossier),
        reasons=tuple(reasons),
        issued_at=event.at,
        official_name=event.actor_label or _person(event.actor),
        legal_basis=legal_basis,
    )


def delay_notice_context(dossier: Dossier, notice: DelayNotice) -> DelayNoticeContext:
    """Form 04 for one announced delay."""
    content = procedure_content(dossier.procedure_version)
    event = (
        DossierEvent.objects.filter(dossier=dossier, action=Action.ANNOUNCE_DELAY, at=notice.announced_at)
        .order_by("-sequence")
        .first()
    )
    return DelayNoticeContext(
        agency=agency_of(dossier.processing_organisation),
        dossier_code=dossier.code,
        procedure_name=content.name,
        procedure_code=content.code,
        applicant=applicant_of(dossier),
        received_at=dossier.received_at or dossier.submitted_at,
        old_due_at=notice.previous_due_at,
        new_due_at=notice.new_due_at,
        reason=notice.reason,
        issued_at=notice.announced_at,
        signer_position=(event.actor_title if event is not None and event.actor_title else "Thủ trưởng cơ quan"),
        signer_name=_person(notice.announced_by),
    )


def _step_timeliness(step: StepRecord) -> Timeliness:
    if step.finished_at is None:
        return Timeliness.IN_PROGRESS
    if not step.is_on_time:
        return Timeliness.LATE
    if step.due_at is not None and timezone.localtime(step.finished_at).date() < timezone.localtime(step.due_at).date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def control_slip_steps(dossier: Dossier) -> list[ControlSlipStep]:
    calendar = calendar_get()
    steps = StepRecord.objects.filter(dossier=dossier).select_related("organisation", "assignee", "finished_by")
    return [
        ControlSlipStep(
            name=step.name,
            handler=_person(step.finished_by or step.assignee),
            unit=step.organisation.name + (f" ({step.unit_code})" if step.unit_code else ""),
            received_at=step.started_at,
            allotted_working_days=_working_days(step.allotted_hours, calendar),
            finished_at=step.finished_at,
            timeliness=_step_timeliness(step),
            note=OUTCOME_WORDS.get(step.outcome, "") if step.outcome else "",
        )
        for step in steps
    ]


def control_slip_context(dossier: Dossier, *, now: dt.datetime | None = None) -> ControlSlipContext:
    """Form 05: every step the dossier went through, who handled it, when, on time or not."""
    content = procedure_content(dossier.procedure_version)
    now = now or timezone.now()
    received_at = dossier.received_at or dossier.submitted_at
    asked = (
        Organisation.objects.filter(pk__in=dossier.opinion_requests.values("organisation"))
        .order_by("name")
        .values_list("name", flat=True)
    )
    return ControlSlipContext(
        agency=agency_of(dossier.receiving_organisation),
        dossier_code=dossier.code,
        procedure_name=content.name,
        procedure_code=content.code,
        applicant_name=dossier.applicant_name,
        received_at=received_at,
        due_at=dossier.due_at or received_at,
        processing_unit=dossier.processing_organisation.name,
        steps=tuple(control_slip_steps(dossier)),
        printed_at=now,
        coordinating_units=tuple(asked),
    )


def log_book_dossiers(organisation: Organisation, start: dt.date, end: dt.date) -> list[Dossier]:
    """Dossiers received by (or processed in) the organisation between two local dates, inclusive."""
    zone = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return list(
        Dossier.objects.filter(
            Q(receiving_organisation=organisation) | Q(processing_organisation=organisation),
            received_at__gte=since,
            received_at__lt=until,
        )
        .select_related("procedure", "processing_organisation")
        .order_by("received_at", "code")
    )


def log_book_context(
    organisation: Organisation, start: dt.date, end: dt.date, *, now: dt.datetime | None = None
) -> LogBookContext:
    """Form 06: the organisation's dossier log book for a period."""
    dossiers = log_book_dossiers(organisation, start, end)
    transferred: dict[object, dt.datetime] = {}
    first_steps = StepRecord.objects.filter(dossier__in=dossiers, index=0, finished_at__isnull=False).order_by(
        "started_at"
    )
    for step in first_steps:
        if step.finished_at is not None:
            transferred.setdefault(step.dossier_id, step.finished_at)
    entries = []
    for dossier in dossiers:
        received_at = dossier.received_at or dossier.submitted_at
        entries.append(
            LogBookEntry(
                dossier_code=dossier.code,
                procedure_name=dossier.procedure.name,
                applicant_name=dossier.applicant_name,
                applicant_address=dossier.applicant_address,
                applicant_phone=dossier.applicant_phone,
                lead_agency=dossier.processing_organisation.name,
                received_at=received_at,
                due_at=dossier.due_at or received_at,
                transferred_at=transferred.get(dossier.pk),
                result_received_at=dossier.finished_at,
                returned_at=dossier.returned_at,
                note=STATUS_WORDS.get(dossier.status, str(DossierStatus(dossier.status).label)),
            )
        )
    return LogBookContext(
        agency=agency_of(organisation),
        period_start=start,
        period_end=end,
        entries=tuple(entries),
        printed_at=now or timezone.now(),
    )
