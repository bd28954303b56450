"""How dossiers read the procedure catalogue: one narrow port onto the procedures app.

A dossier keeps the ``ProcedureVersion`` it was submitted under and reads everything from its content
(``procedures.content.ProcedureContent``) through the procedures app's selectors
(``procedure_version_get``, ``procedure_content``); nothing else in ``dossiers`` touches procedure rows.
"""

from __future__ import annotations

import uuid

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import NotFound
from motcua.procedures import selectors as procedures_selectors
from motcua.procedures.content import ProcedureContent
from motcua.procedures.models import ProcedureVersion
from motcua.procedures.selectors import procedure_version_get


def procedure_content(version: ProcedureVersion) -> ProcedureContent:
    """The parsed, validated definition of a published version (cached on the instance)."""
    cached = getattr(version, "_parsed_content", None)
    if cached is None:
        cached = procedures_selectors.procedure_content(version)
        version._parsed_content = cached  # type: ignore[attr-defined]
    return cached


def procedure_version_for_application(
    *, procedure_code: str = "", version_id: uuid.UUID | str | None = None
) -> ProcedureVersion:
    """The version an application is made under: the one named, or the procedure's latest published one."""
    versions = ProcedureVersion.objects.select_related("procedure").filter(
        procedure__is_active=True, published_at__lte=timezone.now()
    )
    version: ProcedureVersion | None = None
    if version_id:
        try:
            version = versions.filter(pk=uuid.UUID(str(version_id))).first()
        except ValueError:
            version = None
        if version is not None and procedure_code and version.procedure.code != procedure_code:
            version = None
    elif procedure_code:
        try:
            version = procedure_version_get(procedure_code=procedure_code)  # the current version
        except NotFound:
            version = None
    if version is None:
        raise NotFound(_("There is no published procedure with this code."), code="procedure_not_found")
    return version
