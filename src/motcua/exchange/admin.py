"""Admin of the document exchange: read-only lists (every change goes through the officials' pages, the API, the
commands or other nodes), and "retry now" on the outbox, which goes through its service."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import MotcuaError
from motcua.exchange.models import (
    DirectoryEntry,
    DirectoryMember,
    DirectoryVersion,
    DocumentBook,
    InboundMessage,
    IncomingDocument,
    Node,
    OutboxMessage,
    OutgoingDocument,
)
from motcua.exchange.transport.outbox import outbox_retry


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "document_id",
        "kind",
        "to_code",
        "next_hop",
        "state",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_filter = ["state", "kind", "next_hop"]
    search_fields = ["document_id", "to_code", "from_code", "id"]
    date_hierarchy = "created_at"
    exclude = ["body", "response"]
    actions = ["retry_now"]

    @admin.action(description=_("Retry now"))
    def retry_now(self, request: Any, queryset: Any) -> None:
        try:
            count = outbox_retry(actor=request.user, message_ids=queryset.values_list("pk", flat=True))
        except MotcuaError as error:
            self.message_user(request, error.message, level=messages.ERROR)
            return
        self.message_user(
            request,
            _("%(count)d messages will be sent again now (sent and held messages are left alone).") % {"count": count},
            level=messages.SUCCESS,
        )


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = [
        "received_at",
        "kind",
        "document_id",
        "from_code",
        "to_code",
        "previous_hop",
        "outcome",
        "reason_code",
    ]
    list_filter = ["outcome", "kind", "reason_code"]
    search_fields = ["document_id", "from_code", "to_code", "message_id"]
    date_hierarchy = "received_at"
    exclude = ["body", "response"]


@admin.register(OutgoingDocument)
class OutgoingDocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "organisation", "status", "document_type", "issued_on", "sent_at"]
    list_filter = ["status", "document_type"]
    search_fields = ["subject", "document_id", "notation"]
    list_select_related = ["organisation"]


@admin.register(IncomingDocument)
class IncomingDocumentAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "organisation", "sender_name", "status", "arrived_at", "arrival_number"]
    list_filter = ["status", "business_type"]
    search_fields = ["subject", "document_id", "sender_code"]
    list_select_related = ["organisation"]


@admin.register(DocumentBook)
class DocumentBookAdmin(ReadOnlyAdmin):
    list_display = ["name", "organisation", "direction", "code", "is_default", "is_active"]
    list_filter = ["direction"]
    list_select_related = ["organisation"]


@admin.register(Node)
class NodeAdmin(ReadOnlyAdmin):
    list_display = ["node_id", "name", "url", "mode", "via", "is_hub", "certificate_sha256"]


@admin.register(DirectoryEntry)
class DirectoryEntryAdmin(ReadOnlyAdmin):
    list_display = ["organisation_code", "organisation_name", "node"]
    search_fields = ["organisation_code", "organisation_name"]
    list_select_related = ["node"]


@admin.register(DirectoryVersion)
class DirectoryVersionAdmin(ReadOnlyAdmin):
    list_display = ["version", "issued_at", "authority", "applied_at", "sha256"]
    exclude = ["signed"]


@admin.register(DirectoryMember)
class DirectoryMemberAdmin(ReadOnlyAdmin):
    list_display = ["node_id", "name", "url", "mode", "via", "is_hub", "identity_checked_at", "is_active"]
