"""Receipt and processing of dossiers through the procedure's internal process (quy trình nội bộ)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation
from motcua.core.calendar import calendar_get
from motcua.core.exceptions import InvalidState, NotFound, PermissionDenied, ValidationFailed
from motcua.dossiers.catalogue import procedure_content
from motcua.dossiers.models import DelayNotice, Dossier, OpinionRequest, StepRecord, SupplementRequest
from motcua.dossiers.rules import acting_position
from motcua.dossiers.services._base import (
    Errors,
    add_error,
    audited,
    begin,
    clock_pause,
    clock_resume,
    clock_stop,
    deadline_start,
    holds_step,
    moment,
    raise_if_any,
    record,
    require_text,
    step_clear,
    step_finish,
    step_start,
)
from motcua.dossiers.services.fees import (
    FEES_PURPOSE,
    OBLIGATION_PURPOSE,
    fees_paid_before_receipt,
    fees_unpaid,
    obligation_lines,
    obligation_request_create,
    pay_link_absolute,
    payment_requests_lock,
    payments_close,
)
from motcua.dossiers.services.files import FileRef, file_refs_attach
from motcua.dossiers.services.form_data import form_data_clean
from motcua.dossiers.workflow import Action, Actor, decision_step_index
from motcua.payments.models import PaidVia, PaymentRequest, RequestStatus


def _ensure_reasons(reasons: list[str] | str, field_name: str = "reasons") -> list[str]:
    items = [reasons] if isinstance(reasons, str) else list(reasons)
    cleaned = [item.strip() for item in items if item and item.strip()]
    if not cleaned:
        raise ValidationFailed(details={field_name: [str(_("Give the reasons."))]})
    return cleaned


# ------------------------------------------------------------------------------------------------------
# Receipt
# ------------------------------------------------------------------------------------------------------


@transaction.atomic
def dossier_accept(*, actor: Any, dossier: Dossier, note: str = "", at: dt.datetime | None = None) -> Dossier:
    """The one-stop desk receives a complete online dossier: the appointment (Form 01) is set in working
    time from the procedure's processing time and the first step of the internal process starts
    (Decree 61/2018, art. 19)."""
    at = moment(at)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.ACCEPT)
    content = procedure_content(dossier.procedure_version)
    if fees_paid_before_receipt(content=content, channel=dossier.channel) and fees_unpaid(dossier):
        # Full-process online service: the fees are paid before the dossier is received (ADR 0017).
        raise InvalidState(
            _(
                "The fees of this full-process online dossier are not paid yet. It is received once they are paid "
                "online, or record the payment at the counter first."
            ),
            code="dossier_fees_unpaid",
        )
    before, from_status = audited(dossier), dossier.status
    calendar = calendar_get()
    dossier.status = target
    dossier.received_at = at
    dossier.received_by = actor if isinstance(actor, User) else None
    deadline_start(dossier=dossier, content=content, at=at, calendar=calendar)
    first = content.workflow[0]
    step_start(
        dossier=dossier,
        index=0,
        at=at,
        calendar=calendar,
        assignee=actor if isinstance(actor, User) and holds_step(actor, dossier, first) else None,
    )
    record(
        dossier=dossier,
        action=Action.ACCEPT,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
    )
    return dossier


@transaction.atomic
def dossier_refuse_receipt(
    *, actor: Any, dossier: Dossier, reasons: list[str], at: dt.datetime | None = None
) -> Dossier:
    """The one-stop desk refuses to receive a dossier, stating the reasons (Form 03). Its unpaid bill is
    cancelled; fees already paid are refunded where the procedure says so."""
    at = moment(at)
    payment_requests_lock(dossier)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.REFUSE_RECEIPT)
    cleaned = _ensure_reasons(reasons)
    before, from_status = audited(dossier), dossier.status
    dossier.status = target
    dossier.closed_at = at
    closed = payments_close(dossier=dossier, reason="; ".join(cleaned), refund=True)
    record(
        dossier=dossier,
        action=Action.REFUSE_RECEIPT,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note="\n".join(cleaned),
        details={"reasons": cleaned, **closed},
    )
    return dossier


# ------------------------------------------------------------------------------------------------------
# Steps
# ------------------------------------------------------------------------------------------------------


@transaction.atomic
def dossier_claim(
    *, actor: Any, dossier: Dossier, expected_step: str | None = None, at: dt.datetime | None = None
) -> Dossier:
    """An official of the current step takes the dossier into their own work."""
    at = moment(at)
    dossier, position, _target = begin(actor=actor, dossier=dossier, action=Action.CLAIM, expected_step=expected_step)
    if dossier.assigned_to_id is not None:
        if dossier.assigned_to_id == getattr(actor, "pk", None):
            return dossier
        raise InvalidState(_("Another official has already taken this dossier."), code="dossier_already_claimed")
    before, from_status = audited(dossier), dossier.status
    dossier.assigned_to = actor if isinstance(actor, User) else None
    StepRecord.objects.filter(dossier=dossier, finished_at__isnull=True).update(assignee=dossier.assigned_to)
    record(
        dossier=dossier,
        action=Action.CLAIM,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
    )
    return dossier


def _assignee_check(assignee: User | None, dossier: Dossier, index: int) -> None:
    if assignee is None:
        return
    step = procedure_content(dossier.procedure_version).workflow[index]
    if not holds_step(assignee, dossier, step):
        raise ValidationFailed(details={"assignee": [str(_("This official does not work on the next step."))]})


@transaction.atomic
def dossier_forward(
    *,
    actor: Any,
    dossier: Dossier,
    expected_step: str | None = None,
    assignee: User | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Dossier:
    """Finish the current step (recording its used and allotted working time, Form 05) and send the dossier
    to the next step of the internal process (Decree 61/2018, art. 20)."""
    at = moment(at)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.FORWARD, expected_step=expected_step)
    content = procedure_content(dossier.procedure_version)
    index = dossier.current_step_index if dossier.current_step_index is not None else -1
    if index >= decision_step_index(content):
        raise InvalidState(
            _("This is the decision step: the dossier is approved or refused here, not forwarded."),
            code="dossier_no_next_step",
        )
    _assignee_check(assignee, dossier, index + 1)
    before, from_status = audited(dossier), dossier.status
    calendar = calendar_get()
    finished = step_finish(dossier=dossier, at=at, calendar=calendar, outcome=StepRecord.Outcome.FORWARDED, actor=actor)
    step_start(dossier=dossier, index=index + 1, at=at, calendar=calendar, assignee=assignee)
    dossier.status = target
    record(
        dossier=dossier,
        action=Action.FORWARD,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        details=_step_details(finished),
    )
    return dossier


def _step_details(step: StepRecord | None) -> dict[str, Any]:
    if step is None:
        return {}
    return {
        "finished_step": step.code,
        "used_seconds": round(step.consumed_seconds),
        "allotted_hours": step.allotted_hours,
        "on_time": step.is_on_time,
    }


@transaction.atomic
def dossier_return_to_step(
    *,
    actor: Any,
    dossier: Dossier,
    step_code: str,
    reason: str,
    expected_step: str | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """Send the dossier back to an earlier step of the internal process, with the reason."""
    at = moment(at)
    dossier, position, target = begin(
        actor=actor, dossier=dossier, action=Action.RETURN_TO_STEP, expected_step=expected_step
    )
    errors: Errors = {}
    reason = require_text(errors, "reason", reason, _("Say why the dossier goes back."))
    content = procedure_content(dossier.procedure_version)
    codes = [step.code for step in content.workflow]
    current = dossier.current_step_index or 0
    if step_code not in codes or codes.index(step_code) >= current:
        add_error(errors, "step_code", _("Choose an earlier step of this procedure."))
    raise_if_any(errors)
    before, from_status = audited(dossier), dossier.status
    calendar = calendar_get()
    finished = step_finish(dossier=dossier, at=at, calendar=calendar, outcome=StepRecord.Outcome.RETURNED, actor=actor)
    previous = (
        StepRecord.objects.filter(dossier=dossier, code=step_code, assignee__isnull=False)
        .order_by("-started_at")
        .first()
    )
    step_start(
        dossier=dossier,
        index=codes.index(step_code),
        at=at,
        calendar=calendar,
        assignee=previous.assignee if previous is not None else None,
    )
    dossier.status = target
    record(
        dossier=dossier,
        action=Action.RETURN_TO_STEP,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=reason,
        details={**_step_details(finished), "to_step": step_code},
    )
    return dossier


# ------------------------------------------------------------------------------------------------------
# Supplements, payments, opinions
# ------------------------------------------------------------------------------------------------------


@transaction.atomic
def dossier_request_supplement(
    *,
    actor: Any,
    dossier: Dossier,
    items: list[str],
    reason: str,
    expected_step: str | None = None,
    at: dt.datetime | None = None,
) -> SupplementRequest:
    """Ask the applicant to supplement or complete the dossier (Form 02); the deadline clock stops until
    they do (Decree 61/2018, art. 19; Decision 766: the waiting time is not counted)."""
    at = moment(at)
    dossier, position, target = begin(
        actor=actor, dossier=dossier, action=Action.REQUEST_SUPPLEMENT, expected_step=expected_step
    )
    errors: Errors = {}
    reason = require_text(errors, "reason", reason, _("Say what is missing and why."))
    cleaned_items = [item.strip() for item in items if item and item.strip()]
    if not cleaned_items:
        add_error(errors, "items", _("List what the applicant must add or correct."))
    raise_if_any(errors)
    before, from_status = audited(dossier), dossier.status
    calendar = calendar_get()
    clock_pause(dossier=dossier, at=at, calendar=calendar)
    dossier.status = target
    dossier.supplement_count += 1
    request = SupplementRequest.objects.create(
        dossier=dossier,
        items=cleaned_items,
        reason=reason,
        step_code=dossier.current_step_code,
        requested_by=actor if isinstance(actor, User) else None,
        requested_at=at,
        due_at_before=dossier.due_at,
    )
    record(
        dossier=dossier,
        action=Action.REQUEST_SUPPLEMENT,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=reason,
        details={"items": cleaned_items, "supplement_request": str(request.pk)},
    )
    return request


@transaction.atomic
def dossier_supply(
    *,
    actor: Any,
    dossier: Dossier,
    files: list[FileRef] | None = None,
    form_data: dict[str, Any] | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> Dossier:
    """The applicant (online) or a clerk (at the counter) hands in what was asked; the clock restarts and
    the appointment moves later by the time spent waiting (NgayHenTraMoi)."""
    at = moment(at)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.SUPPLY)
    content = procedure_content(dossier.procedure_version)
    files = files or []
    errors: Errors = {}
    if not files and form_data is None and not note.strip():
        add_error(errors, "files", _("Add the documents or information that were asked for."))
    cleaned: dict[str, Any] | None = None
    if form_data is not None:
        cleaned, form_errors = form_data_clean(fields=list(content.form_fields), data=form_data)
        errors.update(form_errors)
    reuse_owner = dossier.applicant
    file_refs_attach(
        refs=files,
        dossier=dossier,
        content=content,
        uploader=actor,
        reuse_owner=reuse_owner,
        errors=errors,
        dry_run=True,
    )
    raise_if_any(errors)
    before, from_status = audited(dossier), dossier.status
    at_counter = position is not None
    file_refs_attach(
        refs=files,
        dossier=dossier,
        content=content,
        uploader=actor,
        reuse_owner=reuse_owner,
        errors=errors,
        digitised=at_counter,
    )
    if cleaned is not None:
        dossier.form_data = cleaned
    calendar = calendar_get()
    clock_resume(dossier=dossier, at=at, calendar=calendar)
    dossier.status = target
    request = SupplementRequest.objects.select_for_update().filter(dossier=dossier, supplied_at__isnull=True).first()
    if request is not None:
        request.supplied_at = at
        request.supplied_by = actor if isinstance(actor, User) else None
        request.due_at_after = dossier.due_at
        request.note = note.strip()
        request.save()
    record(
        dossier=dossier,
        action=Action.SUPPLY,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note.strip(),
        details={"files": len(files), "form_changed": cleaned is not None},
    )
    return dossier


@transaction.atomic
def dossier_request_payment(
    *,
    actor: Any,
    dossier: Dossier,
    amount: int | None = None,
    fee_codes: Sequence[str] = (),
    copies: int = 1,
    note: str = "",
    expected_step: str | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """Ask the applicant to fulfil a financial obligation (TrangThaiHoSo 6): a bill of the payments app, made in
    this transaction, of one line of ``amount`` đồng (named by the note) or of the procedure's fee lines named by
    ``fee_codes``. The time to pay is not counted in the processing time (e.g. Land Law 2024 procedures), so
    the clock stops; it restarts when the bill is paid, online or at the counter."""
    at = moment(at)
    dossier, position, target = begin(
        actor=actor, dossier=dossier, action=Action.REQUEST_PAYMENT, expected_step=expected_step
    )
    content = procedure_content(dossier.procedure_version)
    note = (note or "").strip()
    lines = obligation_lines(content=content, amount=amount, fee_codes=fee_codes, copies=copies, note=note)
    before, from_status = audited(dossier), dossier.status
    bill = obligation_request_create(dossier=dossier, content=content, lines=lines, note=note)
    clock_pause(dossier=dossier, at=at, calendar=calendar_get())
    dossier.status = target
    dossier.fees_due += bill.amount
    if dossier.applicant_id is None:
        # Only someone without an account is sent the pay link (an account holder pays from the dossier's page).
        dossier.pay_link = pay_link_absolute(bill)
    record(
        dossier=dossier,
        action=Action.REQUEST_PAYMENT,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=note,
        details={"amount": bill.amount, "payment_request": bill.code, "lines": [line.code for line in lines]},
    )
    return dossier


def _settled_check(dossier: Dossier, payment_request: PaymentRequest, purpose: str) -> None:
    """The bill is this dossier's, of this purpose, and being settled now (payments calls the handler inside the
    settlement, with the bill already marked paid): a payment is never recorded without its bill."""
    if (
        payment_request.subject_id != dossier.pk
        or payment_request.purpose != purpose
        or payment_request.status != RequestStatus.PAID
    ):
        raise InvalidState(
            _("A payment is recorded only when its payment request is paid (online, or at the counter)."),
            code="dossier_payment_not_settled",
            details={"payment_request": payment_request.code},
        )


def _payment_actor(*, actor: Any, dossier: Dossier, payment_request: PaymentRequest) -> tuple[Any, Any]:
    """Who the history (and the portal's progress record) names: the clerk who took the cash at the counter, or
    the applicant who paid online; the platform when neither is known."""
    if payment_request.paid_via == PaidVia.COUNTER:
        clerk = payment_request.recorded_by
        position = acting_position(clerk, dossier, Actor.CLERK) if clerk is not None else None
        return (clerk, position) if position is not None else (actor, None)
    if dossier.applicant is not None:
        return dossier.applicant, None
    return actor, None


def _payment_details(payment_request: PaymentRequest) -> dict[str, Any]:
    return {
        "amount": payment_request.amount,
        "payment_request": payment_request.code,
        "paid_via": payment_request.paid_via,
        "reference": payment_request.paper_receipt_number,
    }


@transaction.atomic
def dossier_record_payment(
    *, actor: Any, dossier: Dossier, payment_request: PaymentRequest, at: dt.datetime | None = None
) -> Dossier:
    """The financial obligation was paid: processing and its clock resume (TrangThaiHoSo 6 → 4). Called by the
    settlement handler as SYSTEM inside the payment's settlement, exactly once per bill (online payment, or the
    clerk's counter payment through ``dossier_payment_record_at_counter``)."""
    at = moment(at)
    dossier, _position, target = begin(actor=actor, dossier=dossier, action=Action.RECORD_PAYMENT)
    _settled_check(dossier, payment_request, OBLIGATION_PURPOSE)
    before, from_status = audited(dossier), dossier.status
    clock_resume(dossier=dossier, at=at, calendar=calendar_get())
    dossier.status = target
    dossier.fees_paid += payment_request.amount
    dossier.paid_at = payment_request.paid_at or at
    dossier.payment_reference = payment_request.code[:100]
    named, position = _payment_actor(actor=actor, dossier=dossier, payment_request=payment_request)
    record(
        dossier=dossier,
        action=Action.RECORD_PAYMENT,
        from_status=from_status,
        actor=named,
        position=position,
        at=at,
        before=before,
        details=_payment_details(payment_request),
    )
    return dossier


@transaction.atomic
def dossier_record_fees(
    *, actor: Any, dossier: Dossier, payment_request: PaymentRequest, at: dt.datetime | None = None
) -> Dossier:
    """The fees billed at application were paid (the status does not change); called by the settlement handler
    as SYSTEM inside the payment's settlement, exactly once per bill."""
    at = moment(at)
    dossier, _position, target = begin(actor=actor, dossier=dossier, action=Action.RECORD_FEES)
    _settled_check(dossier, payment_request, FEES_PURPOSE)
    before, from_status = audited(dossier), dossier.status
    dossier.status = target
    dossier.fees_paid += payment_request.amount
    dossier.paid_at = payment_request.paid_at or at
    dossier.payment_reference = payment_request.code[:100]
    named, position = _payment_actor(actor=actor, dossier=dossier, payment_request=payment_request)
    record(
        dossier=dossier,
        action=Action.RECORD_FEES,
        from_status=from_status,
        actor=named,
        position=position,
        at=at,
        before=before,
        details=_payment_details(payment_request),
    )
    return dossier


@transaction.atomic
def dossier_request_opinion(
    *,
    actor: Any,
    dossier: Dossier,
    organisation: Organisation,
    question: str,
    expected_step: str | None = None,
    at: dt.datetime | None = None,
) -> OpinionRequest:
    """Ask another agency's opinion on the dossier (coordination, Decree 61/2018 art. 20)."""
    at = moment(at)
    dossier, position, target = begin(
        actor=actor, dossier=dossier, action=Action.REQUEST_OPINION, expected_step=expected_step
    )
    errors: Errors = {}
    question = require_text(errors, "question", question)
    if not organisation.is_active or organisation.pk == dossier.processing_organisation_id:
        add_error(errors, "organisation", _("Ask another active organisation."))
    raise_if_any(errors)
    before, from_status = audited(dossier), dossier.status
    request = OpinionRequest.objects.create(
        dossier=dossier,
        organisation=organisation,
        question=question,
        requested_by=actor if isinstance(actor, User) else None,
        requested_at=at,
    )
    dossier.status = target
    record(
        dossier=dossier,
        action=Action.REQUEST_OPINION,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=question,
        details={"organisation": organisation.code, "opinion_request": str(request.pk)},
    )
    return request


@transaction.atomic
def dossier_answer_opinion(
    *, actor: Any, dossier: Dossier, opinion_request_id: Any, answer: str, at: dt.datetime | None = None
) -> OpinionRequest:
    """The asked organisation answers a request for its opinion."""
    at = moment(at)
    dossier, _position, target = begin(actor=actor, dossier=dossier, action=Action.ANSWER_OPINION)
    request = (
        OpinionRequest.objects.select_for_update()
        .filter(pk=opinion_request_id, dossier=dossier, answered_at__isnull=True)
        .first()
    )
    if request is None:
        raise NotFound(_("There is no open request for opinion with this id."))
    position = acting_position(actor, dossier, Actor.OPINION_ORGANISATION, organisation=request.organisation_id)
    if position is None and not _is_system(actor):
        raise PermissionDenied(details={"action": "dossiers.answer_opinion"})
    errors: Errors = {}
    answer = require_text(errors, "answer", answer)
    raise_if_any(errors)
    before, from_status = audited(dossier), dossier.status
    request.answer = answer
    request.answered_at = at
    request.answered_by = actor if isinstance(actor, User) else None
    request.save()
    dossier.status = target
    record(
        dossier=dossier,
        action=Action.ANSWER_OPINION,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=answer,
        details={"opinion_request": str(request.pk)},
    )
    return request


def _is_system(actor: Any) -> bool:
    from motcua.dossiers.services._base import is_system

    return is_system(actor)


# ------------------------------------------------------------------------------------------------------
# Delays and ends
# ------------------------------------------------------------------------------------------------------


@transaction.atomic
def dossier_announce_delay(
    *, actor: Any, dossier: Dossier, new_due_at: dt.datetime, reason: str, at: dt.datetime | None = None
) -> DelayNotice:
    """Apologise and set a new appointment (Form 04, Decree 61/2018 art. 19(3)): only before the due date,
    at least one working day before it, with the reason and a later date."""
    at = moment(at)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=Action.ANNOUNCE_DELAY)
    calendar = calendar_get()
    old_due = dossier.due_at
    assert old_due is not None  # received dossiers always have one (database constraint)
    if old_due <= at:
        raise InvalidState(
            _("The appointment has already passed: a delay must be announced before the due date."),
            code="dossier_already_overdue",
        )
    if calendar.working_seconds_between(at, old_due) < calendar.seconds_per_day:
        raise InvalidState(
            _(
                "A new appointment must be announced at least one working day before the due date "
                "(%(due)s); it is too late now."
            )
            % {"due": timezone.localtime(old_due).strftime("%H:%M %d/%m/%Y")},
            code="dossier_delay_too_late",
        )
    errors: Errors = {}
    reason = require_text(errors, "reason", reason, _("Say why the result will be late."))
    if timezone.is_naive(new_due_at) or new_due_at <= old_due:
        add_error(errors, "new_due_at", _("The new appointment must be later than the current one."))
    raise_if_any(errors)
    before, from_status = audited(dossier), dossier.status
    notice = DelayNotice.objects.create(
        dossier=dossier,
        reason=reason,
        previous_due_at=old_due,
        new_due_at=new_due_at,
        announced_by=actor if isinstance(actor, User) else None,
        announced_at=at,
    )
    dossier.deadline_extended_seconds += calendar.working_seconds_between(old_due, new_due_at)
    dossier.due_at = new_due_at
    dossier.status = target
    record(
        dossier=dossier,
        action=Action.ANNOUNCE_DELAY,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note=reason,
        details={"previous_due_at": old_due.isoformat(), "new_due_at": new_due_at.isoformat()},
    )
    return notice


def _end(
    *,
    actor: Any,
    dossier: Dossier,
    action: str,
    reasons: list[str] | str,
    at: dt.datetime | None,
    expected_step: str | None = None,
) -> Dossier:
    at = moment(at)
    payment_requests_lock(dossier)
    dossier, position, target = begin(actor=actor, dossier=dossier, action=action, expected_step=expected_step)
    cleaned = _ensure_reasons(reasons)
    before, from_status = audited(dossier), dossier.status
    calendar = calendar_get()
    step_finish(dossier=dossier, at=at, calendar=calendar, outcome=StepRecord.Outcome.ENDED, actor=actor)
    step_clear(dossier)
    dossier.status = target
    dossier.closed_at = at
    clock_stop(dossier=dossier, at=at, calendar=calendar)
    SupplementRequest.objects.filter(dossier=dossier, supplied_at__isnull=True).update(
        note=str(_("Closed without a supplement.")), supplied_at=at
    )
    # Unpaid bills are cancelled; a refusal also refunds what was paid, where the procedure says so.
    closed = payments_close(dossier=dossier, reason="; ".join(cleaned), refund=action == Action.REFUSE)
    record(
        dossier=dossier,
        action=action,
        from_status=from_status,
        actor=actor,
        position=position,
        at=at,
        before=before,
        note="\n".join(cleaned),
        details={"reasons": cleaned, **closed},
    )
    return dossier


@transaction.atomic
def dossier_refuse(
    *,
    actor: Any,
    dossier: Dossier,
    reasons: list[str],
    expected_step: str | None = None,
    at: dt.datetime | None = None,
) -> Dossier:
    """Refuse to resolve a dossier that does not meet the conditions, with the reasons (TrangThaiHoSo 3)."""
    return _end(actor=actor, dossier=dossier, action=Action.REFUSE, reasons=reasons, at=at, expected_step=expected_step)


@transaction.atomic
def dossier_stop(*, actor: Any, dossier: Dossier, reason: str, at: dt.datetime | None = None) -> Dossier:
    """Stop processing, with the reason (notice to stop processing; TrangThaiHoSo 8)."""
    return _end(actor=actor, dossier=dossier, action=Action.STOP, reasons=reason, at=at)


@transaction.atomic
def dossier_withdraw(*, actor: Any, dossier: Dossier, reason: str = "", at: dt.datetime | None = None) -> Dossier:
    """The applicant withdraws their dossier before it is finished (TrangThaiHoSo 7)."""
    return _end(
        actor=actor,
        dossier=dossier,
        action=Action.WITHDRAW,
        reasons=reason.strip() or str(_("Withdrawn at the applicant's request.")),
        at=at,
    )


__all__ = [
    "dossier_accept",
    "dossier_announce_delay",
    "dossier_answer_opinion",
    "dossier_claim",
    "dossier_forward",
    "dossier_record_fees",
    "dossier_record_payment",
    "dossier_refuse",
    "dossier_refuse_receipt",
    "dossier_request_opinion",
    "dossier_request_payment",
    "dossier_request_supplement",
    "dossier_return_to_step",
    "dossier_stop",
    "dossier_supply",
    "dossier_withdraw",
]
