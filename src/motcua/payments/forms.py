"""Forms of the payment pages (parsing only; the services decide)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class StartForm(forms.Form):
    # A random key put in the form when it is shown: pressing "Pay" twice starts one payment.
    idempotency_key = forms.CharField(max_length=200, widget=forms.HiddenInput)
    gateway = forms.CharField(max_length=30, required=False, widget=forms.HiddenInput)


class CounterPaymentForm(forms.Form):
    amount = forms.IntegerField(label=_("Amount received (đồng)"), min_value=1)
    paper_receipt_number = forms.CharField(
        label=_("Paper receipt number"),
        max_length=50,
        required=False,
        help_text=_("Only if a paper receipt was given."),
    )
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))


class ReconciliationRunForm(forms.Form):
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}))
