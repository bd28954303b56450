"""Admin list of the national portal outbox: what was sent, what waits, what the portal refused."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import MotcuaError
from motcua.dossiers.models import PortalOutboxRecord
from motcua.dossiers.national_portal.outbox import portal_outbox_retry


@admin.register(PortalOutboxRecord)
class PortalOutboxRecordAdmin(admin.ModelAdmin):
    list_display = [
        "dossier",
        "event_sequence",
        "kind",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind"]
    search_fields = ["dossier__code"]
    list_select_related = ["dossier"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "dossier",
        "event_sequence",
        "kind",
        "payload",
        "created_at",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    actions = ["retry_now"]

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Retry now"))
    def retry_now(self, request: Any, queryset: Any) -> None:
        try:
            count = portal_outbox_retry(actor=request.user, record_ids=queryset.values_list("pk", flat=True))
        except MotcuaError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return
        self.message_user(
            request,
            _("%(count)d records will be sent again now (records already sent are left alone).") % {"count": count},
            level=messages.SUCCESS,
        )
