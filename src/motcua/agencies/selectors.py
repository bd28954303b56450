"""Reads of the agency directory.

The directory itself (organisations, their units) is public information; who works where is not, so
``position_list`` needs the ``agencies.view_staff`` permission on the organisation.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation, Position, Role, Unit
from motcua.agencies.search import search_terms
from motcua.core.exceptions import NotFound
from motcua.core.permissions import permission_require

# How files and API callers name the Government, which has no electronic code.
GOVERNMENT_REFERENCE = "government"


def position_active_list(*, user: Any, on: dt.date | None = None) -> QuerySet[Position]:
    """Positions the user holds on a day (today by default)."""
    if user is None or not getattr(user, "is_authenticated", False) or not hasattr(user, "positions"):
        return Position.objects.none()
    day = on or timezone.localdate()
    return (
        Position.objects.filter(user=user, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .select_related("organisation", "unit")
    )


def position_active_all(*, on: dt.date | None = None) -> QuerySet[Position]:
    """Every position held on a day (today by default) by an active user: for system tasks that act on all
    officials (issuing their certificates, say), never for a person's request."""
    day = on or timezone.localdate()
    return (
        Position.objects.filter(valid_from__lte=day, user__is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .select_related("user", "organisation", "unit")
    )


def user_has_role(*, user: Any, role: str) -> bool:
    return position_active_list(user=user).filter(role=role).exists()


def user_is_platform_admin(*, user: Any) -> bool:
    """Django superusers and holders of the platform administrator role run the whole platform."""
    return bool(getattr(user, "is_superuser", False)) or user_has_role(user=user, role=Role.PLATFORM_ADMIN)


def user_roles_in_subtree_of(*, user: Any, organisation: Organisation) -> set[str]:
    """Roles the user holds in this organisation or any of its ancestors (authority flows down)."""
    ancestor_ids = [part for part in organisation.path.strip("/").split("/") if part] + [str(organisation.pk)]
    return set(position_active_list(user=user).filter(organisation_id__in=ancestor_ids).values_list("role", flat=True))


def organisation_list(
    *,
    kind: str = "",
    parent: Organisation | None = None,
    search: str = "",
    include_inactive: bool = False,
) -> QuerySet[Organisation]:
    """The public directory: active organisations, optionally of one kind, under one parent, or matching
    a search on name, short name, abbreviation or code (with or without diacritics)."""
    organisations = Organisation.objects.select_related("parent")
    if not include_inactive:
        organisations = organisations.filter(is_active=True)
    if kind:
        organisations = organisations.filter(kind=kind)
    if parent is not None:
        organisations = organisations.filter(parent=parent)
    for term in search_terms(search):
        # The folded key does the work; the plain fields also match rows written before the key existed.
        organisations = organisations.filter(
            Q(search_key__contains=term)
            | Q(name__icontains=term)
            | Q(short_name__icontains=term)
            | Q(abbreviation__icontains=term)
            | Q(code__icontains=term)
        )
    return organisations.order_by("depth", "name")


def organisation_find(*, reference: str | uuid.UUID | None) -> Organisation | None:
    """The organisation named by an electronic code, an id, or the word "government"; None if none is."""
    if reference is None:
        return None
    if isinstance(reference, uuid.UUID):
        return Organisation.objects.filter(pk=reference).first()
    text = reference.strip()
    if not text:
        return None
    if text.lower() == GOVERNMENT_REFERENCE:
        return Organisation.objects.filter(kind=Organisation.Kind.GOVERNMENT).first()
    try:
        return Organisation.objects.filter(pk=uuid.UUID(text)).first()
    except ValueError:
        return Organisation.objects.filter(code=text.upper()).first()


def organisation_get(*, code_or_id: str | uuid.UUID, include_inactive: bool = False) -> Organisation:
    """One organisation by electronic code or id (or "government"); NotFound otherwise."""
    organisation = organisation_find(reference=code_or_id)
    if organisation is None or (not organisation.is_active and not include_inactive):
        raise NotFound(_("There is no organisation with this code."))
    return organisation


def organisation_children(*, organisation: Organisation, include_inactive: bool = False) -> QuerySet[Organisation]:
    children = Organisation.objects.filter(parent=organisation)
    if not include_inactive:
        children = children.filter(is_active=True)
    return children.order_by("name")


def organisation_descendants(*, organisation: Organisation) -> QuerySet[Organisation]:
    """Everything below the organisation, at any depth (by its materialised path)."""
    return Organisation.objects.filter(path__startswith=f"{organisation.path}{organisation.pk}/")


def organisation_ancestors(*, organisation: Organisation) -> list[Organisation]:
    """The chain from the root down to the organisation's parent, for breadcrumbs."""
    ancestor_ids = [part for part in organisation.path.strip("/").split("/") if part]
    by_id = {str(ancestor.pk): ancestor for ancestor in Organisation.objects.filter(pk__in=ancestor_ids)}
    return [by_id[ancestor_id] for ancestor_id in ancestor_ids if ancestor_id in by_id]


def unit_list(*, organisation: Organisation, include_inactive: bool = False) -> QuerySet[Unit]:
    units = Unit.objects.filter(organisation=organisation).select_related("parent")
    if not include_inactive:
        units = units.filter(is_active=True)
    return units.order_by("name")


def unit_get(*, organisation: Organisation, code_or_id: str | uuid.UUID) -> Unit:
    units = Unit.objects.filter(organisation=organisation)
    unit: Unit | None
    try:
        unit = units.filter(pk=uuid.UUID(str(code_or_id))).first()
    except ValueError:
        unit = units.filter(code=str(code_or_id)).first()
    if unit is None:
        raise NotFound(_("There is no unit with this code in this organisation."))
    return unit


def position_list(
    *, user: Any, organisation: Organisation, on: dt.date | None = None, include_ended: bool = False
) -> QuerySet[Position]:
    """Staff of an organisation (active on a day unless ``include_ended``); needs agencies.view_staff."""
    permission_require(user, "agencies.view_staff", organisation)
    positions = Position.objects.filter(organisation=organisation).select_related("user", "unit", "organisation")
    if not include_ended:
        day = on or timezone.localdate()
        positions = positions.filter(valid_from__lte=day).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
    return positions.order_by("role", "valid_from")


def position_get(*, position_id: str | uuid.UUID) -> Position:
    try:
        position = Position.objects.select_related("organisation", "unit", "user").filter(pk=position_id).first()
    except Exception:
        position = None
    if position is None:
        raise NotFound()
    return position
