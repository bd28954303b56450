"""Public pages of the agency directory: search and one organisation's page."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from motcua.agencies import selectors
from motcua.agencies.models import Organisation
from motcua.core.exceptions import NotFound

PAGE_SIZE = 25


@require_safe
def organisation_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("kind", "")
    if kind not in Organisation.Kind.values:
        kind = ""
    organisations = selectors.organisation_list(kind=kind, search=search)
    page = Paginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
    # Links to other pages keep the search and the filter.
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "agencies/organisation_list.html",
        {
            "page": page,
            "organisations": page.object_list,
            "search": search,
            "kind": kind,
            "kinds": Organisation.Kind.choices,
            "query_string": query.urlencode(),
        },
    )


@require_safe
def organisation_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        organisation = selectors.organisation_get(code_or_id=code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    return render(
        request,
        "agencies/organisation_detail.html",
        {
            "organisation": organisation,
            "ancestors": selectors.organisation_ancestors(organisation=organisation),
            "children": selectors.organisation_children(organisation=organisation),
            "units": selectors.unit_list(organisation=organisation),
        },
    )
