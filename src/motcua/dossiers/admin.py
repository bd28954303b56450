"""Admin screens of dossiers: read-only; changes go through the services (admin actions call them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import MotcuaError
from motcua.dossiers import services
from motcua.dossiers.models import Dossier, DossierEvent, DossierFile, StepRecord


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class DossierEventInline(admin.TabularInline):
    model = DossierEvent
    extra = 0
    can_delete = False
    fields = ["sequence", "at", "action", "from_status", "to_status", "step_code", "actor_label", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class StepRecordInline(admin.TabularInline):
    model = StepRecord
    extra = 0
    can_delete = False
    fields = ["index", "code", "role", "assignee", "started_at", "finished_at", "allotted_hours", "is_on_time"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Dossier)
class DossierAdmin(ReadOnlyAdmin):
    list_display = ["code", "procedure", "applicant_name", "status", "channel", "received_at", "due_at"]
    list_filter = ["status", "channel"]
    search_fields = ["code", "search_key", "applicant_name"]
    date_hierarchy = "submitted_at"
    exclude = ["secret_hash"]
    inlines = [StepRecordInline, DossierEventInline]
    actions = ["accept_selected"]

    @admin.action(description=_("Receive the selected online dossiers"))
    def accept_selected(self, request: Any, queryset: Any) -> None:
        done = 0
        for dossier in queryset:
            try:
                services.dossier_accept(actor=request.user, dossier=dossier)
                done += 1
            except MotcuaError as error:
                self.message_user(request, f"{dossier.code}: {error.message}", level=messages.ERROR)
        if done:
            self.message_user(request, _("%(count)d dossiers received.") % {"count": done}, level=messages.SUCCESS)


@admin.register(DossierFile)
class DossierFileAdmin(ReadOnlyAdmin):
    list_display = ["name", "dossier", "component_code", "purpose", "content_type", "size", "created_at"]
    list_filter = ["purpose", "content_type"]
    search_fields = ["name", "sha256", "dossier__code"]


from motcua.dossiers.national_portal import admin as national_portal_admin  # noqa: E402, F401  (registers the outbox)
