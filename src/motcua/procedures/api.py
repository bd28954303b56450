"""Procedure catalogue API: the public catalogue, and drafting and publishing by administrators.

Parse input, call a selector or a service, return a schema; errors are core exceptions, which the
platform API turns into ``{code, message, details}``.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects (``Query[...]``)
of paginated operations when it builds them.
"""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from motcua.procedures import selectors, services
from motcua.procedures.models import ProcedureVersion
from motcua.procedures.schemas import (
    FieldOut,
    ProcedureCreateIn,
    ProcedureDraftIn,
    ProcedureFilter,
    ProcedureStaffOut,
    ProcedureSummaryOut,
    ProcedureVersionOut,
)

router = Router(tags=["procedures"])


def _version_out(version: ProcedureVersion) -> dict[str, Any]:
    return {
        "code": version.procedure.code,
        "version": version.number,
        "published_at": version.published_at,
        "is_active": version.procedure.is_active,
        "content": version.content,
    }


@router.get("/fields", response=list[FieldOut], auth=None, summary="Fields (lĩnh vực) of the catalogue")
def fields_list(request: HttpRequest) -> Any:
    return selectors.field_list()


@router.get("", response=list[ProcedureSummaryOut], auth=None, summary="Search the procedure catalogue")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def procedures_list(request: HttpRequest, filters: Query[ProcedureFilter]) -> Any:
    return selectors.procedure_search(
        query=filters.q,
        organisation_code=filters.organisation,
        field_code=filters.field,
        online_level=filters.online_level,
        level=filters.level,
    )


@router.get("/{code}", response=ProcedureVersionOut, auth=None, summary="A procedure's current published version")
def procedures_get(request: HttpRequest, code: str) -> Any:
    return _version_out(selectors.procedure_version_get(procedure_code=code))


@router.get(
    "/{code}/versions/{number}",
    response=ProcedureVersionOut,
    auth=None,
    summary="One published version of a procedure (dossiers keep the version they were submitted under)",
)
def procedures_version_get(request: HttpRequest, code: str, number: int) -> Any:
    return _version_out(selectors.procedure_version_get(procedure_code=code, number=number, include_inactive=True))


@router.post("", response={201: ProcedureStaffOut}, summary="Add a procedure as a draft")
def procedures_create(request: HttpRequest, payload: ProcedureCreateIn) -> Any:
    procedure = services.procedure_create(
        actor=request.auth,  # type: ignore[attr-defined]
        code=payload.code,
        definition=payload.definition,
    )
    return Status(201, procedure)


@router.put("/{code}/draft", response=ProcedureStaffOut, summary="Replace a procedure's draft")
def procedures_update_draft(request: HttpRequest, code: str, payload: ProcedureDraftIn) -> Any:
    procedure = selectors.procedure_get(code=code, include_unpublished=True)
    return services.procedure_update_draft(
        actor=request.auth,  # type: ignore[attr-defined]
        procedure=procedure,
        definition=payload.definition,
    )


@router.post(
    "/{code}/publish",
    response={200: ProcedureVersionOut, 201: ProcedureVersionOut},
    summary="Publish the draft as a new version (200 with the current version when nothing changed)",
)
def procedures_publish(request: HttpRequest, code: str) -> Any:
    procedure = selectors.procedure_get(code=code, include_unpublished=True)
    previous = procedure.current_version_id
    version = services.procedure_publish(
        actor=request.auth,  # type: ignore[attr-defined]
        procedure=procedure,
    )
    return Status(200 if version.pk == previous else 201, _version_out(version))
