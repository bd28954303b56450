"""Users (citizens, businesses, officials) and API clients of other agencies' systems."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from motcua.core.codes import validate_personal_id, validate_tax_code
from motcua.core.models import BaseModel


class User(AbstractUser):
    """One user model for everyone. ``kind`` follows the national portal's account kinds."""

    class Kind(models.TextChoices):
        CITIZEN = "citizen", _("Citizen")
        BUSINESS = "business", _("Business")
        OFFICIAL = "official", _("Official")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("account kind"), max_length=20, choices=Kind.choices, default=Kind.CITIZEN)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    personal_id = models.CharField(
        _("personal identification number"), max_length=12, blank=True, validators=[validate_personal_id]
    )
    tax_code = models.CharField(_("tax or enterprise code"), max_length=14, blank=True, validators=[validate_tax_code])
    organisation_name = models.CharField(_("business name"), max_length=300, blank=True)
    phone = models.CharField(_("phone number"), max_length=20, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=8, default="vi")
    # Stable account key from the national identity provider (OIDC "sub"), per issuer.
    oidc_issuer = models.CharField(_("identity provider"), max_length=300, blank=True)
    oidc_subject = models.CharField(_("identity provider account key"), max_length=200, blank=True)
    verified_by_identity_provider = models.BooleanField(_("verified by the national identity provider"), default=False)
    failed_login_count = models.PositiveSmallIntegerField(_("failed logins in a row"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                fields=["personal_id"], condition=~Q(personal_id=""), name="user_personal_id_unique"
            ),
            models.UniqueConstraint(
                fields=["tax_code"],
                condition=Q(kind="business") & ~Q(tax_code=""),
                name="user_business_tax_code_unique",
            ),
            models.UniqueConstraint(
                fields=["oidc_issuer", "oidc_subject"], condition=~Q(oidc_subject=""), name="user_oidc_subject_unique"
            ),
            models.CheckConstraint(
                condition=~Q(kind="citizen") | ~Q(personal_id="") | ~Q(oidc_subject="") | Q(is_superuser=True),
                name="user_citizen_has_identity",
            ),
            models.CheckConstraint(condition=~Q(kind="business") | ~Q(tax_code=""), name="user_business_has_tax_code"),
        ]

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_official(self) -> bool:
        return self.kind == self.Kind.OFFICIAL

    @property
    def display_name(self) -> str:
        return self.organisation_name if self.kind == self.Kind.BUSINESS and self.organisation_name else str(self)


class ApiClient(BaseModel):
    """Another agency's system calling Motcua's API. The secret is stored hashed, like a password."""

    name = models.CharField(_("name"), max_length=200)
    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    secret_hash = models.CharField(_("secret (hashed)"), max_length=200)
    previous_secret_hash = models.CharField(_("previous secret (hashed)"), max_length=200, blank=True)
    previous_secret_valid_until = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    organisation_code = models.CharField(_("organisation code"), max_length=35, blank=True)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    rotated_at = models.DateTimeField(_("secret rotated at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.client_id})"

    # An API client acts as a principal: permission rules and the audit trail treat it like a user.
    is_authenticated = True
    is_superuser = False

    def get_username(self) -> str:
        return f"api:{self.client_id}"

    def has_scope(self, scope: str) -> bool:
        return scope in (self.scopes or [])

    # Hashes never go into the audit trail.
    secret_hash.audit_secret = True  # type: ignore[attr-defined]
    previous_secret_hash.audit_secret = True  # type: ignore[attr-defined]
