"""A ModelAdmin whose saves go through a service: refusals become form errors and nothing is written."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError

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
