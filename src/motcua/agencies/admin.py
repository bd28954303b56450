"""Admin screens of the agency directory; every save and delete goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from motcua.agencies import services
from motcua.agencies.models import Organisation, Position, Unit
from motcua.core.admin_base import ServiceAdmin


@admin.register(Organisation)
class OrganisationAdmin(ServiceAdmin):
    list_display = ["name", "code", "abbreviation", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "short_name", "code", "abbreviation", "search_key"]
    autocomplete_fields = ["parent"]
    readonly_fields = ["is_active", "path", "depth"]
    fields = [
        "code",
        "name",
        "short_name",
        "abbreviation",
        "kind",
        "parent",
        "administrative_unit_code",
        "address",
        "email",
        "phone",
        "website",
        "is_active",
        "path",
        "depth",
    ]

    def service_save(self, request, obj, form, change):
        values = {name: form.cleaned_data.get(name) for name in form.fields if name in form.cleaned_data}
        if change:
            changed = {name: values[name] for name in form.changed_data if name in values}
            original = Organisation.objects.get(pk=obj.pk)
            return services.organisation_update(actor=request.user, organisation=original, data=changed)
        parent = values.pop("parent", None)
        return services.organisation_create(
            actor=request.user, parent=parent, **{name: value or "" for name, value in values.items()}
        )

    def service_delete(self, request, obj):
        # Organisations are closed, never deleted: documents and dossiers keep referring to them.
        services.organisation_deactivate(actor=request.user, organisation=obj)


@admin.register(Unit)
class UnitAdmin(ServiceAdmin):
    list_display = ["name", "code", "abbreviation", "organisation", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "abbreviation", "organisation__name", "organisation__code"]
    autocomplete_fields = ["organisation", "parent"]

    def get_readonly_fields(self, request, obj=None):
        return ["organisation"] if obj is not None else []

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            changed = {name: data[name] for name in form.changed_data if name in services.UNIT_UPDATABLE_FIELDS}
            return services.unit_update(actor=request.user, unit=Unit.objects.get(pk=obj.pk), data=changed)
        return services.unit_create(
            actor=request.user,
            organisation=data["organisation"],
            code=data.get("code") or "",
            name=data.get("name") or "",
            abbreviation=data.get("abbreviation") or "",
            parent=data.get("parent"),
        )

    def service_delete(self, request, obj):
        services.unit_update(actor=request.user, unit=obj, data={"is_active": False})


@admin.register(Position)
class PositionAdmin(ServiceAdmin):
    list_display = ["user", "role", "organisation", "unit", "valid_from", "valid_until"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "organisation__name", "organisation__code"]
    autocomplete_fields = ["organisation", "unit"]
    raw_id_fields = ["user"]

    def get_readonly_fields(self, request, obj=None):
        # A position's who/where/what is history; to change it, end it and assign a new one.
        return ["user", "organisation", "unit", "role", "title", "valid_from"] if obj is not None else []

    def service_save(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            if "valid_until" not in form.changed_data:
                return Position.objects.get(pk=obj.pk)
            return services.position_end(
                actor=request.user, position=obj, on=data.get("valid_until") or timezone.localdate()
            )
        return services.position_assign(
            actor=request.user,
            user=data["user"],
            organisation=data["organisation"],
            unit=data.get("unit"),
            role=data["role"],
            title=data.get("title") or "",
            valid_from=data["valid_from"],
            valid_until=data.get("valid_until"),
        )

    def service_delete(self, request, obj):
        services.position_end(actor=request.user, position=obj)
