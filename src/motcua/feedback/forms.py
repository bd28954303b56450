"""Forms of the feedback pages. They only parse what a person typed; every rule (who, state, contact required,
files allowed) is the services' and comes back as ``core.exceptions`` errors that ``form_errors_apply`` places."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import MotcuaError
from motcua.feedback.models import SubjectKind


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented recipe); each is checked by the service."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


def form_errors_apply(form: forms.Form, error: MotcuaError, field_map: dict[str, str] | None = None) -> None:
    """Put a service's error on the form: each detail on its field when the form has it, else on top."""
    mapping = field_map or {}
    details = error.details if isinstance(error.details, dict) else {}
    placed = False
    for key, messages in details.items():
        if not isinstance(messages, str | list) and not isinstance(messages, Promise):
            continue
        texts = [str(message) for message in (messages if isinstance(messages, list) else [messages]) if message]
        if not texts or key.startswith("attachments."):
            continue  # one message per file is already under "attachments"
        name = mapping.get(key, key)
        if name in form.fields and name not in form.errors:
            form.add_error(name, texts)
        else:
            form.add_error(None, texts)
        placed = True
    if not placed:
        form.add_error(None, str(error.message))


# ------------------------------------------------------------------------------------------------------
# The public
# ------------------------------------------------------------------------------------------------------


class SubmitForm(forms.Form):
    subject_kind = forms.ChoiceField(
        label=_("What is your feedback about?"), choices=SubjectKind.choices, widget=forms.RadioSelect
    )
    procedure = forms.ChoiceField(
        label=_("Procedure"),
        required=False,
        help_text=_("For feedback about an administrative procedure."),
    )
    agency = forms.ChoiceField(
        label=_("Agency"), required=False, help_text=_("For feedback about how an agency works.")
    )
    dossier = forms.CharField(
        label=_("Dossier code"),
        required=False,
        max_length=60,
        help_text=_("For feedback about one of your dossiers: the code on its receipt."),
    )
    dossier_secret = forms.CharField(
        label=_("Lookup secret of the dossier"),
        required=False,
        max_length=40,
        help_text=_("Without an account: the lookup secret printed on the dossier's receipt proves it is yours."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    content = forms.CharField(
        label=_("Your feedback or recommendation"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 7}),
        help_text=_("What happened, where and when, and what you recommend."),
    )
    name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    phone = forms.CharField(
        label=_("Phone number"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel", "inputmode": "tel"}),
    )
    email = forms.CharField(
        label=_("E-mail"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    address = forms.CharField(label=_("Address"), max_length=300, required=False)
    publication_consent = forms.BooleanField(
        label=_("I agree that my question, without my personal data, is published with the answer"),
        required=False,
        help_text=_(
            "The agency publishes answers so that others with the same question find them. "
            "Your name, contact and personal details are never published."
        ),
    )
    attachments = MultipleFileField(
        label=_("Images or PDF documents"),
        help_text=_("Up to %(count)s files: PDF, JPEG or PNG."),
    )

    def __init__(
        self,
        *args: Any,
        procedures: list[tuple[str, str]],
        agencies: list[tuple[str, str]],
        is_signed_in: bool,
        attachments_max: int,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["procedure"].choices = [("", _("Choose a procedure")), *procedures]
        self.fields["agency"].choices = [("", _("Choose an agency")), *agencies]
        self.fields["attachments"].help_text = _("Up to %(count)s files: PDF, JPEG or PNG.") % {
            "count": attachments_max
        }
        if is_signed_in:
            del self.fields["dossier_secret"]
            self.fields["name"].help_text = _("From your account; change it if needed.")
        else:
            self.fields["name"].required = True
            self.fields["phone"].help_text = _(
                "Give a phone number or an e-mail address, so the agency can answer you."
            )


class FollowForm(forms.Form):
    code = forms.CharField(
        label=_("Feedback code"),
        max_length=20,
        help_text=_("For example PAKN-260302-0001."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    secret = forms.CharField(
        label=_("Lookup secret"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )


class SupplementForm(forms.Form):
    text = forms.CharField(
        label=_("The information asked for"), max_length=5000, widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = MultipleFileField(label=_("Images or PDF documents"))


class PublicSearchForm(forms.Form):
    q = forms.CharField(label=_("Search the answers"), required=False, max_length=100)
    agency = forms.ChoiceField(label=_("Agency"), required=False)
    procedure = forms.ChoiceField(label=_("Procedure"), required=False)
    field = forms.ChoiceField(label=_("Field"), required=False)

    def __init__(self, *args: Any, filters: dict[str, list[Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("All agencies")), *[(c.code, c.name) for c in filters["agencies"]]]
        self.fields["procedure"].choices = [
            ("", _("All procedures")),
            *[(c.code, c.name) for c in filters["procedures"]],
        ]
        self.fields["field"].choices = [("", _("All fields")), *[(c.code, c.name) for c in filters["fields"]]]


# ------------------------------------------------------------------------------------------------------
# Officials: one small form per action
# ------------------------------------------------------------------------------------------------------


class ActionForm(forms.Form):
    """What every action form carries: the status the official saw when the page was drawn."""

    seen_status = forms.CharField(widget=forms.HiddenInput, required=False)
    # Service error keys -> this form's field names.
    error_fields: dict[str, str] = {}

    def __init__(self, *args: Any, feedback: Any = None, **kwargs: Any) -> None:
        self.feedback = feedback
        super().__init__(*args, **kwargs)


class NoteForm(ActionForm):
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(ActionForm):
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class CloseForm(ActionForm):
    reason = forms.CharField(
        label=_("Why the answer is not published"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty when the submitter did not agree to publication."),
    )


class ForwardForm(ActionForm):
    agency = forms.ChoiceField(label=_("Competent agency"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, agencies: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agency"].choices = [("", _("Choose an agency")), *(agencies or [])]


class RequestInfoForm(ActionForm):
    question = forms.CharField(
        label=_("What the submitter should add"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The submitter reads this; the deadline of the answer is paused until they reply."),
    )


class AssignForm(ActionForm):
    assignee = forms.ChoiceField(label=_("Handler"))
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, officials: list[tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = [("", _("Choose a specialist or unit head")), *(officials or [])]


class AnswerForm(ActionForm):
    answer = forms.CharField(label=_("Answer"), max_length=10000, widget=forms.Textarea(attrs={"rows": 8}))
    published_title = forms.CharField(
        label=_("Title for publication"),
        required=False,
        max_length=200,
        help_text=_("Without personal data. Empty: the submitter's title."),
    )
    published_question = forms.CharField(
        label=_("Question for publication"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The question rewritten without names, numbers, addresses or anything that identifies a person."),
    )


class ApproveForm(ActionForm):
    answer = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Correct the wording if needed; the approved answer is sent to the submitter."),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class PublishForm(ActionForm):
    published_title = forms.CharField(label=_("Title for publication"), required=False, max_length=200)
    published_question = forms.CharField(
        label=_("Question for publication"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Check that nothing identifies the submitter or another person."),
    )
