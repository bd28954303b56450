"""Agency directory: organisations with official codes, their units, and staff positions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from motcua.core.codes import validate_organisation_code
from motcua.core.models import BaseModel


class Organisation(BaseModel):
    """A state body (cơ quan, đơn vị) with its electronic code (mã định danh điện tử, QCVN 102)."""

    class Kind(models.TextChoices):
        GOVERNMENT = "government", _("Government")
        GOVERNMENT_OFFICE = "government_office", _("Government Office")
        MINISTRY = "ministry", _("Ministry")
        MINISTRY_LEVEL_AGENCY = "ministry_level_agency", _("Ministry-level agency")
        GOVERNMENT_AGENCY = "government_agency", _("Agency under the Government")
        CENTRAL_DEPARTMENT = "central_department", _("Department of a ministry")
        PROVINCE = "province", _("Province or centrally-run city")
        PROVINCIAL_DEPARTMENT = "provincial_department", _("Provincial department")
        SERVICE_CENTRE = "service_centre", _("Public administration service centre")
        COMMUNE = "commune", _("Commune, ward or special zone")
        OTHER = "other", _("Other body")

    code = models.CharField(
        _("electronic code"), max_length=35, unique=True, null=True, blank=True, validators=[validate_organisation_code]
    )
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=100, blank=True)
    abbreviation = models.CharField(
        _("notation abbreviation"),
        max_length=20,
        blank=True,
        help_text=_("Used in document notations, e.g. VPCP in 7816/VPCP-TTĐT."),
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Materialised path of ancestor ids ("/<uuid>/<uuid>/"), kept by services, for subtree queries.
    path = models.CharField(max_length=1000, db_index=True, editable=False, default="/")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    administrative_unit_code = models.CharField(
        _("administrative unit code"),
        max_length=10,
        blank=True,
        help_text=_("Code of the province or commune in the national list of administrative units."),
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("telephone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Folded name, short name, abbreviation and code (see agencies.search), kept by services, so that
    # searching works with or without Vietnamese diacritics on every database.
    search_key = models.CharField(max_length=700, blank=True, default="", editable=False)

    class Meta:
        ordering = ["path", "name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="government") | (Q(code__isnull=False) & ~Q(code="")),
                name="organisation_code_required",
            ),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="organisation_not_own_parent"),
            # There is one Government; files refer to it (it has no code) by the word "government".
            models.UniqueConstraint(
                fields=["kind"], condition=Q(kind="government"), name="organisation_single_government"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Unit(BaseModel):
    """A unit inside an organisation (phòng, ban, vụ, cục...), with the abbreviation used in notations."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="units"
    )
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    abbreviation = models.CharField(_("notation abbreviation"), max_length=20, blank=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["organisation__name", "name"]
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        constraints = [
            models.UniqueConstraint(fields=["organisation", "code"], name="unit_code_unique_in_organisation")
        ]

    def __str__(self) -> str:
        return f"{self.name} – {self.organisation.short_name or self.organisation.name}"


class Role(models.TextChoices):
    """What an official may do; held through a Position in an organisation (and maybe a unit)."""

    ONE_STOP_CLERK = "one_stop_clerk", _("One-stop-desk clerk")
    SPECIALIST = "specialist", _("Specialist")
    UNIT_HEAD = "unit_head", _("Unit head")
    AGENCY_LEADER = "agency_leader", _("Agency leader")
    DOCUMENT_CLERK = "document_clerk", _("Document clerk")
    REPORTING_OFFICER = "reporting_officer", _("Reporting officer")
    AUDITOR = "auditor", _("Auditor")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    PLATFORM_ADMIN = "platform_admin", _("Platform administrator")


class Position(BaseModel):
    """Who holds which role in which organisation and unit, from when to when (inclusive dates)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("official"), on_delete=models.PROTECT, related_name="positions"
    )
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), on_delete=models.PROTECT, related_name="positions"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="positions"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    title = models.CharField(_("job title"), max_length=200, blank=True)
    valid_from = models.DateField(_("from"))
    valid_until = models.DateField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["organisation__name", "role"]
        verbose_name = _("position")
        verbose_name_plural = _("positions")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="position_dates_in_order",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} – {self.organisation}"
