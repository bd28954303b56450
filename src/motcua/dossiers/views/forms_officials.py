"""Forms of the officials' pages: one small form per dossier action, the counter intake, the log book.

Forms only parse what a person typed; every rule (state, rights, reasons required, dates) is the
services' and comes back as ``core.exceptions`` errors that ``form_errors_apply`` puts on the form.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.core.exceptions import MotcuaError
from motcua.dossiers.models import ApplicantKind, Channel, ResultMethod
from motcua.dossiers.workflow import Action
from motcua.procedures.content import ProcedureContent


def lines(text: str) -> list[str]:
    """One item per non-empty line."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ActionForm(forms.Form):
    """What every action form carries: the state the official saw when the page was drawn."""

    seen_state = forms.CharField(widget=forms.HiddenInput, required=False)
    expected_step = forms.CharField(widget=forms.HiddenInput, required=False)
    # Service error keys (``details``) -> this form's field names.
    error_fields: dict[str, str] = {}

    def __init__(self, *args: Any, dossier: Any = None, **kwargs: Any) -> None:
        self.dossier = dossier
        super().__init__(*args, **kwargs)


class NoteForm(ActionForm):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonsForm(ActionForm):
    reasons = forms.CharField(
        label=_("Reasons"),
        help_text=_("One reason per line; they are printed on the form given to the applicant."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ReturnToStepForm(ActionForm):
    step_code = forms.ChoiceField(label=_("Return to step"))
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, steps: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["step_code"].choices = steps or []


class SupplementRequestForm(ActionForm):
    items = forms.CharField(
        label=_("What to add or correct"),
        help_text=_("One item per line."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class PaymentRequestForm(ActionForm):
    """The financial obligation: an amount, or lines chosen from the procedure's fees (one or the other)."""

    amount = forms.IntegerField(
        label=_("Amount (đồng)"),
        min_value=1,
        required=False,
        help_text=_("Or choose lines from the procedure's fees below."),
    )
    fee_codes = forms.MultipleChoiceField(
        label=_("Fee lines of the procedure"), required=False, widget=forms.CheckboxSelectMultiple
    )
    copies = forms.IntegerField(
        label=_("Copies"),
        min_value=1,
        max_value=1000,
        initial=1,
        required=False,
        help_text=_("For lines priced per copy."),
    )
    note = forms.CharField(
        label=_("What is to be paid"),
        required=False,
        max_length=300,
        help_text=_("Printed on the bill, e.g. the legal basis of the obligation."),
    )

    def __init__(self, *args: Any, content: ProcedureContent | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fees = list(content.fees) if content is not None else []
        field = self.fields["fee_codes"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = [(fee.code, f"{fee.name} ({fee.amount:,} đồng)".replace(",", ".")) for fee in fees]
        if not fees:
            del self.fields["fee_codes"]
            del self.fields["copies"]
            self.fields["amount"].required = True
            self.fields["amount"].help_text = ""


class PaymentRecordForm(ActionForm):
    """Money paid at the counter for the open bill (recorded by payments, with its receipt)."""

    amount = forms.IntegerField(label=_("Amount received (đồng)"), min_value=0)
    reference = forms.CharField(
        label=_("Paper receipt number"),
        required=False,
        max_length=50,
        help_text=_("Only if a paper receipt was given."),
    )
    error_fields = {"paper_receipt_number": "reference"}


class CounterPaymentForm(forms.Form):
    """Money paid at the counter for one bill of the dossier (the fees billed at application, for instance)."""

    amount = forms.IntegerField(label=_("Amount received (đồng)"), min_value=0)
    paper_receipt_number = forms.CharField(
        label=_("Paper receipt number"),
        max_length=50,
        required=False,
        help_text=_("Only if a paper receipt was given."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class OpinionRequestForm(ActionForm):
    organisation = forms.ModelChoiceField(
        label=_("Organisation asked"), queryset=Organisation.objects.none(), to_field_name="code"
    )
    question = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        queryset = Organisation.objects.filter(is_active=True, code__isnull=False).exclude(code="").order_by("name")
        if self.dossier is not None:
            queryset = queryset.exclude(pk=self.dossier.processing_organisation_id)
        field = self.fields["organisation"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = queryset


class OpinionAnswerForm(ActionForm):
    opinion_request = forms.UUIDField(widget=forms.HiddenInput)
    answer = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))


class DelayForm(ActionForm):
    new_date = forms.DateField(label=_("New appointment date"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason for the delay"), widget=forms.Textarea(attrs={"rows": 2}))
    error_fields = {"new_due_at": "new_date"}


class ApproveForm(NoteForm):
    """The approver's decision; an approver who holds a signing key signs the result document at once."""

    pin = forms.CharField(
        label=_("Signing PIN"),
        max_length=64,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
        help_text=_("Approving signs the result document with your certificate: enter the PIN of your signing key."),
    )

    def __init__(self, *args: Any, signs: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not signs:
            del self.fields["pin"]


class PinForm(ActionForm):
    """Signing with a key of the key store: its PIN, asked for every signature and never kept."""

    pin = forms.CharField(
        label=_("Signing PIN"),
        max_length=64,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "numeric"}),
    )


class ReturnResultForm(ActionForm):
    method = forms.ChoiceField(label=_("How the result is handed over"), choices=ResultMethod.choices)
    note = forms.CharField(label=_("Note"), required=False)


class SupplyForm(ActionForm):
    """A clerk hands in, at the counter, what the applicant brought to supplement the dossier."""

    note = forms.CharField(label=_("What was handed in"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, content: ProcedureContent | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.components = list(content.components) if content is not None else []
        for component in self.components:
            self.fields[f"file_{component.code}"] = forms.FileField(
                label=component.name, required=False, help_text=_("PDF, JPEG or PNG scan.")
            )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    Action.ACCEPT: NoteForm,
    Action.REFUSE_RECEIPT: ReasonsForm,
    Action.CLAIM: ActionForm,
    Action.FORWARD: NoteForm,
    Action.RETURN_TO_STEP: ReturnToStepForm,
    Action.REQUEST_SUPPLEMENT: SupplementRequestForm,
    Action.SUPPLY: SupplyForm,
    Action.REQUEST_PAYMENT: PaymentRequestForm,
    Action.RECORD_PAYMENT: PaymentRecordForm,
    Action.REQUEST_OPINION: OpinionRequestForm,
    Action.ANSWER_OPINION: OpinionAnswerForm,
    Action.ANNOUNCE_DELAY: DelayForm,
    Action.REFUSE: ReasonsForm,
    Action.STOP: ReasonForm,
    Action.APPROVE: ApproveForm,
    Action.SIGN_RESULT: PinForm,
    Action.SEAL_RESULT: PinForm,
    Action.RETURN_RESULT: ReturnResultForm,
}


def form_errors_apply(form: forms.Form, error: MotcuaError, field_map: dict[str, str] | None = None) -> None:
    """Put a service's error on the form: each detail on its field when the form has it, else on top."""
    mapping = {**getattr(form, "error_fields", {}), **(field_map or {})}
    details = error.details if isinstance(error.details, dict) else {}
    placed = False
    for key, messages in details.items():
        if not isinstance(messages, str | list) and not isinstance(messages, Promise):
            continue  # data for API clients (e.g. remaining_attempts), not a message
        texts = [str(message) for message in (messages if isinstance(messages, list) else [messages])]
        texts = [text for text in texts if text]
        if not texts:
            continue
        name = mapping.get(key, key)
        if name in form.fields and name not in form.errors:
            form.add_error(name, texts)
        else:
            label = key.split(".", 1)[-1] if "." in key else ""
            form.add_error(None, [f"{label}: {text}" if label and name not in form.fields else text for text in texts])
        placed = True
    if not placed:
        form.add_error(None, str(error.message))


# ------------------------------------------------------------------------------------------------------
# Counter intake
# ------------------------------------------------------------------------------------------------------


class CounterProcedureForm(forms.Form):
    """First step at the counter: which procedure, received at which desk."""

    organisation = forms.ChoiceField(label=_("Receiving desk"))
    procedure = forms.ChoiceField(label=_("Procedure"))

    def __init__(
        self, *args: Any, organisations: list[Organisation], procedures: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.code, o.name) for o in organisations]
        self.fields["procedure"].choices = [("", _("Choose a procedure")), *procedures]
        if len(organisations) == 1:
            self.fields["organisation"].widget = forms.HiddenInput()
            self.fields["organisation"].initial = organisations[0].code


class CounterIntakeForm(forms.Form):
    """The dossier brought to the counter: applicant, channel, the version's form and the scans."""

    applicant_kind = forms.ChoiceField(
        label=_("Applicant"), choices=ApplicantKind.choices, widget=forms.RadioSelect, initial=ApplicantKind.CITIZEN
    )
    applicant_full_name = forms.CharField(label=_("Full name or business name"), max_length=300)
    applicant_identifier = forms.CharField(
        label=_("Personal identification number or tax code"),
        max_length=20,
        help_text=_("12 digits for a citizen; 10 or 13 digits for a business."),
    )
    applicant_phone = forms.CharField(label=_("Phone number"), required=False, max_length=20)
    applicant_email = forms.EmailField(label=_("E-mail"), required=False)
    applicant_address = forms.CharField(label=_("Address"), required=False, max_length=300)
    channel = forms.TypedChoiceField(
        label=_("Channel"),
        coerce=int,
        choices=[(Channel.IN_PERSON.value, Channel.IN_PERSON.label), (Channel.POST.value, Channel.POST.label)],
        widget=forms.RadioSelect,
        initial=Channel.IN_PERSON.value,
    )
    error_fields = {
        "applicant.kind": "applicant_kind",
        "applicant.full_name": "applicant_full_name",
        "applicant.identifier": "applicant_identifier",
    }

    def __init__(self, *args: Any, content: ProcedureContent, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.content = content
        self.form_field_names: list[str] = []
        for field in content.form_fields:
            name = f"form_{field.name}"
            self.form_field_names.append(name)
            self.error_fields[f"form.{field.name}"] = name
            self.fields[name] = self._form_field(field)
        self.component_fields: list[tuple[Any, str, str]] = []
        for component in content.components:
            file_name, paper_name = f"file_{component.code}", f"paper_{component.code}"
            self.fields[file_name] = forms.FileField(
                label=component.name,
                required=False,
                help_text=_("PDF, JPEG or PNG scan."),
            )
            self.fields[paper_name] = forms.BooleanField(label=_("Received on paper only"), required=False)
            self.error_fields[f"components.{component.code}"] = file_name
            self.component_fields.append((component, file_name, paper_name))

    @staticmethod
    def _form_field(field: Any) -> forms.Field:
        hint = field.help or ""
        if field.show_if:
            hint = (hint + " " if hint else "") + str(
                _("Only when “%(field)s” is “%(value)s”.")
                % {"field": field.show_if.get("field", ""), "value": field.show_if.get("equals", "")}
            )
        common: dict[str, Any] = {"label": field.label, "required": False, "help_text": hint}
        if field.type == "checkbox":
            return forms.BooleanField(**common)
        if field.type == "select":
            choices = [("", "—"), *((choice.code, choice.name) for choice in field.choices)]
            return forms.ChoiceField(choices=choices, **common)
        if field.type == "textarea":
            return forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
        if field.type == "date":
            return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        if field.type == "number":
            return forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
        input_type = {"email": "email", "phone": "tel"}.get(field.type, "text")
        attrs: dict[str, Any] = {"type": input_type}
        if field.type in ("personal_id", "phone"):
            attrs["inputmode"] = "numeric"
        return forms.CharField(widget=forms.TextInput(attrs=attrs), **common)

    def form_data(self) -> dict[str, Any]:
        """The application form as the services expect it (only fields that were filled)."""
        data: dict[str, Any] = {}
        for field in self.content.form_fields:
            value = self.cleaned_data.get(f"form_{field.name}")
            if field.type == "checkbox":
                data[field.name] = bool(value)
                continue
            if value in (None, ""):
                continue
            if field.type == "number":
                try:
                    number = float(str(value).replace(",", "."))
                    data[field.name] = int(number) if number.is_integer() else number
                except ValueError:
                    data[field.name] = str(value)
                continue
            data[field.name] = str(value)
        return data

    def applicant(self) -> dict[str, Any]:
        return {
            "kind": self.cleaned_data["applicant_kind"],
            "full_name": self.cleaned_data["applicant_full_name"],
            "identifier": self.cleaned_data["applicant_identifier"],
            "phone": self.cleaned_data.get("applicant_phone", ""),
            "email": self.cleaned_data.get("applicant_email", ""),
            "address": self.cleaned_data.get("applicant_address", ""),
        }


class LogBookForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Organisation"))
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, organisations: list[Organisation], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.code, o.name) for o in organisations]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date):
            if end < start:
                self.add_error("end", _("The end date cannot be before the start date."))
            elif (end - start).days > 366:
                self.add_error("end", _("Choose a period of at most one year."))
        return cleaned
