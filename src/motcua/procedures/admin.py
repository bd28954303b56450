"""Admin screens of the procedure catalogue; every change goes through the services.

A procedure's draft is edited in one form: plain fields for what is said once (name, field, level, time...)
and YAML lists for the components, fees, form fields and internal workflow, with an example in each hint.
Publishing (the "Publish the draft" action) validates the whole definition and freezes a new version.
"""

from __future__ import annotations

from typing import Any

import yaml
from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from motcua.core.admin_base import ServiceAdmin
from motcua.core.exceptions import MotcuaError
from motcua.procedures import services
from motcua.procedures.models import Procedure, ProcedureVersion

LIST_FIELDS = ("components", "fees", "form_fields", "workflow")
LINE_FIELDS = ("receiving_organisation_codes", "legal_bases")
TEXT_FIELDS = ("name", "implementing_organisation_code", "result_name", "result_template", "plain_guide")
OPTIONAL_TEXT_FIELDS = ("who_can_apply", "notes")
LIST_EXAMPLES = {
    "components": "- {code: TK, name: Tờ khai, originals: 1, copies: 0, required: true, reusable: false}",
    "fees": "- {code: LP, name: Lệ phí, kind: charge, amount: 50000, basis: fixed, exempt_categories: []}",
    "form_fields": "- {name: full_name, label: Họ tên, type: text, required: true, prefill: full_name}",
    "workflow": "- {code: TN, name: Tiếp nhận, role: one_stop_clerk, allotted_hours: 4}",
}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ProcedureDraftForm(forms.ModelForm):
    code = forms.CharField(label=_("national code"), max_length=40, help_text=_("For example 1.001193."))
    name = forms.CharField(label=_("name"), max_length=500, widget=forms.TextInput(attrs={"size": 80}))
    field_code = forms.CharField(label=_("field code"), max_length=40, required=False)
    field_name = forms.CharField(label=_("field"), max_length=300, required=False)
    level = forms.ChoiceField(label=_("level"), choices=Procedure.Level.choices)
    online_level = forms.ChoiceField(label=_("online service level"), choices=Procedure.OnlineLevel.choices)
    implementing_organisation_code = forms.CharField(
        label=_("implementing organisation"), help_text=_("Electronic code, for example 000.00.01.H49.")
    )
    receiving_organisation_codes = forms.CharField(
        label=_("receiving places"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Electronic codes, one a line; empty: the implementing organisation."),
    )
    applicant_kinds = forms.MultipleChoiceField(
        label=_("who may apply"),
        choices=[("citizen", _("Citizens")), ("business", _("Businesses and organisations"))],
        widget=forms.CheckboxSelectMultiple,
    )
    processing_hours = forms.FloatField(
        label=_("statutory processing time (working hours)"),
        min_value=0,
        help_text=_("8 working hours make one working day; the workflow steps must add up to this time."),
    )
    legal_bases = forms.CharField(
        label=_("legal bases"), required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("One a line.")
    )
    result_kind = forms.ChoiceField(
        label=_("result"),
        choices=[("electronic", _("Electronic")), ("paper", _("Paper")), ("both", _("Electronic and paper"))],
    )
    result_name = forms.CharField(label=_("result document"), required=False)
    result_template = forms.CharField(
        label=_("result template"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    plain_guide = forms.CharField(
        label=_("guide in plain words"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    who_can_apply = forms.CharField(label=_("who can apply"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    notes = forms.CharField(label=_("editors' notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    components = forms.CharField(label=_("dossier components (YAML list)"), required=False, widget=forms.Textarea)
    fees = forms.CharField(label=_("fees and charges (YAML list)"), required=False, widget=forms.Textarea)
    fees_refunded_on_refusal = forms.BooleanField(
        label=_("fees refunded if the dossier is refused"),
        required=False,
        help_text=_(
            "Tick when the fees' legal basis says that what was paid is given back when the dossier is refused."
        ),
    )
    form_fields = forms.CharField(label=_("application form fields (YAML list)"), required=False, widget=forms.Textarea)
    workflow = forms.CharField(label=_("internal workflow steps (YAML list)"), widget=forms.Textarea)

    class Meta:
        model = Procedure
        fields: list[str] = []

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, example in LIST_EXAMPLES.items():
            self.fields[name].help_text = _("For example: %(example)s") % {"example": example}
        existing = not self.instance._state.adding  # (a new instance already has its UUID)
        draft = self.instance.draft if existing else {}
        if existing:
            self.fields["code"].disabled = True
            self.initial["code"] = self.instance.code
        self.initial.setdefault("applicant_kinds", ["citizen"])
        self.initial.setdefault("result_kind", "both")
        for name in (
            *TEXT_FIELDS,
            *OPTIONAL_TEXT_FIELDS,
            "level",
            "online_level",
            "processing_hours",
            "result_kind",
            "fees_refunded_on_refusal",
        ):
            if name in draft:
                self.initial[name] = draft[name]
        if isinstance(draft.get("field"), dict):
            self.initial["field_code"] = draft["field"].get("code", "")
            self.initial["field_name"] = draft["field"].get("name", "")
        for name in LINE_FIELDS:
            if isinstance(draft.get(name), list):
                self.initial[name] = "\n".join(str(item) for item in draft[name])
        if isinstance(draft.get("applicant_kinds"), list):
            self.initial["applicant_kinds"] = draft["applicant_kinds"]
        for name in LIST_FIELDS:
            if draft.get(name):
                self.initial[name] = yaml.safe_dump(draft[name], allow_unicode=True, sort_keys=False, width=200)

    def _clean_list(self, name: str) -> list[Any]:
        try:
            value = yaml.safe_load(self.cleaned_data.get(name) or "") or []
        except yaml.YAMLError as error:
            raise ValidationError(_("This is not valid YAML: %(error)s") % {"error": error}) from error
        if not isinstance(value, list):
            raise ValidationError(_("Write a list: each item on a line starting with “- ”."))
        return value

    def clean_components(self) -> list[Any]:
        return self._clean_list("components")

    def clean_fees(self) -> list[Any]:
        return self._clean_list("fees")

    def clean_form_fields(self) -> list[Any]:
        return self._clean_list("form_fields")

    def clean_workflow(self) -> list[Any]:
        return self._clean_list("workflow")

    def definition(self) -> dict[str, Any]:
        data = self.cleaned_data
        definition: dict[str, Any] = {name: data.get(name) or "" for name in (*TEXT_FIELDS, *OPTIONAL_TEXT_FIELDS)}
        definition.update(
            {
                "code": data.get("code") or self.instance.code,
                "field": {"code": data.get("field_code") or "", "name": data.get("field_name") or ""},
                "level": data.get("level"),
                "online_level": data.get("online_level"),
                "applicant_kinds": data.get("applicant_kinds") or [],
                "processing_hours": data.get("processing_hours"),
                "result_kind": data.get("result_kind"),
                "fees_refunded_on_refusal": bool(data.get("fees_refunded_on_refusal")),
            }
        )
        for name in LINE_FIELDS:
            definition[name] = _lines(data.get(name) or "")
        for name in LIST_FIELDS:
            definition[name] = data.get(name) or []
        return definition


def _form_target(form: forms.Form, key: str) -> str | None:
    field_name = key.split("[", 1)[0].split(".", 1)[0]
    if field_name == "field":
        return "field_code"
    return field_name if field_name in form.fields else None


def _on_form_fields(form: forms.Form, error: MotcuaError) -> MotcuaError:
    details = error.details if isinstance(error.details, dict) else {}
    mapped: dict[str, list[str]] = {}
    for key, field_messages in details.items():
        target = _form_target(form, key) or "__all__"
        for message in field_messages if isinstance(field_messages, list) else [field_messages]:
            mapped.setdefault(target, []).append(str(message) if target == key else f"{key}: {message}")
    return type(error)(error.message, code=error.code, details=mapped)


def _problems_text(error: MotcuaError) -> str:
    details = error.details if isinstance(error.details, dict) else {}
    parts = [f"{key}: {'; '.join(str(m) for m in messages)}" for key, messages in details.items()]
    return " ".join([str(error.message), *parts])


@admin.register(Procedure)
class ProcedureAdmin(ServiceAdmin):
    form = ProcedureDraftForm
    list_display = [
        "code",
        "name",
        "level",
        "online_level",
        "implementing_organisation",
        "current_version",
        "is_active",
    ]
    list_filter = ["level", "online_level", "is_active"]
    search_fields = ["code", "name", "search_key"]
    readonly_fields = ["current_version", "is_active"]
    actions = ["publish_drafts", "withdraw"]
    fieldsets = [
        (None, {"fields": ["code", "name", ("field_code", "field_name"), ("level", "online_level")]}),
        (
            _("Who, where and when"),
            {
                "fields": [
                    "implementing_organisation_code",
                    "receiving_organisation_codes",
                    "applicant_kinds",
                    "who_can_apply",
                    "processing_hours",
                ]
            },
        ),
        (
            _("Dossier, fees and result"),
            {
                "fields": [
                    "components",
                    "fees",
                    "fees_refunded_on_refusal",
                    "result_kind",
                    "result_name",
                    "result_template",
                ]
            },
        ),
        (_("Application form and internal workflow"), {"fields": ["form_fields", "workflow"]}),
        (_("Guide and legal bases"), {"fields": ["plain_guide", "legal_bases", "notes"]}),
        (_("Publication"), {"fields": ["current_version", "is_active"]}),
    ]

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def service_save(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        try:
            if change:
                return services.procedure_update_draft(
                    actor=request.user, procedure=Procedure.objects.get(pk=obj.pk), definition=form.definition()
                )
            return services.procedure_create(
                actor=request.user, code=form.cleaned_data["code"], definition=form.definition()
            )
        except MotcuaError as error:
            # Problems of list items ("workflow[2].allotted_hours") are shown on the list's field.
            raise _on_form_fields(form, error) from error

    def save_related(self, request, form, formsets, change):  # type: ignore[no-untyped-def]
        """The many-to-many receiving places follow publication, not the form."""

    @admin.action(description=_("Publish the draft as a new version"))
    def publish_drafts(self, request, queryset):  # type: ignore[no-untyped-def]
        for procedure in queryset:
            previous = procedure.current_version_id
            try:
                version = services.procedure_publish(actor=request.user, procedure=procedure)
            except MotcuaError as error:
                messages.error(request, f"{procedure.code}: {_problems_text(error)}")
                continue
            if version.pk == previous:
                messages.info(
                    request,
                    _("%(code)s: the draft is the current version; nothing to publish.") % {"code": procedure.code},
                )
            else:
                messages.success(
                    request,
                    _("%(code)s: version %(number)s published.") % {"code": procedure.code, "number": version.number},
                )

    @admin.action(description=_("Withdraw from the catalogue"))
    def withdraw(self, request, queryset):  # type: ignore[no-untyped-def]
        withdrawn = 0
        for procedure in queryset:
            try:
                services.procedure_deactivate(actor=request.user, procedure=procedure)
                withdrawn += 1
            except MotcuaError as error:
                messages.error(request, f"{procedure.code}: {error.message}")
        if withdrawn:
            messages.success(
                request,
                ngettext("%(count)s procedure withdrawn.", "%(count)s procedures withdrawn.", withdrawn)
                % {"count": withdrawn},
            )


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(admin.ModelAdmin):
    """Published versions are immutable: they can be read, never changed."""

    list_display = ["procedure", "number", "published_at"]
    search_fields = ["procedure__code", "procedure__name"]
    readonly_fields = ["procedure", "number", "published_at", "content"]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
