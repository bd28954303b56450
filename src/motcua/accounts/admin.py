"""Admin for users and API clients. Every change goes through the account services (DESIGN.md rule 1)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from motcua.accounts import services
from motcua.accounts.models import ApiClient, User
from motcua.core.exceptions import MotcuaError

USER_ADMIN_FIELDS: list[str] = [
    "username",
    "kind",
    "full_name",
    "organisation_name",
    "personal_id",
    "tax_code",
    "email",
    "phone",
    "address",
    "preferred_language",
    "is_active",
    "is_staff",
    "is_superuser",
    "verified_by_identity_provider",
    "oidc_issuer",
    "oidc_subject",
    "failed_login_count",
    "locked_until",
    "last_login",
    "date_joined",
]


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """Read-mostly: only the safe contact fields and the active flag can change, through ``user_update``."""

    list_display = ["username", "full_name", "kind", "is_active", "verified_by_identity_provider", "locked_until"]
    list_filter = ["kind", "is_active", "is_staff", "verified_by_identity_provider"]
    search_fields = ["username", "full_name", "email", "personal_id", "tax_code"]
    ordering = ["username"]
    fields = USER_ADMIN_FIELDS  # type: ignore[assignment]
    readonly_fields = [field for field in USER_ADMIN_FIELDS if field not in services.USER_ADMIN_EDITABLE_FIELDS]
    actions = ["unlock", "reset_second_factor"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # accounts come from the identity provider, the agency directory or the services

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # deactivate instead: audit events and dossiers keep pointing at the account

    def save_model(self, request: HttpRequest, obj: User, form: ModelForm, change: bool) -> None:
        changes = {field: form.cleaned_data[field] for field in form.changed_data}
        if not changes:
            return
        try:
            services.user_update(actor=request.user, user=obj, changes=changes)
        except MotcuaError as error:
            messages.error(request, str(error.message))

    @admin.action(description=_("Unlock the selected accounts"))
    def unlock(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            try:
                services.user_unlock(actor=request.user, user=user)
            except MotcuaError as error:
                messages.error(request, f"{user}: {error.message}")
                return
        messages.success(request, gettext("The selected accounts are unlocked."))

    @admin.action(description=_("Reset two-step verification of the selected accounts"))
    def reset_second_factor(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        for user in queryset:
            try:
                services.second_factor_reset(actor=request.user, user=user)
            except MotcuaError as error:
                messages.error(request, f"{user}: {error.message}")
                return
        messages.success(request, gettext("Two-step verification was reset; those users must set it up again."))


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    """Create, rotate and deactivate through the services; a new secret is shown once, in a message."""

    list_display = ["name", "client_id", "organisation_code", "is_active", "last_used_at", "rotated_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "client_id", "organisation_code"]
    actions = ["rotate_secret", "deactivate"]

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:  # type: ignore[override]
        if obj is None:
            return ["name", "organisation_code", "scopes"]
        return [
            "name",
            "client_id",
            "organisation_code",
            "scopes",
            "is_active",
            "created_at",
            "rotated_at",
            "previous_secret_valid_until",
            "last_used_at",
        ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if obj is None else self.get_fields(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        form_class = super().get_form(request, obj, change, **kwargs)
        if obj is not None:
            return form_class

        class CreateForm(form_class):  # type: ignore[misc, valid-type]
            """Runs the service while validating, so its refusals become form errors, not a server error."""

            def _post_clean(self) -> None:
                super()._post_clean()
                if self.errors:
                    return
                try:
                    self.created = services.api_client_create(
                        actor=request.user,
                        name=self.cleaned_data.get("name") or "",
                        scopes=self.cleaned_data.get("scopes") or [],
                        organisation_code=self.cleaned_data.get("organisation_code") or "",
                    )
                except MotcuaError as error:
                    details = error.details if isinstance(error.details, dict) else {}
                    for field_name, field_messages in details.items():
                        for message in field_messages if isinstance(field_messages, list) else [field_messages]:
                            self.add_error(field_name if field_name in self.fields else None, str(message))
                    if not details:
                        self.add_error(None, str(error.message))

        return CreateForm

    def save_model(self, request: HttpRequest, obj: ApiClient, form: ModelForm, change: bool) -> None:
        if change:
            return  # every field is read-only once created
        client, secret = form.created  # type: ignore[attr-defined]  # written by the service in CreateForm
        # Let the admin continue with the saved row (its redirect and log entry need the primary key).
        for field in client._meta.concrete_fields:
            setattr(obj, field.attname, getattr(client, field.attname))
        obj._state.adding = False
        obj._state.db = client._state.db
        messages.warning(
            request,
            gettext("Copy the token for %(name)s now, it will not be shown again: %(token)s")
            % {"name": client.name, "token": f"{client.client_id}.{secret}"},
        )

    @admin.action(description=_("Rotate the secret of the selected clients"))
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            try:
                secret = services.api_client_rotate(actor=request.user, client_id=client.client_id)
            except MotcuaError as error:
                messages.error(request, f"{client}: {error.message}")
                continue
            messages.warning(
                request,
                gettext("Copy the new token for %(name)s now, it will not be shown again: %(token)s")
                % {"name": client.name, "token": f"{client.client_id}.{secret}"},
            )

    @admin.action(description=_("Deactivate the selected clients"))
    def deactivate(self, request: HttpRequest, queryset: QuerySet[ApiClient]) -> None:
        for client in queryset:
            try:
                services.api_client_deactivate(actor=request.user, client_id=client.client_id)
            except MotcuaError as error:
                messages.error(request, f"{client}: {error.message}")
                return
        messages.success(request, gettext("The selected clients are deactivated."))
