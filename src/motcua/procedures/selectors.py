"""Reads of the procedure catalogue.

The public catalogue is every active procedure with a published version; its versions are public too
(a dossier keeps the version it was submitted under). Drafts are read through the admin and the staff API.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.agencies.search import search_fold, search_terms
from motcua.agencies.selectors import organisation_ancestors, organisation_find
from motcua.core.calendar import WorkingCalendar
from motcua.core.exceptions import NotFound
from motcua.procedures.content import ProcedureContent
from motcua.procedures.models import Procedure, ProcedureVersion


def procedure_public_list() -> QuerySet[Procedure]:
    return Procedure.objects.filter(is_active=True, current_version__isnull=False)


def _in_subtree_of(organisation: Organisation) -> Q:
    return Q(implementing_organisation=organisation) | Q(
        implementing_organisation__path__startswith=f"{organisation.path}{organisation.pk}/"
    )


def procedure_search(
    *,
    query: str = "",
    organisation_code: str = "",
    field_code: str = "",
    online_level: str = "",
    level: str = "",
) -> QuerySet[Procedure]:
    """The public catalogue, searched by name, code or field with or without diacritics ("dang ky khai
    sinh" finds "Đăng ký khai sinh"), filtered by agency (the organisation, the bodies under it, or a
    receiving place), field, online level and level; the best matches first, then by name."""
    procedures = procedure_public_list().select_related("implementing_organisation", "current_version")
    if organisation_code:
        organisation = organisation_find(reference=organisation_code)
        if organisation is None:
            return procedures.none()
        matching = Procedure.objects.filter(_in_subtree_of(organisation) | Q(receiving_organisations=organisation))
        procedures = procedures.filter(pk__in=matching.values("pk"))
    if field_code:
        procedures = procedures.filter(field_code=field_code)
    if online_level:
        procedures = procedures.filter(online_level=online_level)
    if level:
        procedures = procedures.filter(level=level)
    terms = search_terms(query)
    for term in terms:
        procedures = procedures.filter(Q(search_key__contains=term) | Q(code__icontains=term))
    if not terms:
        return procedures.order_by("name", "code")
    phrase = search_fold(query)
    relevance = Case(
        When(code=query.strip(), then=Value(4)),
        When(search_key__startswith=phrase, then=Value(3)),
        When(search_key__contains=f" {phrase}", then=Value(2)),
        When(search_key__contains=phrase, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return procedures.annotate(relevance=relevance).order_by("-relevance", "name", "code")


def procedure_get(*, code: str, include_unpublished: bool = False) -> Procedure:
    """One procedure of the public catalogue by its national code (with drafts: any procedure)."""
    procedures = Procedure.objects.all() if include_unpublished else procedure_public_list()
    procedure = procedures.select_related("current_version", "implementing_organisation").filter(code=code).first()
    if procedure is None:
        raise NotFound(_("There is no procedure with this code in the catalogue."))
    return procedure


def procedure_version_get(
    *, procedure_code: str, number: int | None = None, include_inactive: bool = False
) -> ProcedureVersion:
    """A published version of a procedure: the current one by default, or the one with that number.

    A numbered version stays readable after the procedure is withdrawn (``include_inactive``), because the
    dossiers submitted under it go on referring to it.
    """
    procedures = Procedure.objects.all() if include_inactive else Procedure.objects.filter(is_active=True)
    procedure = procedures.select_related("current_version").filter(code=procedure_code).first()
    version: ProcedureVersion | None = None
    if procedure is not None:
        version = procedure.current_version if number is None else procedure.versions.filter(number=number).first()
    if version is None:
        raise NotFound(_("There is no such published version of this procedure."))
    version.procedure = procedure  # type: ignore[assignment]
    return version


def procedure_content(version: ProcedureVersion) -> ProcedureContent:
    """The typed definition of a published version (the contract of procedures.content)."""
    return ProcedureContent.model_validate(version.content)


def field_list() -> list[dict[str, Any]]:
    """The fields (lĩnh vực) of the public catalogue, with how many procedures each has, for filters."""
    rows = (
        procedure_public_list()
        .exclude(field_code="")
        .values("field_code", "field_name")
        .annotate(procedure_count=Count("pk"))
        .order_by("field_name", "field_code")
    )
    return [
        {"code": row["field_code"], "name": row["field_name"], "procedure_count": row["procedure_count"]}
        for row in rows
    ]


def procedure_organisation_list() -> QuerySet[Organisation]:
    """Organisations that implement a procedure of the public catalogue, for filters."""
    return Organisation.objects.filter(pk__in=procedure_public_list().values("implementing_organisation")).order_by(
        "depth", "name"
    )


def _province_of(organisation: Organisation) -> Organisation | None:
    if organisation.kind == Organisation.Kind.PROVINCE:
        return organisation
    for ancestor in reversed(organisation_ancestors(organisation=organisation)):
        if ancestor.kind == Organisation.Kind.PROVINCE:
            return ancestor
    return None


def procedures_receivable_at(*, organisation: Organisation) -> QuerySet[Procedure]:
    """Procedures a dossier of which may be received at this organisation.

    Its own procedures and those naming it as a receiving place; and, for a public administration service
    centre, every procedure implemented by an organisation of its province ("deterritorialised" receipt:
    the dossier is received there and routed to the implementing organisation).
    """
    condition = Q(implementing_organisation=organisation) | Q(receiving_organisations=organisation)
    if organisation.kind == Organisation.Kind.SERVICE_CENTRE:
        province = _province_of(organisation)
        if province is not None:
            condition |= _in_subtree_of(province)
    matching = Procedure.objects.filter(condition).values("pk")
    return procedure_public_list().filter(pk__in=matching).order_by("name", "code")


def procedure_receiving_places(*, procedure: Procedure, content: ProcedureContent) -> list[Organisation]:
    """Where a person may hand in a dossier: the receiving places, or the implementing organisation."""
    codes = content.receiving_organisation_codes or [content.implementing_organisation_code]
    by_code = {organisation.code: organisation for organisation in Organisation.objects.filter(code__in=codes)}
    return [by_code[code] for code in codes if code in by_code and by_code[code].is_active]


def working_days(hours: float) -> float:
    """Working hours expressed in working days of the configured office hours (8 hours by default)."""
    hours_per_day = WorkingCalendar().seconds_per_day / 3600
    return hours / hours_per_day if hours_per_day else 0.0
