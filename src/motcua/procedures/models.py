"""Catalogue of administrative procedures (thủ tục hành chính) and their published versions.

A procedure is authored as a *draft* (``Procedure.draft``, the same shape as a published version's content,
possibly incomplete) and published through ``procedures.services.procedure_publish``, which validates the
whole definition and freezes it as a new ``ProcedureVersion``. The columns of ``Procedure`` other than
``code``, ``draft`` and ``is_active`` mirror the current version, so the public catalogue can be searched
and filtered without reading JSON.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.core.models import BaseModel


class Procedure(BaseModel):
    """A procedure of the national database of administrative procedures, e.g. 1.001193 birth registration."""

    class Level(models.TextChoices):
        MINISTRY = "ministry", _("Ministry level")
        PROVINCE = "province", _("Province level")
        COMMUNE = "commune", _("Commune level")

    class OnlineLevel(models.TextChoices):
        FULL = "full", _("Full-process online")
        PARTIAL = "partial", _("Partially online")
        NONE = "none", _("Not online")

    code = models.CharField(_("national code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=500)
    level = models.CharField(_("level"), max_length=20, choices=Level.choices)
    online_level = models.CharField(_("online service level"), max_length=20, choices=OnlineLevel.choices)
    is_active = models.BooleanField(_("active"), default=True)
    current_version = models.ForeignKey(
        "ProcedureVersion",
        verbose_name=_("current version"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # The field (lĩnh vực) of the current version, for filters.
    field_code = models.CharField(_("field code"), max_length=40, blank=True, default="", db_index=True)
    field_name = models.CharField(_("field"), max_length=300, blank=True, default="")
    implementing_organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("implementing organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="implemented_procedures",
    )
    receiving_organisations = models.ManyToManyField(
        Organisation, verbose_name=_("receiving places"), blank=True, related_name="receivable_procedures"
    )
    # Folded name, code and field name (agencies.search.search_fold): diacritic-free search on every database.
    search_key = models.CharField(max_length=1000, blank=True, default="", editable=False)
    # The definition being edited; published as a new version by procedure_publish.
    draft = models.JSONField(_("draft definition"), default=dict, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("procedure")
        verbose_name_plural = _("procedures")

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class ProcedureVersion(BaseModel):
    """An immutable, published definition of a procedure; a dossier keeps the version it was submitted under.

    ``content`` follows ``procedures.content.ProcedureContent`` (components, fees, form, workflow...).
    """

    procedure = models.ForeignKey(
        Procedure, verbose_name=_("procedure"), on_delete=models.PROTECT, related_name="versions"
    )
    number = models.PositiveIntegerField(_("version"))
    content = models.JSONField(_("definition"))
    published_at = models.DateTimeField(_("published at"))

    class Meta:
        ordering = ["procedure", "-number"]
        verbose_name = _("procedure version")
        verbose_name_plural = _("procedure versions")
        constraints = [models.UniqueConstraint(fields=["procedure", "number"], name="procedure_version_unique")]

    def __str__(self) -> str:
        return f"{self.procedure.code} v{self.number}"
