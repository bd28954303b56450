"""Admin of feedback: read-only; changes go through the services (the admin's actions call them)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import MotcuaError
from motcua.feedback import services
from motcua.feedback.models import Feedback, FeedbackAttachment, FeedbackEvent, FeedbackVote


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class FeedbackEventInline(admin.TabularInline):
    model = FeedbackEvent
    extra = 0
    can_delete = False
    fields = ["sequence", "at", "action", "from_status", "to_status", "actor_label", "due_at", "is_on_time", "note"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


class FeedbackAttachmentInline(admin.TabularInline):
    model = FeedbackAttachment
    extra = 0
    can_delete = False
    fields = ["name", "content_type", "size", "sha256", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Feedback)
class FeedbackAdmin(ReadOnlyAdmin):
    list_display = ["code", "title", "agency", "status", "submitted_at", "due_at", "assigned_to"]
    list_filter = ["status", "subject_kind", "publication_consent"]
    search_fields = ["code", "search_key", "title"]
    date_hierarchy = "submitted_at"
    exclude = ["secret_hash", "search_key", "public_search_key", "last_reminder_key"]
    inlines = [FeedbackAttachmentInline, FeedbackEventInline]
    actions = ["accept_selected"]

    @admin.action(description=_("Receive the selected new feedback"))
    def accept_selected(self, request: Any, queryset: Any) -> None:
        done = 0
        for feedback in queryset:
            try:
                services.feedback_accept(actor=request.user, feedback=feedback)
                done += 1
            except MotcuaError as error:
                self.message_user(request, f"{feedback.code}: {error.message}", level=messages.ERROR)
        if done:
            self.message_user(request, _("%(count)d feedback received.") % {"count": done}, level=messages.SUCCESS)


@admin.register(FeedbackVote)
class FeedbackVoteAdmin(ReadOnlyAdmin):
    list_display = ["feedback", "value", "user", "created_at", "updated_at"]
    list_filter = ["value"]
    search_fields = ["feedback__code"]
