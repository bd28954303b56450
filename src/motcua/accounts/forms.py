"""Forms of the account pages. Attributes help browsers, password managers and assistive technology."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false", "autofocus": True}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


def _code_widget(*, max_length: int) -> forms.TextInput:
    return forms.TextInput(
        attrs={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "pattern": "[0-9 ]*",
            "maxlength": max_length,
            "spellcheck": "false",
            "class": "input--code",
        }
    )


class TotpConfirmForm(forms.Form):
    token = forms.CharField(
        label=_("Code from the app"),
        help_text=_("Enter the 6-digit code that your authenticator app shows now."),
        max_length=8,
        widget=_code_widget(max_length=8),
    )


class SecondFactorVerifyForm(forms.Form):
    """A code from the app, or else one of the backup codes (letters and digits, so a separate field)."""

    token = forms.CharField(
        label=_("Code from the app"),
        help_text=_("The 6-digit code that your authenticator app shows now."),
        max_length=8,
        required=False,
        widget=_code_widget(max_length=8),
    )
    backup_code = forms.CharField(
        label=_("Or a backup code"),
        help_text=_("If you do not have your phone: one of the backup codes you saved. Each works once."),
        max_length=20,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false", "class": "input--code"}
        ),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("token") and not cleaned.get("backup_code"):
            self.add_error("token", _("Enter the code from your app or a backup code."))
        return cleaned

    @property
    def code(self) -> str:
        return str(self.cleaned_data.get("token") or self.cleaned_data.get("backup_code") or "")


class PreferencesForm(forms.Form):
    preferred_language = forms.ChoiceField(label=_("Preferred language"), choices=lambda: list(settings.LANGUAGES))
