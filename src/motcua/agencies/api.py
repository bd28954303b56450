"""Agency directory API: the public directory, and its management by administrators.

Parse input, call a selector or a service, return a schema; errors are core exceptions, which the
platform API turns into ``{code, message, details}``.

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects (``Query[...]``)
of paginated operations when it builds them.
"""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Query, Router, Status
from ninja.pagination import PageNumberPagination, paginate

from motcua.agencies import selectors, services
from motcua.agencies.models import Organisation
from motcua.agencies.schemas import (
    OrganisationCreateIn,
    OrganisationDetailOut,
    OrganisationFilter,
    OrganisationOut,
    OrganisationPatchIn,
    PositionAssignIn,
    PositionEndIn,
    PositionOut,
    UnitCreateIn,
    UnitOut,
)
from motcua.core.exceptions import NotFound, ValidationFailed

router = Router(tags=["agencies"])


def _parent_from_reference(reference: str | None) -> Organisation | None:
    if not reference:
        return None
    parent = selectors.organisation_find(reference=reference)
    if parent is None:
        raise ValidationFailed(details={"parent": [str(_("There is no organisation with this code."))]})
    return parent


def _detail(organisation: Organisation) -> dict[str, Any]:
    return {
        **OrganisationOut.from_orm(organisation).dict(),
        "ancestors": selectors.organisation_ancestors(organisation=organisation),
        "children": list(selectors.organisation_children(organisation=organisation)),
        "units": list(selectors.unit_list(organisation=organisation)),
    }


@router.get("/organisations", response=list[OrganisationOut], auth=None, summary="Search the agency directory")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def organisations_list(request: HttpRequest, filters: Query[OrganisationFilter]) -> Any:
    parent = None
    if filters.parent:
        parent = selectors.organisation_get(code_or_id=filters.parent)
    return selectors.organisation_list(kind=filters.kind, parent=parent, search=filters.q)


@router.get(
    "/organisations/{code_or_id}",
    response=OrganisationDetailOut,
    auth=None,
    summary="One organisation, with its units and the bodies under it",
)
def organisations_get(request: HttpRequest, code_or_id: str) -> Any:
    return _detail(selectors.organisation_get(code_or_id=code_or_id))


@router.post("/organisations", response={201: OrganisationDetailOut}, summary="Add an organisation")
def organisations_create(request: HttpRequest, payload: OrganisationCreateIn) -> Any:
    values = payload.dict(exclude={"parent"})
    organisation = services.organisation_create(
        actor=request.auth,  # type: ignore[attr-defined]
        parent=_parent_from_reference(payload.parent),
        **values,
    )
    return Status(201, _detail(organisation))


@router.patch("/organisations/{code_or_id}", response=OrganisationDetailOut, summary="Change an organisation")
def organisations_update(request: HttpRequest, code_or_id: str, payload: OrganisationPatchIn) -> Any:
    organisation = selectors.organisation_get(code_or_id=code_or_id)
    data = payload.dict(exclude_unset=True)
    if "parent" in data:
        data["parent"] = _parent_from_reference(data["parent"])
    organisation = services.organisation_update(
        actor=request.auth,  # type: ignore[attr-defined]
        organisation=organisation,
        data=data,
    )
    return _detail(organisation)


@router.post("/organisations/{code_or_id}/units", response={201: UnitOut}, summary="Add a unit to an organisation")
def units_create(request: HttpRequest, code_or_id: str, payload: UnitCreateIn) -> Any:
    organisation = selectors.organisation_get(code_or_id=code_or_id)
    parent = None
    if payload.parent_code:
        try:
            parent = selectors.unit_get(organisation=organisation, code_or_id=payload.parent_code)
        except NotFound as error:
            raise ValidationFailed(details={"parent_code": [str(error.message)]}) from error
    unit = services.unit_create(
        actor=request.auth,  # type: ignore[attr-defined]
        organisation=organisation,
        code=payload.code,
        name=payload.name,
        abbreviation=payload.abbreviation,
        parent=parent,
    )
    return Status(201, unit)


@router.get(
    "/organisations/{code_or_id}/positions",
    response=list[PositionOut],
    summary="Staff positions in an organisation (its administrators)",
)
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def positions_list(request: HttpRequest, code_or_id: str, include_ended: bool = False) -> Any:
    organisation = selectors.organisation_get(code_or_id=code_or_id, include_inactive=True)
    return selectors.position_list(
        user=request.auth,  # type: ignore[attr-defined]
        organisation=organisation,
        include_ended=include_ended,
    )


@router.post("/positions", response={201: PositionOut}, summary="Give an official a role in an organisation")
def positions_assign(request: HttpRequest, payload: PositionAssignIn) -> Any:
    organisation = selectors.organisation_get(code_or_id=payload.organisation)
    user = get_user_model().objects.filter(pk=payload.user_id).first()
    if user is None:
        raise ValidationFailed(details={"user_id": [str(_("There is no such user."))]})
    unit = None
    if payload.unit_id is not None:
        try:
            unit = selectors.unit_get(organisation=organisation, code_or_id=payload.unit_id)
        except NotFound as error:
            raise ValidationFailed(details={"unit_id": [str(error.message)]}) from error
    position = services.position_assign(
        actor=request.auth,  # type: ignore[attr-defined]
        user=user,
        organisation=organisation,
        unit=unit,
        role=payload.role,
        title=payload.title,
        valid_from=payload.valid_from,
        valid_until=payload.valid_until,
    )
    return Status(201, position)


@router.post("/positions/{position_id}/end", response=PositionOut, summary="End a position")
def positions_end(request: HttpRequest, position_id: uuid.UUID, payload: PositionEndIn | None = None) -> Any:
    position = selectors.position_get(position_id=position_id)
    return services.position_end(
        actor=request.auth,  # type: ignore[attr-defined]
        position=position,
        on=payload.on if payload else None,
    )
