"""Payments API at /api/v1/payments: fee quotes, the payer's requests and payments, receipts, the officials'
counter payments, refunds, cancellations and reconciliation (JSON and CSV).

Parse input, call a selector or a service, return a schema; errors are core exceptions, which the platform API
turns into ``{code, message, details}``. The gateway's server callback is not here (it answers in the gateway's
own format): it is ``/payments/gateway/<name>/callback/``.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

import datetime as dt
import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import NotFound, ValidationFailed
from motcua.payments import selectors, services
from motcua.payments.gateways import gateway_find, gateways_enabled
from motcua.payments.schemas import (
    CounterPaymentIn,
    FeeQuoteOut,
    GatewayOut,
    PaymentRequestDetailOut,
    PaymentRequestOut,
    ReasonIn,
    ReconciliationReportDetailOut,
    ReconciliationReportOut,
    RefundOut,
    StartIn,
    TransactionOut,
    request_out,
)
from motcua.procedures.selectors import procedure_content, procedure_version_get

router = Router(tags=["payments"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _organisation(code: str) -> Any:
    organisation = organisation_find(reference=code)
    if organisation is None:
        raise NotFound(_("There is no organisation with this code."))
    return organisation


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as error:
        raise ValidationFailed(details={"day": [str(_("Enter a valid date."))]}) from error


class QuoteFilter(Schema):
    procedure: str
    copies: int = 1
    applicant_category: str = ""


@router.get("/quote", response=FeeQuoteOut, auth=None, summary="What a procedure's fees come to (public)")
def quote(request: HttpRequest, filters: Query[QuoteFilter]) -> Any:
    content = procedure_content(procedure_version_get(procedure_code=filters.procedure))
    result = services.fee_quote(content=content, copies=filters.copies, applicant_category=filters.applicant_category)
    return {
        "procedure": content.code,
        "copies": filters.copies,
        "applicant_category": filters.applicant_category,
        "lines": list(result.lines),
        "total": result.total,
    }


@router.get("/gateways", response=list[GatewayOut], summary="The payment gateways offered")
def gateways(request: HttpRequest) -> Any:
    found = [gateway_find(name) for name in gateways_enabled()]
    return [{"name": gateway.name, "label": str(gateway.label)} for gateway in found if gateway is not None]


@router.get("/requests", response=list[PaymentRequestOut], summary="My payment requests (payers)")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def requests_mine(request: HttpRequest) -> Any:
    return [request_out(item) for item in selectors.payment_request_list_mine(user=_user(request))]


class OfficialFilter(Schema):
    status: str = ""
    q: str = ""
    organisation: str = ""


@router.get("/officials/requests", response=list[PaymentRequestOut], summary="Requests of my agencies (officials)")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def requests_for_officials(request: HttpRequest, filters: Query[OfficialFilter]) -> Any:
    organisation = _organisation(filters.organisation) if filters.organisation else None
    items = selectors.payment_request_list_for_officials(
        user=_user(request), status=filters.status, search=filters.q[:100], organisation=organisation
    )
    return [request_out(item) for item in items]


@router.get("/requests/{request_id}", response=PaymentRequestDetailOut, summary="One payment request")
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> Any:
    return request_out(selectors.payment_request_get(user=_user(request), request_id=request_id), detail=True)


@router.post(
    "/requests/{request_id}/transactions",
    response={200: TransactionOut, 201: TransactionOut},
    summary="Start paying online (send an Idempotency-Key header); go to payment_url",
)
def transaction_start(request: HttpRequest, request_id: uuid.UUID, payload: StartIn) -> Any:
    user = _user(request)
    item = selectors.payment_request_get(user=user, request_id=request_id)
    key = request.headers.get("Idempotency-Key", "")
    existing = bool(key) and item.transactions.filter(idempotency_key=key.strip()[:200]).exists()
    txn, _url = services.payment_start(
        actor=user,
        request=item,
        gateway=payload.gateway,
        return_url=payload.return_url,
        idempotency_key=key,
        language=payload.language,
    )
    return Status(200 if existing else 201, txn)


@router.get("/transactions/{transaction_id}", response=TransactionOut, summary="One payment attempt")
def transaction_detail(request: HttpRequest, transaction_id: uuid.UUID) -> Any:
    return selectors.transaction_get(user=_user(request), transaction_id=transaction_id)


@router.get("/requests/{request_id}/receipt", summary="The receipt (PDF) of a paid request")
def receipt(request: HttpRequest, request_id: uuid.UUID) -> Any:
    item = selectors.payment_request_get(user=_user(request), request_id=request_id)
    found = selectors.receipt_for_request(request=item)
    if found is None:
        raise NotFound(_("This request has no receipt yet."))
    response = HttpResponse(services.receipt_pdf(receipt=found), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="bien-lai-{found.number_text}.pdf"'
    return response


@router.post("/requests/{request_id}/counter-payment", response=PaymentRequestOut, summary="Record a counter payment")
def counter_payment(request: HttpRequest, request_id: uuid.UUID, payload: CounterPaymentIn) -> Any:
    user = _user(request)
    item = selectors.payment_request_get(user=user, request_id=request_id)
    return request_out(services.payment_record_at_counter(actor=user, request=item, **payload.dict()))


@router.post("/requests/{request_id}/refund", response={201: RefundOut}, summary="Refund a paid request")
def refund(request: HttpRequest, request_id: uuid.UUID, payload: ReasonIn) -> Any:
    user = _user(request)
    item = selectors.payment_request_get(user=user, request_id=request_id)
    return Status(201, services.payment_refund(actor=user, request=item, reason=payload.reason))


@router.post("/requests/{request_id}/cancel", response=PaymentRequestOut, summary="Cancel an unpaid request")
def cancel(request: HttpRequest, request_id: uuid.UUID, payload: ReasonIn) -> Any:
    user = _user(request)
    item = selectors.payment_request_get(user=user, request_id=request_id)
    return request_out(services.payment_request_cancel(actor=user, request=item, reason=payload.reason))


@router.get(
    "/reconciliation/{organisation_code}", response=list[ReconciliationReportOut], summary="Reconciliation reports"
)
def reconciliation_list(request: HttpRequest, organisation_code: str) -> Any:
    organisation = _organisation(organisation_code)
    return list(selectors.reconciliation_report_list(user=_user(request), organisation=organisation)[:366])


@router.get(
    "/reconciliation/{organisation_code}/{day}",
    response=ReconciliationReportDetailOut,
    summary="One day's reconciliation of an agency",
)
def reconciliation_detail(request: HttpRequest, organisation_code: str, day: str) -> Any:
    organisation = _organisation(organisation_code)
    report = selectors.reconciliation_report_get(user=_user(request), organisation=organisation, day=_day(day))
    return {**ReconciliationReportOut.from_orm(report).dict(), "lines": list(report.lines.all())}


@router.get("/reconciliation/{organisation_code}/{day}/csv", summary="One day's reconciliation as CSV")
def reconciliation_csv(request: HttpRequest, organisation_code: str, day: str) -> Any:
    organisation = _organisation(organisation_code)
    report = selectors.reconciliation_report_get(user=_user(request), organisation=organisation, day=_day(day))
    response = HttpResponse(services.reconciliation_csv(report=report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="doi-soat-{organisation.code}-{report.day:%Y%m%d}.csv"'
    return response


@router.post(
    "/reconciliation/{organisation_code}/{day}/run",
    response=list[ReconciliationReportOut],
    summary="Make (again) one day's reconciliation of an agency",
)
def reconciliation_run(request: HttpRequest, organisation_code: str, day: str) -> Any:
    organisation = _organisation(organisation_code)
    return services.reconciliation_run(actor=_user(request), day=_day(day), organisation=organisation)
