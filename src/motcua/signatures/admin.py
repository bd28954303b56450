"""Administration of the certificate inventory, the signing keys and the issued documents.

Nothing here edits a row directly: certificates come from the PKI or from an import, keys from an import,
documents from the services that issue them. The actions call the services (revoke, unblock, withdraw), which
check the rules and write the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import user_has_role
from motcua.core.exceptions import MotcuaError
from motcua.signatures.models import Certificate, IssuedDocument, RevocationReason, SigningKey
from motcua.signatures.registry import issued_document_withdraw
from motcua.signatures.services import certificate_revoke


def _is_platform_admin(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False)) or user_has_role(user=user, role=Role.PLATFORM_ADMIN)


class _ReadOnlyAdmin(admin.ModelAdmin):
    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _each(model_admin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Any], call: Any, done: str) -> None:
    count = 0
    for row in queryset:
        try:
            call(row)
        except MotcuaError as error:
            model_admin.message_user(request, f"{row}: {error.message}", level=messages.ERROR)
        else:
            count += 1
    if count:
        model_admin.message_user(request, done % {"count": count}, level=messages.SUCCESS)


class ExpiringFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("expiring", _("Expires within 30 days")), ("expired", _("Expired")), ("revoked", _("Revoked"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "expiring":
            return queryset.filter(
                revoked_at__isnull=True, not_after__gt=now, not_after__lte=now + dt.timedelta(days=30)
            )
        if self.value() == "expired":
            return queryset.filter(not_after__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(Certificate)
class CertificateAdmin(_ReadOnlyAdmin):
    list_display = ["subject_common_name", "kind", "organisation_code", "serial_number", "not_after", "revoked_at"]
    list_filter = ["kind", "is_imported", ExpiringFilter]
    search_fields = ["subject_common_name", "serial_number", "organisation_code", "sha256_fingerprint"]
    readonly_fields = [field.name for field in Certificate._meta.fields]
    actions = ["revoke_key_compromise", "revoke_superseded"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # The detail page stays viewable; the actions are what change a certificate.
        return False

    def _revoke(self, request: HttpRequest, queryset: QuerySet[Any], reason: str) -> None:
        if not _is_platform_admin(request.user):
            self.message_user(request, _("Only platform administrators revoke certificates."), level=messages.ERROR)
            return
        _each(
            self,
            request,
            queryset,
            lambda row: certificate_revoke(
                serial_number=row.serial_number,
                issuer_fingerprint=row.issuer_sha256_fingerprint,
                reason=reason,
                actor=request.user,
            ),
            str(_("%(count)d certificate(s) revoked.")),
        )

    @admin.action(description=_("Revoke: the key is compromised"))
    def revoke_key_compromise(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._revoke(request, queryset, RevocationReason.KEY_COMPROMISE)

    @admin.action(description=_("Revoke: replaced by a new certificate"))
    def revoke_superseded(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        self._revoke(request, queryset, RevocationReason.SUPERSEDED)


@admin.register(SigningKey)
class SigningKeyAdmin(_ReadOnlyAdmin):
    list_display = ["__str__", "storage", "certificate", "failed_attempts", "locked_at", "is_active"]
    list_filter = ["storage", "is_active"]
    search_fields = ["label", "certificate__subject_common_name", "certificate__serial_number"]
    readonly_fields = [
        "certificate",
        "storage",
        "label",
        "pkcs11_module",
        "pkcs11_token_label",
        "pkcs11_key_label",
        "failed_attempts",
        "locked_at",
        "is_active",
        "created_at",
    ]
    exclude = ["encrypted_key", "key_derivation"]


@admin.register(IssuedDocument)
class IssuedDocumentAdmin(_ReadOnlyAdmin):
    list_display = ["short_code", "title", "number", "organisation_name", "issued_at", "withdrawn_at"]
    list_filter = ["kind"]
    search_fields = ["short_code", "number", "reference", "title", "organisation_code"]
    readonly_fields = [field.name for field in IssuedDocument._meta.fields]
    actions = ["withdraw"]

    @admin.action(description=_("Withdraw the selected documents"))
    def withdraw(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        """Asks for the reason first (it goes to the audit trail), then withdraws each document."""
        reason = " ".join(request.POST.get("reason", "").split())
        if request.POST.get("confirmed") and reason:
            _each(
                self,
                request,
                queryset,
                lambda row: issued_document_withdraw(document=row, reason=reason, actor=request.user),
                str(_("%(count)d document(s) withdrawn.")),
            )
            return None
        return TemplateResponse(
            request,
            "admin/signatures/withdraw_confirm.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Withdraw issued documents"),
                "documents": list(queryset),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "missing_reason": bool(request.POST.get("confirmed")),
                "opts": self.model._meta,
            },
        )
