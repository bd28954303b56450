"""Forms of the officials' exchange pages: one per action, the services do the checking."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import MotcuaError
from motcua.exchange.vocabulary import Confidentiality, DocumentType, Priority, SignerCompetence, SteeringType

PIN_WIDGET = forms.PasswordInput(attrs={"autocomplete": "off", "inputmode": "text", "class": "input--short"})


def form_errors_apply(form: forms.Form, error: MotcuaError) -> None:
    """Put a service's error on the form: each detail on its field when the form has it, else on top."""
    details = error.details if isinstance(error.details, dict) else {}
    placed = False
    for key, messages in details.items():
        if not isinstance(messages, str | list | Promise):
            continue
        texts = [str(message) for message in (messages if isinstance(messages, list) else [messages]) if message]
        if not texts:
            continue
        if key in form.fields and key not in form.errors:
            form.add_error(key, texts)
        else:
            form.add_error(None, texts)
        placed = True
    if not placed:
        form.add_error(None, str(error.message))


class DraftForm(forms.Form):
    """A draft's fields (the recipients are chosen among the organisations the node directory reaches)."""

    organisation = forms.ChoiceField(label=_("Issuing organisation"))
    document_type = forms.ChoiceField(label=_("Document type"), choices=DocumentType.choices)
    subject = forms.CharField(label=_("Subject"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    content_summary = forms.CharField(
        label=_("Content summary"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notation = forms.CharField(
        label=_("Notation"),
        max_length=30,
        required=False,
        help_text=_("Leave empty to use the usual one (QĐ-UBND, UBND-VP)."),
    )
    drafting_unit = forms.ChoiceField(label=_("Drafting unit"), required=False)
    intended_signer = forms.ChoiceField(label=_("To be signed by"), required=False)
    signer_competence = forms.ChoiceField(
        label=_("Signing competence"), choices=SignerCompetence.choices, required=False
    )
    priority = forms.TypedChoiceField(label=_("Urgency"), choices=Priority.choices, coerce=int, initial=0)
    confidentiality = forms.ChoiceField(
        label=_("Confidentiality"),
        choices=Confidentiality.choices,
        initial=Confidentiality.NORMAL,
        help_text=_("Confidential documents are registered here but not sent electronically."),
    )
    steering_type = forms.TypedChoiceField(label=_("Steering"), choices=SteeringType.choices, coerce=int, initial=0)
    due_date = forms.DateField(label=_("Answer due by"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    recipients = forms.MultipleChoiceField(
        label=_("Recipients"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 10}),
        help_text=_("Agencies of this deployment and of the other nodes of the directory."),
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[Any],
        units: list[Any],
        leaders: list[Any],
        reachable: list[Any],
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.code, o.name) for o in organisations]
        if editing:
            self.fields["organisation"].disabled = True
            self.fields["organisation"].required = False
        self.fields["drafting_unit"].choices = [("", "—")] + [(str(u.pk), u.name) for u in units]
        self.fields["intended_signer"].choices = [("", _("Any leader"))] + [
            (str(u.pk), u.full_name or u.get_username()) for u in leaders
        ]
        groups: dict[str, list[tuple[str, str]]] = {}
        for item in reachable:
            groups.setdefault(item.node or "", []).append((item.code, f"{item.name} ({item.code})"))
        choices: list[Any] = []
        for node, options in sorted(groups.items()):
            label = str(_("This deployment")) if not node else str(_("Node %(node)s") % {"node": node})
            choices.append((label, options))
        self.fields["recipients"].choices = choices

    def service_data(self) -> dict[str, Any]:
        data = {key: value for key, value in self.cleaned_data.items() if key != "organisation"}
        return data


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("What should the drafter change?"), max_length=1000, widget=forms.Textarea(attrs={"rows": 3})
    )


class PinForm(forms.Form):
    pin = forms.CharField(label=_("PIN of your signing key"), max_length=64, widget=PIN_WIDGET)


class SealForm(forms.Form):
    pin = forms.CharField(label=_("PIN of the agency seal"), max_length=64, widget=PIN_WIDGET)


class BookChoiceForm(forms.Form):
    book = forms.ChoiceField(label=_("Book"), required=False)

    def __init__(self, *args: Any, books: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["book"].choices = [("", _("The default book"))] + [(str(b.pk), b.name) for b in books]


class RecallForm(SealForm):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class UpdateForm(SealForm):
    reason = forms.CharField(
        label=_("What the update changes"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    subject = forms.CharField(
        label=_("Subject"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    content_summary = forms.CharField(
        label=_("Content summary"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_date = forms.DateField(label=_("Answer due by"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    attachment = forms.FileField(label=_("Additional attachment"), required=False)


class FileForm(forms.Form):
    file = forms.FileField(label=_("File"))
    main = forms.BooleanField(label=_("This is the document's text (PDF)"), required=False)
    description = forms.CharField(label=_("Description"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(forms.Form):
    unit = forms.ChoiceField(label=_("Unit in charge"))
    assignee = forms.ChoiceField(label=_("Official in charge"), required=False)
    processing_due = forms.DateField(
        label=_("Processing due by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(
        label=_("Instructions"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, units: list[Any], officials: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(str(u.pk), u.name) for u in units]
        self.fields["assignee"].choices = [("", "—")] + [
            (str(u.pk), u.full_name or u.get_username()) for u in officials
        ]


class DecisionForm(forms.Form):
    request = forms.UUIDField(widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


class BookCreateForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Organisation"))
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("outgoing", _("Outgoing documents")), ("incoming", _("Incoming documents"))]
    )
    code = forms.CharField(label=_("Code"), max_length=20)
    name = forms.CharField(label=_("Name"), max_length=200)

    def __init__(self, *args: Any, organisations: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [(o.code, o.name) for o in organisations]
