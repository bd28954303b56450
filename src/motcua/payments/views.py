"""HTML pages of payments: the payer's (my payments, a bill, paying, the return from the gateway, receipts, the
pay link for payers without an account), the officials' (payments of their agencies, counter payment, cancel,
refund, reconciliation with its CSV) and the gateway's server callback.

Every page reads through ``payments.selectors`` and writes through ``payments.services``; errors from
``core.exceptions`` become messages or form errors. Something the user may not see is "not found".
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import MotcuaError, NotFound, RateLimited
from motcua.core.middleware import client_address
from motcua.core.permissions import user_can
from motcua.payments import selectors, services
from motcua.payments.forms import CounterPaymentForm, ReasonForm, ReconciliationRunForm, StartForm
from motcua.payments.gateways import gateway_find, gateways_enabled
from motcua.payments.models import PaymentRequest, RequestStatus, TransactionStatus
from motcua.payments.workflow import UNSETTLED

CALLBACK_MAX_BYTES = 64 * 1024
PAGE_SIZE = 50
# Pay links opened in this browser session: {request id: token}, so the return page can lead back to them.
LINKS_SESSION_KEY = "payments.links"


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _gateways() -> list[dict[str, str]]:
    options = []
    for name in gateways_enabled():
        gateway = gateway_find(name)
        if gateway is not None:
            options.append({"name": name, "label": str(gateway.label)})
    return options


def _request_or_404(request: HttpRequest, request_id: uuid.UUID) -> PaymentRequest:
    try:
        return selectors.payment_request_get(user=request.user, request_id=request_id)
    except NotFound as error:
        raise Http404 from error


def _bill_context(payment: PaymentRequest) -> dict[str, Any]:
    return {
        "payment": payment,
        "lines": list(payment.lines.all()),
        "receipt": selectors.receipt_for_request(request=payment),
        "gateways": _gateways(),
        "start_form": StartForm(initial={"idempotency_key": secrets.token_urlsafe(16)}),
        "unsettled": [txn for txn in payment.transactions.all() if txn.status in UNSETTLED],
    }


# ---------------------------------------------------------------------------------------------------- payers


@login_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    """The signed-in payer's payment requests, newest first."""
    page = Paginator(selectors.payment_request_list_mine(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "payments/mine.html", {"page": page})


@login_required
@never_cache
@require_GET
def request_detail(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """A bill: its lines and status; the payer pays from here, officials act from here."""
    payment = _request_or_404(request, request_id)
    user = request.user
    context = _bill_context(payment)
    context.update(
        {
            "may_pay": user_can(user, "payments.pay", payment) and payment.status == RequestStatus.OPEN,
            "may_record": user_can(user, "payments.record_at_counter", payment)
            and payment.status == RequestStatus.OPEN,
            "may_cancel": user_can(user, "payments.cancel_request", payment) and payment.status == RequestStatus.OPEN,
            "may_refund": user_can(user, "payments.refund", payment)
            and payment.status == RequestStatus.PAID
            and payment.refundable,
            "is_official": bool(getattr(user, "is_official", False) or getattr(user, "is_superuser", False)),
            "transactions": list(payment.transactions.all()),
            "events": list(selectors.payment_events(request=payment)),
            "refunds": list(payment.refunds.all()),
            "counter_form": CounterPaymentForm(initial={"amount": payment.amount}),
            "reason_form": ReasonForm(),
        }
    )
    return _no_store(render(request, "payments/request_detail.html", context))


def _start(request: HttpRequest, payment: PaymentRequest, *, pay_token: str = "", back: str) -> HttpResponse:
    form = StartForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form has expired. Please press “Pay” again."))
        return HttpResponseRedirect(back)
    try:
        _transaction, payment_url = services.payment_start(
            actor=request.user,
            request=payment,
            gateway=form.cleaned_data["gateway"],
            idempotency_key=form.cleaned_data["idempotency_key"],
            pay_token=pay_token,
            language=request.LANGUAGE_CODE if request.LANGUAGE_CODE in ("vi", "en") else "vi",
        )
    except MotcuaError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(back)
    if not payment_url:
        messages.error(request, _("This payment could not be started. Please try again."))
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(payment_url)


@login_required
@require_POST
def start(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    """Start paying online: to the gateway's page."""
    payment = _request_or_404(request, request_id)
    return _start(request, payment, back=reverse("payments:request_detail", args=[payment.pk]))


@never_cache
@require_GET
def pay_link(request: HttpRequest, token: str) -> HttpResponse:
    """The pay link of a payer without an account (shown on the tracking page of their dossier)."""
    try:
        payment = selectors.payment_request_by_token(token=token, client_address=client_address(request))
    except RateLimited:
        return _no_store(render(request, "payments/link_problem.html", {"rate_limited": True}, status=429))
    except NotFound:
        return _no_store(render(request, "payments/link_problem.html", {}, status=404))
    links = request.session.get(LINKS_SESSION_KEY, {})
    links[str(payment.pk)] = token
    request.session[LINKS_SESSION_KEY] = links
    context = _bill_context(payment)
    context.update({"token": token, "may_pay": payment.status == RequestStatus.OPEN})
    return _no_store(render(request, "payments/pay_link.html", context))


@require_POST
def pay_link_start(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payment = selectors.payment_request_by_token(token=token, client_address=client_address(request))
    except (NotFound, RateLimited) as error:
        raise Http404 from error
    return _start(request, payment, pay_token=token, back=reverse("payments:pay_link", args=[token]))


@never_cache
@require_GET
def pay_link_receipt(request: HttpRequest, token: str) -> HttpResponse:
    try:
        payment = selectors.payment_request_by_token(token=token, client_address=client_address(request))
    except (NotFound, RateLimited) as error:
        raise Http404 from error
    return _receipt_response(payment)


@never_cache
@require_GET
def payment_return(request: HttpRequest, transaction_id: uuid.UUID) -> HttpResponse:
    """Where the gateway sends the payer's browser back. Its word is checked, never believed alone."""
    try:
        txn = services.payment_return_handle(
            transaction_id=transaction_id, query=request.GET.dict(), client_address=client_address(request)
        )
    except NotFound as error:
        raise Http404 from error
    payment = txn.request
    links = request.session.get(LINKS_SESSION_KEY, {})
    if user_can(request.user, "payments.view_request", payment):
        back = reverse("payments:request_detail", args=[payment.pk])
    elif str(payment.pk) in links:
        back = reverse("payments:pay_link", args=[links[str(payment.pk)]])
    else:
        back = ""
    context = {
        "txn": txn,
        "payment_status": payment.status,
        "paid_by_this": payment.settled_transaction_id == txn.pk,
        "waiting": txn.status in UNSETTLED,
        "back": back,
        "next_url": txn.return_url,
        "amount": txn.amount,
        "statuses": TransactionStatus,
    }
    return _no_store(render(request, "payments/return.html", context))


def _receipt_response(payment: PaymentRequest) -> HttpResponse:
    receipt = selectors.receipt_for_request(request=payment)
    if receipt is None:
        raise Http404
    response = HttpResponse(services.receipt_pdf(receipt=receipt), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="bien-lai-{receipt.series.replace("/", "-")}-{receipt.number_text}.pdf"'
    )
    return _no_store(response)


@login_required
@require_GET
def receipt(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    return _receipt_response(_request_or_404(request, request_id))


# ---------------------------------------------------------------------------------------------------- gateway


@csrf_exempt
@require_POST
def callback(request: HttpRequest, gateway: str) -> HttpResponse:
    """The gateway's server-to-server notification (no session, no CSRF: the signature authenticates it)."""
    if int(request.headers.get("Content-Length") or 0) > CALLBACK_MAX_BYTES:
        return JsonResponse({"code": "too_large"}, status=413)
    answer = services.payment_callback_handle(
        gateway=gateway,
        body=request.body[:CALLBACK_MAX_BYTES],
        content_type=request.content_type or "",
        client_address=client_address(request),
    )
    return JsonResponse(answer.body, status=answer.http_status, json_dumps_params={"ensure_ascii": False})


# ---------------------------------------------------------------------------------------------------- officials


def _act(request: HttpRequest, payment: PaymentRequest, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except MotcuaError as error:
        messages.error(request, str(error.message))
        details = getattr(error, "details", {}) or {}
        for problems in details.values() if isinstance(details, dict) else []:
            for problem in problems if isinstance(problems, list) else [problems]:
                messages.error(request, str(problem))
    else:
        messages.success(request, success)
    return redirect("payments:request_detail", request_id=payment.pk)


@login_required
@require_POST
def record_at_counter(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    payment = _request_or_404(request, request_id)
    form = CounterPaymentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the amount received in đồng."))
        return redirect("payments:request_detail", request_id=payment.pk)
    return _act(
        request,
        payment,
        lambda: services.payment_record_at_counter(actor=request.user, request=payment, **form.cleaned_data),
        _("The payment was recorded and its receipt issued."),
    )


@login_required
@require_POST
def cancel(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    payment = _request_or_404(request, request_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        payment,
        lambda: services.payment_request_cancel(actor=request.user, request=payment, reason=reason),
        _("The payment request was cancelled."),
    )


@login_required
@require_POST
def refund(request: HttpRequest, request_id: uuid.UUID) -> HttpResponse:
    payment = _request_or_404(request, request_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _act(
        request,
        payment,
        lambda: services.payment_refund(actor=request.user, request=payment, reason=reason),
        _("The refund was requested."),
    )


@login_required
@require_GET
def officials_list(request: HttpRequest) -> HttpResponse:
    """Payment requests of the official's agencies and counters (the counter's work list)."""
    status = request.GET.get("status", RequestStatus.OPEN)
    search = request.GET.get("q", "")[:100]
    requests = selectors.payment_request_list_for_officials(user=request.user, status=status, search=search)
    page = Paginator(requests, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "status": status, "q": search, "statuses": RequestStatus.choices}
    return render(request, "payments/officials_list.html", context)


def _organisation_or_404(request: HttpRequest, code: str) -> Any:
    organisation = organisation_find(reference=code)
    if organisation is None or not user_can(request.user, "payments.view_reconciliation", organisation):
        raise Http404
    return organisation


@login_required
@require_GET
def reconciliation_index(request: HttpRequest) -> HttpResponse:
    organisations = selectors.reconciliation_organisations(user=request.user)
    if not organisations.exists():
        raise Http404
    return render(request, "payments/reconciliation_index.html", {"organisations": organisations})


@login_required
@require_http_methods(["GET", "POST"])
def reconciliation_organisation(request: HttpRequest, code: str) -> HttpResponse:
    organisation = _organisation_or_404(request, code)
    form = ReconciliationRunForm(request.POST or None, initial={"day": timezone.localdate() - dt.timedelta(days=1)})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.reconciliation_run(actor=request.user, day=form.cleaned_data["day"], organisation=organisation)
            except MotcuaError as error:
                form.add_error(None, str(error.message))
                status = error.http_status
            else:
                messages.success(request, _("The reconciliation was made."))
                day = form.cleaned_data["day"]
                return redirect("payments:reconciliation_day", code=organisation.code, day=day.isoformat())
        else:
            status = 422
    reports = selectors.reconciliation_report_list(user=request.user, organisation=organisation)[:90]
    context = {
        "organisation": organisation,
        "reports": reports,
        "form": form,
        "may_run": user_can(request.user, "payments.run_reconciliation", organisation),
    }
    return render(request, "payments/reconciliation_organisation.html", context, status=status)


def _report(request: HttpRequest, code: str, day: str) -> Any:
    organisation = _organisation_or_404(request, code)
    try:
        when = dt.date.fromisoformat(day)
        return organisation, selectors.reconciliation_report_get(user=request.user, organisation=organisation, day=when)
    except (ValueError, NotFound) as error:
        raise Http404 from error


@login_required
@require_GET
def reconciliation_day(request: HttpRequest, code: str, day: str) -> HttpResponse:
    organisation, report = _report(request, code, day)
    lines = list(report.lines.all())
    context = {"organisation": organisation, "report": report, "lines": lines}
    return render(request, "payments/reconciliation_day.html", context)


@login_required
@require_GET
def reconciliation_csv(request: HttpRequest, code: str, day: str) -> HttpResponse:
    organisation, report = _report(request, code, day)
    response = HttpResponse(services.reconciliation_csv(report=report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="doi-soat-{organisation.code}-{report.day:%Y%m%d}.csv"'
    return _no_store(response)
