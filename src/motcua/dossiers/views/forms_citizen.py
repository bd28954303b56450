"""Forms of the applicant's pages, built from a procedure version's form and dossier components.

These forms only read what the browser sent; the rules (required, patterns, personal ID checks,
conditional fields, file types and sizes) are the services' (``form_data_clean``, the files service),
whose messages are put back on the fields here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from motcua.procedures.content import Component, FormField

_AUTOCOMPLETE = {
    "full_name": "name",
    "phone": "tel",
    "email": "email",
    "address": "street-address",
}


def _widget(spec: FormField) -> forms.Widget:
    attrs: dict[str, Any] = {}
    if spec.max_length:
        attrs["maxlength"] = spec.max_length
    if spec.prefill in _AUTOCOMPLETE:
        attrs["autocomplete"] = _AUTOCOMPLETE[spec.prefill]
    if spec.type == "textarea":
        return forms.Textarea(attrs={**attrs, "rows": 4})
    if spec.type == "date":
        return forms.DateInput(attrs=attrs | {"type": "date"}, format="%Y-%m-%d")
    if spec.type == "number":
        return forms.NumberInput(attrs=attrs | {"inputmode": "decimal"})
    if spec.type == "email":
        return forms.EmailInput(attrs=attrs | {"autocomplete": "email", "spellcheck": "false"})
    if spec.type == "phone":
        return forms.TextInput(attrs=attrs | {"type": "tel", "autocomplete": "tel", "inputmode": "tel"})
    if spec.type == "personal_id":
        return forms.TextInput(
            attrs=attrs | {"inputmode": "numeric", "maxlength": 12, "spellcheck": "false", "autocomplete": "off"}
        )
    return forms.TextInput(attrs=attrs)


def _field(spec: FormField, *, labels: dict[str, FormField]) -> forms.Field:
    # A conditional field is required only when shown: the service decides, so the browser never blocks it.
    required = spec.required and not spec.show_if
    help_text = spec.help
    if spec.show_if:
        other = labels.get(spec.show_if.get("field", ""))
        expected = spec.show_if.get("equals", "")
        if other is not None:
            shown_value = expected
            if other.type == "select":
                shown_value = next((choice.name for choice in other.choices if choice.code == expected), expected)
            elif other.type == "checkbox":
                shown_value = str(_("ticked")) if expected in ("yes", "true") else str(_("not ticked"))
            condition = _("Only if “%(question)s” is “%(answer)s”.") % {
                "question": other.label,
                "answer": shown_value,
            }
            help_text = f"{condition} {help_text}".strip()
    common: dict[str, Any] = {"label": spec.label, "required": required, "help_text": help_text}
    if spec.type == "checkbox":
        return forms.BooleanField(**common)
    if spec.type == "select":
        choices = [("", _("Choose…")), *[(choice.code, choice.name) for choice in spec.choices]]
        return forms.ChoiceField(choices=choices, **common)
    if spec.type == "number":
        return forms.FloatField(widget=_widget(spec), **common)
    return forms.CharField(widget=_widget(spec), strip=True, **common)


class ComponentFileField(forms.FileField):
    """A file for a dossier component: shown as required when the paper is, but never demanded by the form,
    since an earlier document may be re-used instead or a file may already be chosen (the draft service
    says what is still missing)."""

    def validate(self, value: Any) -> None:
        if value in self.empty_values:
            return
        super().validate(value)


class ApplicationForm(forms.Form):
    """The procedure's own application form (``ProcedureContent.form_fields``)."""

    def __init__(self, *args: Any, form_fields: list[FormField], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = {spec.name: spec for spec in form_fields}
        for spec in form_fields:
            field = _field(spec, labels=self.specs)
            if spec.show_if:
                field.widget.attrs["data-show-if-field"] = spec.show_if.get("field", "")
                field.widget.attrs["data-show-if-equals"] = spec.show_if.get("equals", "")
            self.fields[spec.name] = field

    def service_data(self) -> dict[str, Any]:
        """What the applicant typed, in the types the form service expects (numbers as int when whole)."""
        data: dict[str, Any] = {}
        for name, spec in self.specs.items():
            if name in self.errors:
                continue
            value = self.cleaned_data.get(name)
            if spec.type == "number":
                if value is None:
                    continue
                value = int(value) if float(value).is_integer() else float(value)
            elif spec.type == "checkbox":
                value = bool(value)
            else:
                value = value or ""
            data[name] = value
        return data

    def add_service_errors(self, details: dict[str, Any]) -> None:
        """Put the service's ``form.<field>`` messages on the fields (once each), the rest on the form."""
        for key, messages in details.items():
            name = key.removeprefix("form.")
            for message in messages if isinstance(messages, list) else [messages]:
                if key.startswith("form.") and name in self.fields:
                    if name in self.errors and str(message) in self.errors[name]:
                        continue
                    self.add_error(name, str(message))
                else:
                    self.add_error(None, str(message))


class DocumentsForm(forms.Form):
    """Per dossier component: a new file, an earlier document to re-use, or removing the current one."""

    def __init__(
        self,
        *args: Any,
        components: list[Component],
        reusable_choices: list[tuple[str, str]],
        current: dict[str, dict[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.components = components
        for component in components:
            self.fields[f"file_{component.code}"] = ComponentFileField(
                label=_("Upload a file"),
                required=component.required and component.code not in current,
                help_text=_("PDF, JPEG or PNG."),
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png,application/pdf,image/*"}),
            )
            if component.reusable and reusable_choices:
                self.fields[f"reuse_{component.code}"] = forms.ChoiceField(
                    label=_("Or re-use a document you gave before"),
                    required=False,
                    choices=[("", _("Do not re-use")), *reusable_choices],
                    help_text=_("Documents and results of your earlier dossiers: no need to upload them again."),
                )
            if component.code in current:
                self.fields[f"remove_{component.code}"] = forms.BooleanField(
                    label=_("Remove the document chosen"), required=False
                )

    def chosen(self) -> tuple[dict[str, Any], dict[str, str], list[str]]:
        """(new files, re-uses, removals) keyed by component code."""
        uploads: dict[str, Any] = {}
        reuses: dict[str, str] = {}
        removed: list[str] = []
        for component in self.components:
            upload = self.cleaned_data.get(f"file_{component.code}")
            if upload:
                uploads[component.code] = upload
            reuse = self.cleaned_data.get(f"reuse_{component.code}")
            if reuse:
                reuses[component.code] = reuse
            if self.cleaned_data.get(f"remove_{component.code}"):
                removed.append(component.code)
        return uploads, reuses, removed

    def add_service_errors(self, details: dict[str, Any]) -> None:
        for key, messages in details.items():
            code = key.removeprefix("documents.").removeprefix("components.")
            target = f"file_{code}" if f"file_{code}" in self.fields else None
            for message in messages if isinstance(messages, list) else [messages]:
                self.add_error(target, str(message))


class SupplyForm(forms.Form):
    """The applicant's note with a supplement (the documents come in a ``DocumentsForm``)."""

    note = forms.CharField(
        label=_("Your answer"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Say what you add or correct."),
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you withdraw it?"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("Dossier code"),
        max_length=60,
        help_text=_("Printed on your receipt, e.g. 000.00.20.H49-260302-0007."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    secret = forms.CharField(
        label=_("Lookup secret"),
        max_length=40,
        help_text=_("The 10 letters and digits given to you with the dossier code."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How satisfied are you with how your dossier was handled?"),
        choices=[],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("What went well, or what should be better?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from motcua.dossiers.models import RatingScore

        super().__init__(*args, **kwargs)
        # Best first, as people read down the list.
        self.fields["score"].choices = sorted(RatingScore.choices, reverse=True)  # type: ignore[attr-defined]


class TrackRatingForm(TrackForm, RatingForm):
    """The rating of someone without an account: the receipt's code and secret travel with it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("code", "secret"):
            self.fields[name].widget = forms.HiddenInput()


class FeesForm(forms.Form):
    """The fees step: how many copies (when a line is priced per copy) and whether the applicant is in a group
    the procedure exempts (asked plainly; the one-stop desk checks the proof later)."""

    copies = forms.IntegerField(
        label=_("How many copies do you need?"),
        min_value=1,
        max_value=1000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    applicant_category = forms.ChoiceField(
        label=_("Are you in one of these groups?"),
        required=False,
        widget=forms.RadioSelect,
        help_text=_("People in these groups pay nothing for some lines. Bring the proof: the one-stop desk checks it."),
    )

    def __init__(self, *args: Any, categories: list[str], per_copy: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if per_copy:
            self.fields["copies"].help_text = _("Lines priced per copy are multiplied by this number.")
        else:
            del self.fields["copies"]
        if categories:
            field = self.fields["applicant_category"]
            assert isinstance(field, forms.ChoiceField)
            field.choices = [("", _("No, none of these")), *[(category, category) for category in categories]]
        else:
            del self.fields["applicant_category"]


class PayForm(forms.Form):
    """ "Pay online now": a random key put in the form when it is shown, so that pressing twice starts one payment."""

    idempotency_key = forms.CharField(max_length=200, widget=forms.HiddenInput)


class TrackPaymentForm(TrackForm):
    """Paying, or downloading a receipt, from the tracking page: the receipt's code and secret travel with it."""

    payment_request = forms.UUIDField(widget=forms.HiddenInput)
    idempotency_key = forms.CharField(max_length=200, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("code", "secret"):
            self.fields[name].widget = forms.HiddenInput()
