"""Dossiers API at /api/v1/dossiers: applications, work queues, actions, files, public lookup.

Online submission is "upload, then submit": ``POST /dossiers/uploads`` (multipart, one file) returns an
upload id kept for its uploader; ``POST /dossiers`` (JSON, with an ``Idempotency-Key`` header) names the
uploads (or earlier documents to re-use) per dossier component. Every state change is
``POST /dossiers/{code}/actions/{action}`` with that action's own body. Errors are core exceptions.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import FileResponse, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import File, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from motcua.agencies.selectors import organisation_find
from motcua.core.calendar import calendar_get
from motcua.core.context import current_context
from motcua.core.exceptions import ValidationFailed
from motcua.dossiers import selectors, services
from motcua.dossiers.billing import OBLIGATION_PURPOSE
from motcua.dossiers.catalogue import procedure_version_for_application
from motcua.dossiers.models import Dossier
from motcua.dossiers.schemas import (
    ApproveIn,
    CounterPaymentIn,
    DelayIn,
    DossierCounterIn,
    DossierCreatedOut,
    DossierDetailOut,
    DossierListOut,
    DossierSubmitIn,
    EventOut,
    FileOut,
    FileRefIn,
    ForwardIn,
    NoteIn,
    OpinionAnswerIn,
    OpinionRequestIn,
    PaymentIn,
    PaymentRequestIn,
    PinIn,
    PublicLookupOut,
    PublicRatingIn,
    QueueFilter,
    RatingIn,
    RatingOut,
    ReasonIn,
    ReasonsIn,
    ReturnResultIn,
    ReturnToStepIn,
    StepIn,
    StepOut,
    SupplementRequestIn,
    SupplyIn,
)
from motcua.dossiers.timeliness import dossier_timeliness_compute

router = Router(tags=["dossiers"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _refs(files: list[FileRefIn]) -> list[services.FileRef]:
    return [
        services.FileRef(component_code=ref.component_code, upload_id=ref.upload_id, reuse_file_id=ref.reuse_file_id)
        for ref in files
    ]


def _organisation(reference: str, field_name: str) -> Any:
    if not reference:
        return None
    organisation = organisation_find(reference=reference)
    if organisation is None:
        raise ValidationFailed(details={field_name: [str(_("There is no organisation with this code."))]})
    return organisation


def _detail(request: HttpRequest, dossier: Dossier) -> Dossier:
    """The dossier as the user may see it now, with its timeliness and the actions open to them."""
    user = _user(request)
    dossier = selectors.dossier_get(user=user, code_or_id=dossier.pk)
    dossier.timeliness = dossier_timeliness_compute(  # type: ignore[attr-defined]
        dossier=dossier, now=timezone.now(), calendar=calendar_get()
    ).__dict__
    dossier.allowed_actions = selectors.dossier_actions_available(user=user, dossier=dossier)  # type: ignore[attr-defined]
    return dossier


def _dossier(request: HttpRequest, code: str) -> Dossier:
    return selectors.dossier_get(user=_user(request), code_or_id=code)


# ------------------------------------------------------------------------------------------------------
# Files and public lookup (static paths first: they must not be read as dossier codes)
# ------------------------------------------------------------------------------------------------------


@router.post("/uploads", response={201: FileOut}, summary="Upload a document (PDF, JPEG or PNG) for an application")
def uploads_create(request: HttpRequest, file: File[UploadedFile]) -> Any:
    item = services.dossier_file_upload(actor=_user(request), content=file, name=file.name or "", size=file.size)
    return Status(201, item)


@router.get("/files/reusable", response=list[FileOut], summary="My earlier documents and results, to re-use")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def files_reusable(request: HttpRequest) -> Any:
    return selectors.dossier_files_reusable(user=_user(request))


@router.get("/files/{file_id}", summary="Download a document of a dossier")
def files_download(request: HttpRequest, file_id: uuid.UUID) -> Any:
    item = selectors.dossier_file_get(user=_user(request), file_id=file_id)
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/public/lookup", response=PublicLookupOut, auth=None, summary="Look a dossier up with its receipt")
def public_lookup(request: HttpRequest, code: str = "", secret: str = "") -> Any:
    return selectors.dossier_lookup_public(code=code, secret=secret, client_address=current_context().client_address)


@router.post("/public/rating", response={201: RatingOut}, auth=None, summary="Rate the service with the receipt")
def public_rating(request: HttpRequest, payload: PublicRatingIn) -> Any:
    rating = services.dossier_rate_with_secret(
        code=payload.code,
        secret=payload.secret,
        score=payload.score,
        comment=payload.comment,
        client_address=current_context().client_address,
    )
    return Status(201, rating)


# ------------------------------------------------------------------------------------------------------
# Applications and queues
# ------------------------------------------------------------------------------------------------------


@router.post(
    "",
    response={200: DossierCreatedOut, 201: DossierCreatedOut},
    summary="Apply online (send an Idempotency-Key header to retry safely)",
)
def dossiers_submit(request: HttpRequest, payload: DossierSubmitIn) -> Any:
    version = procedure_version_for_application(
        procedure_code=payload.procedure, version_id=payload.procedure_version_id
    )
    dossier = services.dossier_submit_online(
        actor=_user(request),
        procedure_version=version,
        form_data=payload.form_data,
        files=_refs(payload.files),
        receiving_organisation=_organisation(payload.receiving_organisation, "receiving_organisation"),
        summary=payload.summary,
        idempotency_key=request.headers.get("Idempotency-Key", ""),
        copies=payload.copies,
        applicant_category=payload.applicant_category,
    )
    return Status(200 if dossier.idempotent_replay else 201, dossier)


@router.post("/counter", response={201: DossierCreatedOut}, summary="Register a dossier at the one-stop desk")
def dossiers_counter(request: HttpRequest, payload: DossierCounterIn) -> Any:
    version = procedure_version_for_application(
        procedure_code=payload.procedure, version_id=payload.procedure_version_id
    )
    dossier = services.dossier_receive_at_counter(
        actor=_user(request),
        procedure_version=version,
        applicant=payload.applicant.dict(),
        form_data=payload.form_data,
        files=_refs(payload.files),
        paper_components=payload.paper_components,
        channel=payload.channel,
        receiving_organisation=_organisation(payload.receiving_organisation, "receiving_organisation"),
        summary=payload.summary,
    )
    return Status(201, dossier)


@router.get("", response=list[DossierListOut], summary="My dossiers (applicants) or my work queue (officials)")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def dossiers_list(request: HttpRequest, filters: Query[QueueFilter]) -> Any:
    user = _user(request)
    if not selectors.user_is_official(user=user):
        return selectors.dossier_list_for_applicant(user=user)
    procedure = None
    if filters.procedure:
        from motcua.procedures.models import Procedure

        procedure = Procedure.objects.filter(code=filters.procedure).first()
        if procedure is None:
            raise ValidationFailed(details={"procedure": [str(_("There is no procedure with this code."))]})
    return selectors.dossier_queue(
        user=user,
        view=filters.view,
        query=filters.q,
        organisation=_organisation(filters.organisation, "organisation"),
        procedure=procedure,
    )


@router.get("/{code}", response=DossierDetailOut, summary="One dossier")
def dossiers_get(request: HttpRequest, code: str) -> Any:
    return _detail(request, _dossier(request, code))


@router.post("/{code}/rating", response={201: RatingOut}, summary="Rate the service once the result was returned")
def dossiers_rate(request: HttpRequest, code: str, payload: RatingIn) -> Any:
    rating = services.dossier_rate(
        actor=_user(request), dossier=_dossier(request, code), score=payload.score, comment=payload.comment
    )
    return Status(201, rating)


@router.get("/{code}/history", response=list[EventOut], summary="Status history of a dossier")
def dossiers_history(request: HttpRequest, code: str) -> Any:
    return list(selectors.dossier_history(user=_user(request), dossier=_dossier(request, code)))


@router.get("/{code}/steps", response=list[StepOut], summary="Processing control slip (Form 05)")
def dossiers_steps(request: HttpRequest, code: str) -> Any:
    return list(selectors.dossier_steps(user=_user(request), dossier=_dossier(request, code)))


# ------------------------------------------------------------------------------------------------------
# Actions: one endpoint per transition, each with its own body
# ------------------------------------------------------------------------------------------------------


def _step(payload: StepIn) -> str | None:
    return payload.expected_step or None


@router.post("/{code}/actions/accept", response=DossierDetailOut, summary="Receive an online dossier (Form 01)")
def action_accept(request: HttpRequest, code: str, payload: NoteIn) -> Any:
    dossier = services.dossier_accept(actor=_user(request), dossier=_dossier(request, code), note=payload.note)
    return _detail(request, dossier)


@router.post("/{code}/actions/refuse_receipt", response=DossierDetailOut, summary="Refuse to receive (Form 03)")
def action_refuse_receipt(request: HttpRequest, code: str, payload: ReasonsIn) -> Any:
    dossier = services.dossier_refuse_receipt(
        actor=_user(request), dossier=_dossier(request, code), reasons=payload.reasons
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/claim", response=DossierDetailOut, summary="Take the dossier at my step")
def action_claim(request: HttpRequest, code: str, payload: StepIn) -> Any:
    dossier = services.dossier_claim(
        actor=_user(request), dossier=_dossier(request, code), expected_step=_step(payload)
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/forward", response=DossierDetailOut, summary="Forward to the next step")
def action_forward(request: HttpRequest, code: str, payload: ForwardIn) -> Any:
    assignee = None
    if payload.assignee_id is not None:
        assignee = get_user_model().objects.filter(pk=payload.assignee_id, is_active=True).first()
        if assignee is None:
            raise ValidationFailed(details={"assignee_id": [str(_("There is no such user."))]})
    dossier = services.dossier_forward(
        actor=_user(request),
        dossier=_dossier(request, code),
        expected_step=_step(payload),
        assignee=assignee,
        note=payload.note,
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/return_to_step", response=DossierDetailOut, summary="Return to an earlier step")
def action_return_to_step(request: HttpRequest, code: str, payload: ReturnToStepIn) -> Any:
    dossier = services.dossier_return_to_step(
        actor=_user(request),
        dossier=_dossier(request, code),
        step_code=payload.step_code,
        reason=payload.reason,
        expected_step=_step(payload),
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/request_supplement", response=DossierDetailOut, summary="Request a supplement (Form 02)")
def action_request_supplement(request: HttpRequest, code: str, payload: SupplementRequestIn) -> Any:
    dossier = _dossier(request, code)
    services.dossier_request_supplement(
        actor=_user(request),
        dossier=dossier,
        items=payload.items,
        reason=payload.reason,
        expected_step=_step(payload),
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/supply", response=DossierDetailOut, summary="Hand in the requested supplement")
def action_supply(request: HttpRequest, code: str, payload: SupplyIn) -> Any:
    dossier = services.dossier_supply(
        actor=_user(request),
        dossier=_dossier(request, code),
        files=_refs(payload.files),
        form_data=payload.form_data,
        note=payload.note,
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/request_payment", response=DossierDetailOut, summary="Request the financial obligation")
def action_request_payment(request: HttpRequest, code: str, payload: PaymentRequestIn) -> Any:
    dossier = services.dossier_request_payment(
        actor=_user(request),
        dossier=_dossier(request, code),
        amount=payload.amount,
        fee_codes=payload.fee_codes,
        copies=payload.copies,
        note=payload.note,
        expected_step=_step(payload),
    )
    return _detail(request, dossier)


@router.post(
    "/{code}/actions/record_payment",
    response=DossierDetailOut,
    summary="Record the financial obligation paid at the counter (its receipt is issued)",
)
def action_record_payment(request: HttpRequest, code: str, payload: PaymentIn) -> Any:
    dossier = _dossier(request, code)
    services.dossier_payment_record_at_counter(
        actor=_user(request),
        dossier=dossier,
        amount=payload.amount,
        paper_receipt_number=payload.reference,
        purpose=OBLIGATION_PURPOSE,
    )
    return _detail(request, dossier)


@router.post(
    "/{code}/payments/{request_id}/counter",
    response=DossierDetailOut,
    summary="Record a bill of the dossier paid at the counter (e.g. the fees billed at application)",
)
def payments_counter(request: HttpRequest, code: str, request_id: uuid.UUID, payload: CounterPaymentIn) -> Any:
    dossier = _dossier(request, code)
    services.dossier_payment_record_at_counter(
        actor=_user(request),
        dossier=dossier,
        amount=payload.amount,
        paper_receipt_number=payload.paper_receipt_number,
        note=payload.note,
        payment_request_id=request_id,
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/request_opinion", response=DossierDetailOut, summary="Ask another agency's opinion")
def action_request_opinion(request: HttpRequest, code: str, payload: OpinionRequestIn) -> Any:
    dossier = _dossier(request, code)
    organisation = _organisation(payload.organisation, "organisation")
    if organisation is None:
        raise ValidationFailed(details={"organisation": [str(_("This field is required."))]})
    services.dossier_request_opinion(
        actor=_user(request),
        dossier=dossier,
        organisation=organisation,
        question=payload.question,
        expected_step=_step(payload),
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/answer_opinion", response=DossierDetailOut, summary="Answer a request for opinion")
def action_answer_opinion(request: HttpRequest, code: str, payload: OpinionAnswerIn) -> Any:
    dossier = _dossier(request, code)
    services.dossier_answer_opinion(
        actor=_user(request), dossier=dossier, opinion_request_id=payload.opinion_request_id, answer=payload.answer
    )
    return _detail(request, dossier)


@router.post(
    "/{code}/actions/announce_delay", response=DossierDetailOut, summary="Apologise and set a new date (Form 04)"
)
def action_announce_delay(request: HttpRequest, code: str, payload: DelayIn) -> Any:
    dossier = _dossier(request, code)
    services.dossier_announce_delay(
        actor=_user(request), dossier=dossier, new_due_at=payload.new_due_at, reason=payload.reason
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/refuse", response=DossierDetailOut, summary="Refuse to resolve, with reasons")
def action_refuse(request: HttpRequest, code: str, payload: ReasonsIn) -> Any:
    dossier = services.dossier_refuse(
        actor=_user(request), dossier=_dossier(request, code), reasons=payload.reasons, expected_step=_step(payload)
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/stop", response=DossierDetailOut, summary="Stop processing")
def action_stop(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    dossier = services.dossier_stop(actor=_user(request), dossier=_dossier(request, code), reason=payload.reason)
    return _detail(request, dossier)


@router.post("/{code}/actions/approve", response=DossierDetailOut, summary="Approve (last step)")
def action_approve(request: HttpRequest, code: str, payload: ApproveIn) -> Any:
    common = {
        "actor": _user(request),
        "dossier": _dossier(request, code),
        "result": payload.result,
        "note": payload.note,
        "expected_step": _step(payload),
    }
    if payload.pin:
        return _detail(request, services.dossier_approve_and_sign(**common, pin=payload.pin))
    return _detail(request, services.dossier_approve(**common))


@router.post("/{code}/actions/sign_result", response=DossierDetailOut, summary="Sign the result document")
def action_sign_result(request: HttpRequest, code: str, payload: PinIn) -> Any:
    dossier = services.dossier_result_sign(actor=_user(request), dossier=_dossier(request, code), pin=payload.pin)
    return _detail(request, dossier)


@router.post("/{code}/actions/seal_result", response=DossierDetailOut, summary="Apply the agency seal")
def action_seal_result(request: HttpRequest, code: str, payload: PinIn) -> Any:
    dossier = services.dossier_result_seal(actor=_user(request), dossier=_dossier(request, code), pin=payload.pin)
    return _detail(request, dossier)


@router.post("/{code}/actions/return_result", response=DossierDetailOut, summary="Return the result")
def action_return_result(request: HttpRequest, code: str, payload: ReturnResultIn) -> Any:
    dossier = services.dossier_return_result(
        actor=_user(request), dossier=_dossier(request, code), method=payload.method, note=payload.note
    )
    return _detail(request, dossier)


@router.post("/{code}/actions/withdraw", response=DossierDetailOut, summary="Withdraw my dossier")
def action_withdraw(request: HttpRequest, code: str, payload: ReasonIn) -> Any:
    dossier = services.dossier_withdraw(actor=_user(request), dossier=_dossier(request, code), reason=payload.reason)
    return _detail(request, dossier)
