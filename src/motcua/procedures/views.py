"""Public pages of the procedure catalogue: search, and one procedure told in plain words."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from motcua.core.exceptions import NotFound
from motcua.procedures import selectors
from motcua.procedures.models import Procedure

PAGE_SIZE = 25


def _choice(value: str, allowed: list[str]) -> str:
    return value if value in allowed else ""


@require_safe
def procedure_list(request: HttpRequest) -> HttpResponse:
    search = request.GET.get("q", "").strip()[:200]
    fields = selectors.field_list()
    organisations = list(selectors.procedure_organisation_list())
    filters = {
        "organisation": _choice(request.GET.get("organisation", ""), [o.code or "" for o in organisations]),
        "field": _choice(request.GET.get("field", ""), [field["code"] for field in fields]),
        "online_level": _choice(request.GET.get("online_level", ""), Procedure.OnlineLevel.values),
        "level": _choice(request.GET.get("level", ""), Procedure.Level.values),
    }
    procedures = selectors.procedure_search(
        query=search,
        organisation_code=filters["organisation"],
        field_code=filters["field"],
        online_level=filters["online_level"],
        level=filters["level"],
    )
    page = Paginator(procedures, PAGE_SIZE).get_page(request.GET.get("page"))
    # Links to other pages keep the search and the filters.
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/procedure_list.html",
        {
            "page": page,
            "procedures": page.object_list,
            "search": search,
            "filters": filters,
            "fields": fields,
            "organisations": organisations,
            "online_levels": Procedure.OnlineLevel.choices,
            "levels": Procedure.Level.choices,
            "query_string": query.urlencode(),
        },
    )


@require_safe
def procedure_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        version = selectors.procedure_version_get(procedure_code=code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    procedure = version.procedure
    content = selectors.procedure_content(version)
    return render(
        request,
        "procedures/procedure_detail.html",
        {
            "procedure": procedure,
            "version": version,
            "content": content,
            "receiving_places": selectors.procedure_receiving_places(procedure=procedure, content=content),
            "implementing_organisation": procedure.implementing_organisation,
            "has_reusable_components": any(component.reusable for component in content.components),
            "level_label": Procedure.Level(content.level).label,
            "online_level_label": Procedure.OnlineLevel(content.online_level).label,
        },
    )
