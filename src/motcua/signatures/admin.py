"""Administration of the certificate inventory, the signing keys and the issued documents.

Nothing here edits a row directly: certificates come from the PKI or from an import, keys from an import,
documents from the services that issue them. The actions and the key import page call the services (revoke,
import, unblock, withdraw), which check the rules and write the audit trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters

from motcua.agencies.models import Organisation
from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import MotcuaError, PermissionDenied
from motcua.signatures.keys import PIN_MAX_LENGTH, PIN_MIN_LENGTH, signing_key_import, signing_key_unblock
from motcua.signatures.keys.files import MAX_FILE_BYTES
from motcua.signatures.models import Certificate, IssuedDocument, RevocationReason, SigningKey
from motcua.signatures.registry import issued_document_withdraw
from motcua.signatures.services import certificate_revoke


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


class SigningKeyImportForm(forms.Form):
    """Import a certificate and its key from a PKCS#12 (or PEM) file; ``signing_key_import`` checks the rest."""

    file = forms.FileField(label=_("Key file (PKCS#12: .p12 or .pfx)"))
    password = forms.CharField(
        label=_("Password of the file"), required=False, strip=False, widget=forms.PasswordInput(render_value=False)
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Certificate.Kind.AGENCY_SEAL, Certificate.Kind.AGENCY_SEAL.label),
            (Certificate.Kind.PERSONAL, Certificate.Kind.PERSONAL.label),
        ],
    )
    organisation = forms.CharField(
        label=_("Organisation code"),
        required=False,
        max_length=35,
        help_text=_("The electronic code of the seal's organisation, or of the organisation the holder signs for."),
    )
    holder = forms.CharField(
        label=_("Holder's username"), required=False, max_length=150, help_text=_("For a personal key: the official.")
    )
    pin = forms.CharField(label=_("PIN"), strip=False, widget=forms.PasswordInput(render_value=False))
    pin_confirmation = forms.CharField(
        label=_("PIN again"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    label = forms.CharField(label=_("Label"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pin"].help_text = _(
            "%(minimum)d to %(maximum)d characters: digits, Latin letters or punctuation, without spaces."
        ) % {"minimum": PIN_MIN_LENGTH, "maximum": PIN_MAX_LENGTH}
        self.fields["file"].help_text = _("At most %(limit)s.") % {"limit": filesizeformat(MAX_FILE_BYTES)}

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            limit = filesizeformat(MAX_FILE_BYTES)
            raise forms.ValidationError(
                _("The file is too large: a key file has at most %(limit)s.") % {"limit": limit}, code="too_large"
            )
        return upload

    def clean_organisation(self) -> Organisation | None:
        code = self.cleaned_data["organisation"].strip()
        if not code:
            return None
        organisation = organisation_find(reference=code)
        if organisation is None:
            raise forms.ValidationError(_("There is no organisation with this code."), code="unknown_organisation")
        return organisation

    def clean_holder(self) -> Any:
        username = self.cleaned_data["holder"].strip()
        if not username:
            return None
        user_model = get_user_model()
        holder = user_model.objects.filter(username=username, kind=user_model.Kind.OFFICIAL).first()
        if holder is None:
            raise forms.ValidationError(_("There is no official with this username."), code="unknown_holder")
        return holder

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pin, confirmation = cleaned.get("pin"), cleaned.get("pin_confirmation")
        if pin and confirmation is not None and pin != confirmation:
            self.add_error("pin_confirmation", _("The two PINs you typed are not the same."))
        return cleaned


# Details of the import service's errors that name a field of the form.
_IMPORT_ERROR_FIELDS = {"file": "file", "pin": "pin", "holder": "holder", "organisation": "organisation"}
_PASSWORD_ERROR_CODES = frozenset({"key_file_wrong_password", "key_file_password_required"})


def _import_errors_apply(form: forms.Form, error: MotcuaError) -> None:
    if error.code in _PASSWORD_ERROR_CODES:
        form.add_error("password", str(error.message))
        return
    details = error.details if isinstance(error.details, dict) else {}
    placed = False
    for key, name in _IMPORT_ERROR_FIELDS.items():
        texts = details.get(key)
        if isinstance(texts, list) and texts and name not in form.errors:
            form.add_error(name, [str(text) for text in texts])
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


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
    actions = ["unblock"]
    change_list_template = "admin/signatures/signingkey/change_list.html"

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(
                    sensitive_post_parameters("password", "pin", "pin_confirmation")(self.import_view)
                ),
                name="signatures_signingkey_import",
            )
        ]
        return own + super().get_urls()

    @admin.action(description=_("Unblock the selected keys"))
    def unblock(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        _each(
            self,
            request,
            queryset,
            lambda row: signing_key_unblock(signing_key=row, actor=request.user),
            str(_("%(count)d key(s) unblocked.")),
        )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        """Import a key file as a seal or a personal key; who may is the service's rule (administrators of the
        organisation or of the platform, or the holder)."""
        if not self.has_view_permission(request):
            raise DjangoPermissionDenied
        form = SigningKeyImportForm(request.POST or None, request.FILES or None)
        status = 200
        if request.method == "POST":
            status = 422
            if form.is_valid():
                data = form.cleaned_data
                try:
                    key = signing_key_import(
                        data=data["file"].read(),
                        password=data["password"] or None,
                        pin=data["pin"],
                        kind=data["kind"],
                        holder=data["holder"],
                        organisation=data["organisation"],
                        label=data["label"],
                        actor=request.user,
                    )
                except MotcuaError as error:
                    _import_errors_apply(form, error)
                    if isinstance(error, PermissionDenied):
                        status = 403
                else:
                    self.message_user(request, _("The key “%(key)s” was imported.") % {"key": key}, messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:signatures_signingkey_change", args=[key.pk]))
        return TemplateResponse(
            request,
            "admin/signatures/signingkey/import.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Import a key (PKCS#12)"),
                "form": form,
                "opts": self.model._meta,
                "media": self.media + form.media,
            },
            status=status,
        )


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
