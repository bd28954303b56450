"""The applicant's satisfaction rating, from "My dossiers" or from the public tracking page."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from motcua.core.exceptions import MotcuaError, NotFound, RateLimited
from motcua.core.middleware import client_address
from motcua.dossiers import services
from motcua.dossiers.views.citizen import _applicant_required, _detail_context, _no_store, _own_dossier
from motcua.dossiers.views.forms_citizen import RatingForm, TrackRatingForm
from motcua.dossiers.views.forms_officials import form_errors_apply


@_applicant_required
@require_POST
def mine_rate(request: HttpRequest, code: str) -> HttpResponse:
    dossier = _own_dossier(request, code)
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            services.dossier_rate(
                actor=request.user,
                dossier=dossier,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except MotcuaError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, _("Thank you for your rating. It helps the agency serve people better."))
            return redirect("dossiers:mine_detail", code=dossier.code)
    context = _detail_context(request, dossier, rating_form=form)
    return render(request, "dossiers/citizen/mine_detail.html", context, status=422)


@never_cache
@require_POST
def track_rate(request: HttpRequest) -> HttpResponse:
    form = TrackRatingForm(request.POST)
    status = 422
    if form.is_valid():
        try:
            services.dossier_rate_with_secret(
                code=form.cleaned_data["code"],
                secret=form.cleaned_data["secret"],
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
                client_address=client_address(request),
            )
        except RateLimited:
            form.add_error(None, _("Too many attempts. Please wait a minute and try again."))
            status = 429
        except NotFound:
            form.add_error(None, _("No dossier matches this code and lookup secret."))
            status = 404
        except MotcuaError as error:
            form_errors_apply(form, error)
            status = error.http_status
        else:
            return _no_store(render(request, "dossiers/citizen/rated.html", {"code": form.cleaned_data["code"]}))
    return _no_store(render(request, "dossiers/citizen/track_rate.html", {"form": form}, status=status))


urlpatterns = [
    path("mine/<str:code>/rating/", mine_rate, name="mine_rate"),
    path("track/rating/", track_rate, name="track_rate"),
]
