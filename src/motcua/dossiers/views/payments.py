"""Paying a dossier's fees: "Pay online now" from the dossier's page or the tracking page, the receipt from the
tracking page, and the clerk's counter payment from the processing page.

The services (``dossiers.services.payments``) decide; a gateway that cannot be reached, a bill already paid, a
wrong amount come back as messages or form errors, and nothing changes.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from motcua.core.exceptions import MotcuaError, NotFound, RateLimited
from motcua.core.middleware import client_address
from motcua.dossiers import selectors, services
from motcua.dossiers.billing import request_of_dossier
from motcua.dossiers.views.citizen import _applicant_required, _no_store, _own_dossier
from motcua.dossiers.views.forms_citizen import PayForm, TrackForm, TrackPaymentForm
from motcua.dossiers.views.forms_officials import CounterPaymentForm, form_errors_apply
from motcua.dossiers.views.officials import _dossier_for_official, _process_page, _process_url
from motcua.payments import selectors as payments_selectors
from motcua.payments import services as payments


def _language(request: HttpRequest) -> str:
    return request.LANGUAGE_CODE if getattr(request, "LANGUAGE_CODE", "vi") in ("vi", "en") else "vi"


@_applicant_required
@require_POST
def mine_pay(request: HttpRequest, code: str, request_id: uuid.UUID) -> HttpResponse:
    """ "Pay online now": to the gateway's page, then back to the dossier's page."""
    dossier = _own_dossier(request, code)
    form = PayForm(request.POST)
    back = reverse("dossiers:mine_detail", args=[dossier.code])
    if not form.is_valid():
        messages.error(request, _("The form has expired. Please press “Pay online now” again."))
        return HttpResponseRedirect(back)
    try:
        _transaction, payment_url = services.dossier_payment_start(
            actor=request.user,
            dossier=dossier,
            payment_request_id=request_id,
            idempotency_key=form.cleaned_data["idempotency_key"],
            language=_language(request),
        )
    except NotFound as error:
        raise Http404(str(error.message)) from error
    except MotcuaError as error:
        messages.error(request, str(error.message))
        return HttpResponseRedirect(back)
    if not payment_url:
        messages.error(request, _("This payment could not be started. Please try again."))
        return HttpResponseRedirect(back)
    return HttpResponseRedirect(payment_url)


def _track_problem(request: HttpRequest, problem: str, status: int) -> HttpResponse:
    form = TrackForm(initial={"code": request.POST.get("code", "")[:60]})
    return _no_store(render(request, "dossiers/citizen/track.html", {"form": form, "problem": problem}, status=status))


@never_cache
@require_POST
def track_pay(request: HttpRequest) -> HttpResponse:
    """Pay online from the tracking page (no account: the receipt's code and secret prove who pays)."""
    form = TrackPaymentForm(request.POST)
    if not form.is_valid():
        return _track_problem(request, _("The form has expired. Look the dossier up again."), 422)
    try:
        _transaction, payment_url = services.dossier_payment_start_with_secret(
            code=form.cleaned_data["code"],
            secret=form.cleaned_data["secret"],
            payment_request_id=form.cleaned_data["payment_request"],
            idempotency_key=form.cleaned_data.get("idempotency_key") or "",
            language=_language(request),
            client_address=client_address(request),
        )
    except RateLimited:
        return _track_problem(request, _("Too many attempts. Please wait a minute and try again."), 429)
    except NotFound:
        return _track_problem(
            request, _("No dossier matches this code and lookup secret. Check both on your receipt and try again."), 404
        )
    except MotcuaError as error:
        return _track_problem(request, str(error.message), error.http_status)
    return HttpResponseRedirect(payment_url)


@never_cache
@require_POST
def track_receipt(request: HttpRequest) -> HttpResponse:
    """The receipt (biên lai) of a paid bill, from the tracking page."""
    form = TrackPaymentForm(request.POST)
    if not form.is_valid():
        return _track_problem(request, _("The form has expired. Look the dossier up again."), 422)
    try:
        dossier = selectors.dossier_find_by_receipt(
            code=form.cleaned_data["code"],
            secret=form.cleaned_data["secret"],
            client_address=client_address(request),
        )
    except RateLimited:
        return _track_problem(request, _("Too many attempts. Please wait a minute and try again."), 429)
    except NotFound:
        return _track_problem(
            request, _("No dossier matches this code and lookup secret. Check both on your receipt and try again."), 404
        )
    bill = request_of_dossier(dossier, form.cleaned_data["payment_request"])
    receipt = payments_selectors.receipt_for_request(request=bill) if bill is not None else None
    if receipt is None:
        raise Http404(_("There is no receipt for this payment."))
    response = HttpResponse(payments.receipt_pdf(receipt=receipt), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="bien-lai-{receipt.series.replace("/", "-")}-{receipt.number_text}.pdf"'
    )
    response["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)


@login_required
@require_POST
def counter_payment(request: HttpRequest, code: str, request_id: uuid.UUID) -> HttpResponse:
    """The clerk records money paid at the counter for one bill of the dossier (receipt issued by payments)."""
    dossier = _dossier_for_official(request, code)
    form = CounterPaymentForm(request.POST, prefix=f"counter-{request_id}")
    if form.is_valid():
        try:
            paid = services.dossier_payment_record_at_counter(
                actor=request.user,
                dossier=dossier,
                amount=form.cleaned_data["amount"],
                paper_receipt_number=form.cleaned_data.get("paper_receipt_number") or "",
                note=form.cleaned_data.get("note") or "",
                payment_request_id=request_id,
            )
        except NotFound as error:
            raise Http404(str(error.message)) from error
        except MotcuaError as error:
            form_errors_apply(form, error)
            dossier.refresh_from_db()
            return _process_page(request, dossier, counter=(str(request_id), form), status=error.http_status)
        messages.success(request, _("The payment %(code)s was recorded and its receipt issued.") % {"code": paid.code})
        return HttpResponseRedirect(_process_url(dossier), status=303)
    return _process_page(request, dossier, counter=(str(request_id), form), status=422)


urlpatterns = [
    path("mine/<str:code>/payments/<uuid:request_id>/pay/", mine_pay, name="mine_pay"),
    path("track/pay/", track_pay, name="track_pay"),
    path("track/receipt/", track_receipt, name="track_receipt"),
    path("work/<str:code>/payments/<uuid:request_id>/counter/", counter_payment, name="counter_payment"),
]
