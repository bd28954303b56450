from django.contrib import admin

from motcua.core.admin_base import ServiceAdmin
from motcua.core.models import AuditEvent, CalendarDay
from motcua.core.services import calendar_day_delete, calendar_day_save


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["sequence", "occurred_at", "actor_label", "action", "object_type", "object_label"]
    list_filter = ["action", "object_type"]
    search_fields = ["object_id", "object_label", "actor_label", "request_id"]
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CalendarDay)
class CalendarDayAdmin(ServiceAdmin):
    list_display = ["date", "kind", "reason"]
    list_filter = ["kind"]
    date_hierarchy = "date"

    def get_readonly_fields(self, request, obj=None):
        # A day is identified by its date: to move it, delete it and declare the other day.
        return ["date"] if obj is not None else []

    def service_save(self, request, obj, form, change):
        date = obj.date if change else form.cleaned_data["date"]
        return calendar_day_save(
            actor=request.user, date=date, kind=form.cleaned_data["kind"], reason=form.cleaned_data["reason"]
        )

    closes_instead_of_deleting = False

    def service_delete(self, request, obj):
        calendar_day_delete(actor=request.user, date=obj.date)
