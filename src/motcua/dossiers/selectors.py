"""Reads of dossiers with their object-level permission checks (rules in ``dossiers.rules``).

An applicant sees their own dossiers; an official those received or processed by an organisation where
they hold a processing role (or whose opinion was asked). Anything else is "not found", so nobody learns
that a dossier exists. Anyone may look a dossier up with its code and the secret printed on the receipt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.agencies.search import search_terms
from motcua.agencies.selectors import position_active_list
from motcua.core.calendar import calendar_get
from motcua.core.exceptions import NotAuthenticated, NotFound, RateLimited, ValidationFailed
from motcua.core.permissions import permission_require, user_can
from motcua.dossiers.billing import DossierBill, bills_of
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.lookup_secret import secret_matches
from motcua.dossiers.models import (
    IN_HAND_STATUSES,
    RUNNING_STATUSES,
    STEP_STATUSES,
    Dossier,
    DossierEvent,
    DossierFile,
    DossierRating,
    DossierStatus,
    StepRecord,
)
from motcua.dossiers.rules import DOSSIER_ROLES, is_applicant, may_act
from motcua.dossiers.timeliness import Timeliness, dossier_timeliness_compute
from motcua.dossiers.workflow import Action, actions_from
from motcua.procedures.models import Procedure

QUEUE_VIEWS = ("new", "my_step", "awaiting_supplement", "due_soon", "overdue", "open", "all")
# A dossier is "due soon" when its appointment falls within this much office time.
DUE_SOON_WORKING_HOURS = 8


def _visible_organisation_ids(user: Any) -> set[Any]:
    return {p.organisation_id for p in position_active_list(user=user) if p.role in DOSSIER_ROLES}


def _is_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def dossier_get(*, user: Any, code_or_id: str | uuid.UUID, for_update: bool = False) -> Dossier:
    """One dossier by code or id, if the user may see it (NotFound otherwise, never "forbidden")."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    dossiers = Dossier.objects.select_related(
        "procedure", "procedure_version", "receiving_organisation", "processing_organisation", "assigned_to"
    )
    identifier = code_or_id if isinstance(code_or_id, uuid.UUID) else _is_uuid(str(code_or_id))
    dossier = (
        dossiers.filter(pk=identifier).first()
        if identifier is not None
        else dossiers.filter(code=str(code_or_id).strip()).first()
    )
    if dossier is None or not user_can(user, "dossiers.view", dossier):
        raise NotFound(_("There is no dossier with this code, or you may not see it."))
    return dossier


def dossier_list_for_applicant(*, user: Any) -> QuerySet[Dossier]:
    """The applicant's own dossiers, newest first."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    return (
        Dossier.objects.filter(applicant_id=getattr(user, "pk", None))
        .select_related("procedure", "receiving_organisation", "processing_organisation")
        .order_by("-submitted_at")
    )


def dossier_queue(
    *,
    user: Any,
    view: str = "open",
    query: str = "",
    organisation: Organisation | None = None,
    procedure: Procedure | None = None,
    now: dt.datetime | None = None,
) -> QuerySet[Dossier]:
    """An official's work queue.

    Views: ``new`` (submitted online, to be received), ``my_step`` (at a step the official holds, taken by
    them or nobody, including the hand-over of a finished result), ``awaiting_supplement``, ``due_soon``
    (appointment within one working day), ``overdue``, ``open`` (every dossier the agency still holds) and
    ``all`` (closed ones too). The work views list overdue dossiers first, then by appointment; ``all`` is
    the register, newest first. ``query`` matches the code or the applicant's name or identifier, with or
    without diacritics.

    Every view but ``all`` is bounded by status, so the ``(organisation, status, due_at)`` indexes serve it
    whatever the years of closed dossiers behind it (docs/benchmarks.md).
    """
    permission_require(user, "dossiers.view_queue")
    if view not in QUEUE_VIEWS:
        raise ValidationFailed(details={"view": [str(_("Unknown view."))]})
    now = now or timezone.now()
    positions = [p for p in position_active_list(user=user) if p.role in DOSSIER_ROLES]
    organisation_ids = {p.organisation_id for p in positions}
    if organisation is not None:
        organisation_ids &= {organisation.pk}
    dossiers = Dossier.objects.filter(
        Q(receiving_organisation_id__in=organisation_ids) | Q(processing_organisation_id__in=organisation_ids)
    )
    if view == "new":
        dossiers = dossiers.filter(status=DossierStatus.NEW)
    elif view == "my_step":
        mine = Q(pk__in=[])
        for position in positions:
            unit = Q(current_step_unit_code="")
            if position.unit is not None:
                unit |= Q(current_step_unit_code=position.unit.code)
            mine |= Q(current_step_organisation_id=position.organisation_id, current_step_role=position.role) & unit
        dossiers = dossiers.filter(status__in=STEP_STATUSES).filter(
            Q(assigned_to=user) | (Q(assigned_to__isnull=True) & mine)
        )
    elif view == "awaiting_supplement":
        dossiers = dossiers.filter(status=DossierStatus.SUPPLEMENT_REQUESTED)
    elif view == "due_soon":
        cutoff = calendar_get().add_working_hours(now, DUE_SOON_WORKING_HOURS)
        dossiers = dossiers.filter(status__in=RUNNING_STATUSES, due_at__gte=now, due_at__lte=cutoff)
    elif view == "overdue":
        dossiers = dossiers.filter(status__in=RUNNING_STATUSES, due_at__lt=now)
    elif view == "open":
        dossiers = dossiers.filter(status__in=IN_HAND_STATUSES)
    if procedure is not None:
        dossiers = dossiers.filter(procedure=procedure)
    # The search key holds the folded (lower-case) code too, so a code typed in full matches it; one
    # condition per word keeps PostgreSQL on the trigram index of search_key (migration 0002_portal_outbox).
    for term in search_terms(query):
        dossiers = dossiers.filter(search_key__contains=term)
    dossiers = dossiers.select_related("procedure", "receiving_organisation", "processing_organisation", "assigned_to")
    if view == "all":
        return dossiers.order_by("-submitted_at", "-code")
    return dossiers.annotate(
        overdue_rank=Case(
            When(Q(status__in=RUNNING_STATUSES) & Q(due_at__lt=now), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("overdue_rank", F("due_at").asc(nulls_last=True), "submitted_at", "code")


def dossier_history(*, user: Any, dossier: Dossier) -> QuerySet[DossierEvent]:
    permission_require(user, "dossiers.view", dossier)
    return DossierEvent.objects.filter(dossier=dossier).select_related("organisation").order_by("sequence")


def dossier_steps(*, user: Any, dossier: Dossier) -> QuerySet[StepRecord]:
    """The processing control slip (Form 05): each step with who, when, allotted and used time, on time."""
    permission_require(user, "dossiers.view", dossier)
    return StepRecord.objects.filter(dossier=dossier).select_related("organisation", "assignee", "finished_by")


def dossier_timeliness(*, user: Any, dossier: Dossier, now: dt.datetime | None = None) -> Timeliness:
    """Decision 766's on-time figures for one dossier (see ``dossiers.timeliness``)."""
    permission_require(user, "dossiers.view", dossier)
    return dossier_timeliness_compute(dossier=dossier, now=now or timezone.now(), calendar=calendar_get())


def dossier_actions_available(*, user: Any, dossier: Dossier) -> list[str]:
    """The actions the state machine allows now and the user may take (for buttons; services re-check)."""
    return [
        action
        for action in actions_from(dossier.status)
        if action != Action.ATTACH_RESULT_FILE and may_act(user, dossier, action)[0]
    ]


@dataclass(frozen=True)
class Receipt:
    """Data of the receipt and appointment slip (Form 01), for the document engine."""

    code: str
    procedure_code: str
    procedure_name: str
    applicant_name: str
    applicant_identifier: str
    applicant_phone: str
    applicant_address: str
    receiving_organisation: str
    processing_organisation: str
    received_at: dt.datetime | None
    received_by: str
    due_at: dt.datetime | None
    channel: int
    components: list[dict[str, Any]] = field(default_factory=list)
    fees: list[dict[str, Any]] = field(default_factory=list)


def dossier_receipt(*, user: Any, dossier: Dossier) -> Receipt:
    permission_require(user, "dossiers.view", dossier)
    content = procedure_content(dossier.procedure_version)
    files = list(DossierFile.objects.filter(dossier=dossier, purpose=DossierFile.Purpose.SUBMITTED))
    components = [
        {
            "code": component.code,
            "name": component.name,
            "originals": component.originals,
            "copies": component.copies,
            "files": [item.name for item in files if item.component_code == component.code],
        }
        for component in content.components
    ]
    return Receipt(
        code=dossier.code,
        procedure_code=content.code,
        procedure_name=content.name,
        applicant_name=dossier.applicant_name,
        applicant_identifier=dossier.applicant_identifier,
        applicant_phone=dossier.applicant_phone,
        applicant_address=dossier.applicant_address,
        receiving_organisation=dossier.receiving_organisation.name,
        processing_organisation=dossier.processing_organisation.name,
        received_at=dossier.received_at,
        received_by=(dossier.received_by.full_name or dossier.received_by.username) if dossier.received_by else "",
        due_at=dossier.due_at,
        channel=dossier.channel,
        components=components,
        fees=[fee.model_dump() for fee in content.fees],
    )


def dossier_file_get(*, user: Any, file_id: str | uuid.UUID) -> DossierFile:
    """A file its uploader (before submission) or anyone who may see its dossier may download."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    identifier = _is_uuid(str(file_id))
    item = (
        DossierFile.objects.select_related("dossier").filter(pk=identifier).first() if identifier is not None else None
    )
    if item is None:
        raise NotFound()
    if item.dossier is None:
        if item.uploaded_by_id is None or item.uploaded_by_id != getattr(user, "pk", None):
            raise NotFound()
        return item
    if not user_can(user, "dossiers.view", item.dossier):
        raise NotFound()
    return item


def dossier_files_reusable(*, user: Any) -> QuerySet[DossierFile]:
    """The applicant's documents and results from earlier dossiers, to re-use instead of uploading."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotAuthenticated()
    return (
        DossierFile.objects.filter(dossier__applicant_id=getattr(user, "pk", None))
        .select_related("dossier")
        .order_by("-created_at")
    )


# ------------------------------------------------------------------------------------------------------
# Public lookup
# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicHistoryLine:
    at: dt.datetime
    action: str
    action_label: str
    status: str
    status_label: str
    step_name: str


@dataclass(frozen=True)
class PublicBill:
    id: uuid.UUID
    code: str
    purpose: str
    purpose_label: str
    amount: int
    status: str
    status_label: str
    paid_at: dt.datetime | None
    has_receipt: bool
    is_being_confirmed: bool
    last_attempt_failed: bool


def _public_bills(dossier: Dossier) -> list[PublicBill]:
    return [
        PublicBill(
            id=bill.request.pk,
            code=bill.request.code,
            purpose=bill.request.purpose,
            purpose_label=bill.purpose_label,
            amount=int(bill.request.amount),
            status=bill.request.status,
            status_label=str(bill.request.get_status_display()),
            paid_at=bill.request.paid_at,
            has_receipt=bill.receipt is not None,
            is_being_confirmed=bill.is_being_confirmed,
            last_attempt_failed=bill.last_attempt_failed,
        )
        for bill in bills_of(dossier)
    ]


def dossier_bills(*, user: Any, dossier: Dossier) -> list[DossierBill]:
    """The bills of a dossier the user may see (fees at application, financial obligations), with their lines,
    receipts and last online attempt."""
    if not user_can(user, "dossiers.view", dossier):
        raise NotFound()
    return bills_of(dossier)


@dataclass(frozen=True)
class PublicLookup:
    """What anyone holding the receipt may know: no names, no documents, no officials."""

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
    history: list[PublicHistoryLine]
    # The result was handed over and nobody has rated the service yet.
    can_rate: bool = False
    # The dossier's bills (fees, financial obligation): what is to pay, paid or refunded; no payer data.
    bills: list[PublicBill] = field(default_factory=list)


def _lookup_rate_limited(*, scope: str, value: str) -> bool:
    limit = int(settings.DOSSIER_LOOKUP_RATE_PER_MINUTE)
    window = int(timezone.now().timestamp() // 60)
    digest = hashlib.sha256(f"{scope}\x1f{value}\x1f{window}".encode()).hexdigest()[:40]
    key = f"motcua:dossiers:lookup:{digest}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=120)
        count = 1
    return count > limit


def dossier_find_by_receipt(*, code: str, secret: str, client_address: str | None = None) -> Dossier:
    """The dossier whose code and receipt secret these are (no account needed).

    Rate-limited per client address and per code; the secret is compared in constant time, and a
    missing dossier costs the same as a wrong secret. Both answer "not found".
    """
    code = (code or "").strip()
    limited = _lookup_rate_limited(scope="code", value=code.upper())
    if client_address:
        limited = _lookup_rate_limited(scope="address", value=client_address) or limited
    if limited:
        raise RateLimited()
    dossier = (
        Dossier.objects.select_related("procedure", "receiving_organisation", "processing_organisation")
        .filter(code=code)
        .first()
        if code
        else None
    )
    matches = secret_matches(secret or "", dossier.secret_hash if dossier is not None else "")
    if dossier is None or not matches:
        raise NotFound(_("No dossier matches this code and secret."))
    return dossier


def dossier_lookup_public(*, code: str, secret: str, client_address: str | None = None) -> PublicLookup:
    """What anyone holding the receipt may know of a dossier (see ``dossier_find_by_receipt``)."""
    dossier = dossier_find_by_receipt(code=code, secret=secret, client_address=client_address)
    events = DossierEvent.objects.filter(dossier=dossier).order_by("sequence")
    history = [
        PublicHistoryLine(
            at=event.at,
            action=event.action,
            action_label=str(Action(event.action).label) if event.action in Action.values else event.action,
            status=event.to_status,
            status_label=str(DossierStatus(event.to_status).label),
            step_name=event.step_name,
        )
        for event in events
    ]
    return PublicLookup(
        code=dossier.code,
        procedure_name=dossier.procedure.name,
        receiving_organisation=dossier.receiving_organisation.name,
        processing_organisation=dossier.processing_organisation.name,
        status=dossier.status,
        status_label=str(DossierStatus(dossier.status).label),
        portal_status=dossier.portal_status,
        submitted_at=dossier.submitted_at,
        received_at=dossier.received_at,
        due_at=dossier.due_at,
        finished_at=dossier.finished_at,
        returned_at=dossier.returned_at,
        history=history,
        can_rate=dossier.status == DossierStatus.RETURNED and dossier_rating_of(dossier=dossier) is None,
        bills=_public_bills(dossier),
    )


def is_applicant_of(*, user: Any, dossier: Dossier) -> bool:
    return is_applicant(user, dossier)


def user_is_official(*, user: Any) -> bool:
    return bool(_visible_organisation_ids(user))


def dossier_rating_of(*, dossier: Dossier) -> DossierRating | None:
    """The applicant's rating of a dossier the caller may already see, if any."""
    return DossierRating.objects.filter(dossier=dossier).first()
