"""The document books: the entries of a year, searchable without diacritics, exported as CSV or PDF."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import MotcuaError, NotFound
from motcua.exchange import exports, selectors, services
from motcua.exchange.forms import BookCreateForm, form_errors_apply
from motcua.exchange.rules import BOOK_KEEPER_ROLES
from motcua.exchange.views.common import STYLESHEETS, officials_only


@require_http_methods(["GET", "POST"])
@officials_only
def book_list(request: HttpRequest) -> HttpResponse:
    organisations = selectors.organisations_with(user=request.user, roles=BOOK_KEEPER_ROLES)
    if not organisations:
        raise PermissionDenied
    for organisation in organisations:  # every agency has its two default books
        services.book_default(organisation=organisation, direction="outgoing")
        services.book_default(organisation=organisation, direction="incoming")
    form = BookCreateForm(request.POST or None, organisations=organisations)
    if request.method == "POST" and form.is_valid():
        try:
            services.book_create(
                actor=request.user,
                organisation=organisation_find(reference=form.cleaned_data["organisation"]),
                direction=form.cleaned_data["direction"],
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
            )
        except MotcuaError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, _("The book is open."))
            return HttpResponseRedirect(reverse("exchange:books"), status=303)
    return render(
        request,
        "exchange/book_list.html",
        {"books": selectors.book_list(user=request.user), "form": form, "stylesheets": STYLESHEETS},
        status=422 if form.is_bound else 200,
    )


@officials_only
def book_detail(request: HttpRequest, book_id: uuid.UUID) -> HttpResponse:
    try:
        book = selectors.book_get(user=request.user, book_id=book_id)
    except NotFound as error:
        raise Http404 from error
    this_year = timezone.localdate().year
    try:
        year = int(request.GET.get("year") or this_year)
    except ValueError:
        year = this_year
    year = min(max(year, 1990), this_year + 1)
    query = request.GET.get("q", "")[:200]
    entries = selectors.book_entries(user=request.user, book=book, year=year, search=query)
    export = request.GET.get("format", "")
    name = f"{book.code.lower()}-{(book.organisation.code or '').replace('.', '-')}-{year}"
    if export == "csv":
        response = HttpResponse(exports.book_csv(book, entries), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
        return response
    if export == "pdf":
        response = HttpResponse(exports.book_pdf(book, entries, year=year), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    columns, rows = exports.book_rows(book, entries[:500])
    return render(
        request,
        "exchange/book_detail.html",
        {
            "book": book,
            "year": year,
            "years": list(range(this_year, this_year - 6, -1)),
            "query": query,
            "columns": columns,
            "rows": list(zip(entries[:500], rows, strict=True)),
            "total": entries.count(),
            "stylesheets": STYLESHEETS,
        },
    )
