"""A ModelAdmin whose saves go through a service: refusals become form errors and nothing is written."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from motcua.core.exceptions import MotcuaError


def _adopt(form_instance: Any, saved: Any) -> None:
    # The admin goes on to log and redirect with the object it built; give it the saved row's identity.
    form_instance.pk = saved.pk
    form_instance._state.adding = False
    for field in saved._meta.concrete_fields:
        setattr(form_instance, field.attname, getattr(saved, field.attname))


class ServiceAdmin(admin.ModelAdmin):
    """Turns service errors into form errors, so nothing is written behind the rules' back."""

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # bulk deletes would bypass the services
        return actions

    def get_form(self, request, obj=None, change=False, **kwargs):
        form_class = super().get_form(request, obj, change, **kwargs)
        model_admin = self

        class ServiceForm(form_class):  # type: ignore[misc, valid-type]
            def _post_clean(self) -> None:
                super()._post_clean()
                if self.errors:
                    return
                try:
                    self._saved = model_admin.service_save(request, self.instance, self, change)
                except MotcuaError as error:
                    details = error.details if isinstance(error.details, dict) else {}
                    for field_name, field_messages in details.items():
                        target = field_name if field_name in self.fields else None
                        for message in field_messages if isinstance(field_messages, list) else [field_messages]:
                            self.add_error(target, ValidationError(str(message)))
                    if not details:
                        self.add_error(None, ValidationError(str(error.message)))

        return ServiceForm

    def save_model(self, request, obj, form, change):
        # The service already ran (and wrote) during validation, in the admin's request transaction.
        _adopt(obj, form._saved)

    def save_related(self, request, form, formsets, change):
        """No many-to-many fields here; nothing else to save."""

    def service_save(self, request, obj, form, change):  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    # Deleting goes through a service too (rows are usually closed, not removed). A refusal rolls back the
    # admin's own log entry and shows the service's reason on the object's page instead of "deleted".

    # False where the service really deletes the row (Django's own "deleted" message is then right).
    closes_instead_of_deleting = True

    def service_delete(self, request, obj):  # pragma: no cover - defined by subclasses that allow deleting
        raise NotImplementedError

    def delete_model(self, request, obj):
        try:
            self.service_delete(request, obj)
        except MotcuaError as error:
            transaction.set_rollback(True)  # the change-log entry Django wrote just before
            request._motcua_delete_refused = str(error.message)

    def response_delete(self, request, obj_display, obj_id):
        refusal = getattr(request, "_motcua_delete_refused", None)
        if refusal is None and not self.closes_instead_of_deleting:
            return super().response_delete(request, obj_display, obj_id)
        if refusal is None:
            done = _("“%(object)s” was closed; it stays in the records.") % {"object": obj_display}
            self.message_user(request, done, messages.SUCCESS)
            opts = self.opts
            return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        self.message_user(request, refusal, messages.ERROR)
        opts = self.opts
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj_id]))
