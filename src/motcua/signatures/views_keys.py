"""Officials' pages for their signing keys, at /signatures/keys/.

``/signatures/keys/``: the official's own personal keys and the agency seals they may apply (through their
positions), with what matters before signing: validity, revocation, where the key is kept, whether wrong PINs
locked it. There they change the PIN of their own software key and import their own key from a PKCS#12 file.

``/signatures/keys/organisation/<code>/``: for the organisation's administrators and platform administrators
(``keys.access.may_manage``): its seals and its officials' keys, importing a seal, unblocking a locked key.

Every change goes through ``signatures.keys`` (the services check who may and write the audit trail); these
pages parse the forms and turn the services' errors into form errors (status 422). Officials only, behind
the second factor like every official page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.x509.oid import NameOID
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import filesizeformat
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from motcua.agencies.models import Organisation, Role
from motcua.agencies.selectors import organisation_get, position_active_list, position_list, user_has_role
from motcua.core.exceptions import MotcuaError, NotFound, PermissionDenied
from motcua.signatures.keys import (
    MAX_WRONG_PINS,
    PIN_MAX_LENGTH,
    PIN_MIN_LENGTH,
    signing_key_change_pin,
    signing_key_import,
    signing_key_unblock,
)
from motcua.signatures.keys.access import SEAL_ROLES, may_manage, may_use, organisation_of
from motcua.signatures.keys.files import MAX_FILE_BYTES
from motcua.signatures.keys.inventory import certificate_of
from motcua.signatures.models import Certificate, SigningKey

EXPIRY_WARNING_DAYS = 30
# Service error codes that concern the file's password rather than the file itself.
PASSWORD_CODES = frozenset({"key_file_wrong_password", "key_file_password_required"})
# Names for attributes that Vietnamese certificates carry and RFC 4514 leaves as dotted numbers.
_ATTRIBUTE_NAMES = {
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.TITLE: "title",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.EMAIL_ADDRESS: "emailAddress",
}
PIN_PARAMETERS = ("old_pin", "new_pin", "new_pin_confirmation", "password", "pin", "pin_confirmation")


# ------------------------------------------------------------------------------------------------------
# Forms
# ------------------------------------------------------------------------------------------------------


def _pin_rules() -> str:
    return _("%(minimum)d to %(maximum)d characters: digits, Latin letters or punctuation, without spaces.") % {
        "minimum": PIN_MIN_LENGTH,
        "maximum": PIN_MAX_LENGTH,
    }


def _pin_field(label: Any, *, autocomplete: str = "new-password") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        max_length=100,
        widget=forms.PasswordInput(attrs={"autocomplete": autocomplete, "spellcheck": "false"}),
    )


class _NewPinForm(forms.Form):
    """A form with a new PIN typed twice; the rules themselves are the service's (``pin_validate``), shown as
    the field's help."""

    pin_name = "pin"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields[self.pin_name].help_text = _pin_rules()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        pin = cleaned.get(self.pin_name)
        confirmation = cleaned.get(f"{self.pin_name}_confirmation")
        if pin and confirmation is not None and pin != confirmation:
            self.add_error(f"{self.pin_name}_confirmation", _("The two PINs you typed are not the same."))
        return cleaned


class PinChangeForm(_NewPinForm):
    pin_name = "new_pin"

    old_pin = _pin_field(gettext_lazy("Current PIN"), autocomplete="current-password")
    new_pin = _pin_field(gettext_lazy("New PIN"))
    new_pin_confirmation = _pin_field(gettext_lazy("New PIN again"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_pin"].help_text = _(
            "Wrong PINs count here as they do when signing: after %(count)d in a row the key is locked."
        ) % {"count": MAX_WRONG_PINS}


class KeyImportForm(_NewPinForm):
    """A PKCS#12 file (.p12, .pfx) with the certificate, its key and chain, and a PIN to keep the key under."""

    file = forms.FileField(
        label=gettext_lazy("Key file (PKCS#12: .p12 or .pfx)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".p12,.pfx,application/x-pkcs12"}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password of the file"),
        required=False,
        strip=False,
        max_length=200,
        help_text=gettext_lazy("The password chosen when the file was exported; leave empty if it has none."),
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    pin = _pin_field(gettext_lazy("PIN for signing with this key"))
    pin_confirmation = _pin_field(gettext_lazy("PIN again"))
    label = forms.CharField(
        label=gettext_lazy("Name of the key"),
        required=False,
        max_length=200,
        help_text=gettext_lazy("To tell your keys apart; the certificate's name by default."),
    )

    def __init__(self, *args: Any, organisations: list[Organisation] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.organisations: dict[str, Organisation] = {}
        self.fields["file"].help_text = _(
            "At most %(limit)s. The file is read once and not kept: only the key, encrypted under your PIN, is."
        ) % {"limit": filesizeformat(MAX_FILE_BYTES)}
        if organisations is not None:
            self.organisations = {organisation.code or "": organisation for organisation in organisations}
            self.fields["organisation"] = forms.ChoiceField(
                label=_("Organisation you sign for"),
                choices=[(organisation.code, organisation.name) for organisation in organisations],
                help_text=_("The organisation named in the certificate; its administrators can unblock the key."),
            )
            # Drawn in field order: the organisation belongs with the file, before the PIN.
            self.order_fields(["file", "password", "organisation", "pin", "pin_confirmation", "label"])

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            limit = filesizeformat(MAX_FILE_BYTES)
            raise forms.ValidationError(
                _("The file is too large: a key file has at most %(limit)s.") % {"limit": limit}, code="too_large"
            )
        return upload


def _errors_apply(form: forms.Form, error: MotcuaError, field_map: dict[str, str]) -> None:
    """Put a service's error on the form: the details it names on their fields, the message on top otherwise.

    Only the details listed in ``field_map`` are messages (others are values: a reason code, a count).
    """
    details = error.details if isinstance(error.details, dict) else {}
    placed = False
    if error.code in PASSWORD_CODES and "password" in form.fields:
        form.add_error("password", str(error.message))
        return
    for key, value in details.items():
        name = field_map.get(key)
        if name is None or name not in form.fields or name in form.errors:
            continue
        texts = [str(text) for text in (value if isinstance(value, list) else [value]) if text]
        if texts:
            form.add_error(name, texts)
            placed = True
    if not placed:
        form.add_error(None, str(error.message))


# ------------------------------------------------------------------------------------------------------
# What the pages show of a key
# ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    key: SigningKey
    subject: str
    issuer: str
    validity: str  # "valid", "expiring", "expired", "not_yet_valid"
    days_left: int
    may_change_pin: bool = False
    may_unblock: bool = False

    @property
    def certificate(self) -> Certificate:
        return self.key.certificate


def _names(row: Certificate) -> tuple[str, str]:
    """The subject's and issuer's distinguished names as written in the certificate."""
    try:
        certificate = certificate_of(row)
    except ValueError:  # a row without a readable PEM: show what the inventory knows
        return row.subject_common_name, ""
    return (
        certificate.subject.rfc4514_string(_ATTRIBUTE_NAMES),
        certificate.issuer.rfc4514_string(_ATTRIBUTE_NAMES),
    )


def _validity(row: Certificate, now: dt.datetime) -> tuple[str, int]:
    days_left = (row.not_after - now).days
    if row.not_after <= now:
        return "expired", days_left
    if row.not_before > now:
        return "not_yet_valid", days_left
    if row.not_after <= now + dt.timedelta(days=EXPIRY_WARNING_DAYS):
        return "expiring", days_left
    return "valid", days_left


def _present(key: SigningKey, *, now: dt.datetime, **flags: bool) -> KeyRow:
    subject, issuer = _names(key.certificate)
    validity, days_left = _validity(key.certificate, now)
    return KeyRow(key=key, subject=subject, issuer=issuer, validity=validity, days_left=days_left, **flags)


def _keys() -> QuerySet[SigningKey]:
    return SigningKey.objects.select_related(
        "certificate", "certificate__holder", "certificate__organisation"
    ).order_by("-certificate__not_after", "created_at")


def _belongs_to(organisation: Organisation) -> Q:
    """Certificates of an organisation: by the recorded organisation or by its electronic code."""
    condition = Q(certificate__organisation=organisation)
    if organisation.code:
        condition |= Q(certificate__organisation_code=organisation.code)
    return condition


def _own_keys(user: Any) -> QuerySet[SigningKey]:
    return _keys().filter(certificate__kind=Certificate.Kind.PERSONAL, certificate__holder=user)


def _seal_keys_usable(user: Any) -> list[SigningKey]:
    """The seals of the organisations where the official holds a sealing role (``access.may_use`` decides)."""
    organisations = [position.organisation for position in position_active_list(user=user).filter(role__in=SEAL_ROLES)]
    if not organisations:
        return []
    condition = Q(pk__in=[])
    for organisation in {organisation.pk: organisation for organisation in organisations}.values():
        condition |= _belongs_to(organisation)
    rows = _keys().filter(certificate__kind=Certificate.Kind.AGENCY_SEAL).filter(condition)
    return [row for row in rows if may_use(user, row.certificate)]


def _is_software_own(user: Any, key: SigningKey) -> bool:
    return (
        key.storage == SigningKey.Storage.SOFTWARE
        and key.certificate.kind == Certificate.Kind.PERSONAL
        and key.certificate.holder_id == user.pk
    )


def _managed_organisations(user: Any) -> list[Organisation]:
    """Organisations where the official is an agency administrator (platform administrators reach any by code)."""
    positions = position_active_list(user=user).filter(role=Role.AGENCY_ADMIN)
    unique = {position.organisation_id: position.organisation for position in positions}
    return sorted(unique.values(), key=lambda organisation: organisation.name)


# ------------------------------------------------------------------------------------------------------
# Access
# ------------------------------------------------------------------------------------------------------


def _require_official(request: HttpRequest) -> None:
    user = request.user
    if not (getattr(user, "is_official", False) or getattr(user, "is_superuser", False)):
        raise DjangoPermissionDenied


def _own_software_key(request: HttpRequest, key_id: uuid.UUID) -> SigningKey:
    """One's own software key; anybody else's is "not found"."""
    key = _own_keys(request.user).filter(pk=key_id).first()
    if key is None or not _is_software_own(request.user, key):
        raise Http404
    return key


def _managed_organisation(request: HttpRequest, code: str) -> Organisation:
    _require_official(request)
    try:
        organisation = organisation_get(code_or_id=code)
    except NotFound as error:
        raise Http404(str(error.message)) from error
    if not may_manage(request.user, organisation):
        raise DjangoPermissionDenied
    return organisation


def _organisation_keys(user: Any, organisation: Organisation) -> tuple[QuerySet[SigningKey], QuerySet[SigningKey]]:
    """The organisation's seals, and the personal keys of its staff or recorded for it."""
    seals = _keys().filter(certificate__kind=Certificate.Kind.AGENCY_SEAL).filter(_belongs_to(organisation))
    staff = position_list(user=user, organisation=organisation).values_list("user_id", flat=True)
    personal = (
        _keys()
        .filter(certificate__kind=Certificate.Kind.PERSONAL)
        .filter(Q(certificate__holder_id__in=list(staff)) | _belongs_to(organisation))
    )
    return seals, personal


# ------------------------------------------------------------------------------------------------------
# The official's own keys
# ------------------------------------------------------------------------------------------------------


@never_cache
@require_GET
@login_required
def keys_mine(request: HttpRequest) -> HttpResponse:
    """The official's own personal keys and the seals they may apply, with warnings before they fail."""
    _require_official(request)
    user = request.user
    now = timezone.now()
    own = [_present(key, now=now, may_change_pin=_is_software_own(user, key)) for key in _own_keys(user)]
    seals = [_present(key, now=now) for key in _seal_keys_usable(user)]
    return render(
        request,
        "signatures/keys/mine.html",
        {
            "own_keys": own,
            "seal_keys": seals,
            "managed_organisations": _managed_organisations(user),
            "is_platform_admin": user_has_role(user=user, role=Role.PLATFORM_ADMIN),
            "max_wrong_pins": MAX_WRONG_PINS,
            "warning_days": EXPIRY_WARNING_DAYS,
        },
    )


@never_cache
@sensitive_post_parameters(*PIN_PARAMETERS)
@require_http_methods(["GET", "POST"])
@login_required
def key_change_pin(request: HttpRequest, key_id: uuid.UUID) -> HttpResponse:
    """Change the PIN of one's own software key: the key is encrypted again under the new PIN."""
    _require_official(request)
    key = _own_software_key(request, key_id)
    form = PinChangeForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            try:
                signing_key_change_pin(
                    signing_key=key,
                    old_pin=form.cleaned_data["old_pin"],
                    new_pin=form.cleaned_data["new_pin"],
                    actor=request.user,
                )
            except PermissionDenied as error:
                raise DjangoPermissionDenied(str(error.message)) from error
            except MotcuaError as error:
                _errors_apply(form, error, {"pin": "old_pin", "new_pin": "new_pin"})
                key.refresh_from_db()  # a wrong old PIN was counted
            else:
                messages.success(request, _("The PIN of “%(key)s” was changed.") % {"key": key})
                return redirect("signing_keys:mine")
    context = {"key": _present(key, now=timezone.now()), "form": form, "max_wrong_pins": MAX_WRONG_PINS}
    return render(request, "signatures/keys/change_pin.html", context, status=status)


def _import_page(
    request: HttpRequest,
    form: KeyImportForm,
    *,
    status: int,
    organisation: Organisation | None = None,
) -> HttpResponse:
    return render(
        request,
        "signatures/keys/import.html",
        {"form": form, "organisation": organisation},
        status=status,
    )


def _import(request: HttpRequest, form: KeyImportForm, **owner: Any) -> SigningKey | None:
    """Call the import service with the form's data; None (and the form's errors set) when it refuses."""
    upload = form.cleaned_data["file"]
    try:
        return signing_key_import(
            data=upload.read(),
            password=form.cleaned_data["password"] or None,
            pin=form.cleaned_data["pin"],
            label=form.cleaned_data["label"],
            actor=request.user,
            **owner,
        )
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from error
    except MotcuaError as error:
        _errors_apply(form, error, {"file": "file", "pin": "pin", "organisation": "organisation"})
        return None


@never_cache
@sensitive_post_parameters(*PIN_PARAMETERS)
@require_http_methods(["GET", "POST"])
@login_required
def key_import(request: HttpRequest) -> HttpResponse:
    """Import one's own personal signing certificate and key from a PKCS#12 file, kept under a new PIN."""
    _require_official(request)
    user = request.user
    positions = position_active_list(user=user)
    organisations = sorted(
        {position.organisation_id: position.organisation for position in positions}.values(),
        key=lambda organisation: organisation.name,
    )
    organisations = [organisation for organisation in organisations if organisation.code]
    form = KeyImportForm(request.POST or None, request.FILES or None, organisations=organisations or None)
    if request.method != "POST":
        return _import_page(request, form, status=200)
    if form.is_valid():
        code = form.cleaned_data.get("organisation")
        organisation = form.organisations.get(code) if code else None
        key = _import(request, form, kind=Certificate.Kind.PERSONAL, holder=user, organisation=organisation)
        if key is not None:
            message = _("The key “%(key)s” was imported. Sign with it using your new PIN.") % {"key": key}
            messages.success(request, message)
            return redirect("signing_keys:mine")
    return _import_page(request, form, status=422)


# ------------------------------------------------------------------------------------------------------
# An organisation's keys (its administrators, platform administrators)
# ------------------------------------------------------------------------------------------------------


@never_cache
@require_GET
@login_required
def organisation_open(request: HttpRequest) -> HttpResponse:
    """The "open an organisation by its code" form of the keys page, without JavaScript."""
    _require_official(request)
    code = request.GET.get("code", "").strip()[:35]
    if not code:
        return redirect("signing_keys:mine")
    try:
        return redirect("signing_keys:organisation", code=code.upper())
    except NoReverseMatch:  # a "/" cannot be in a code
        raise Http404 from None


def _organisation_page(
    request: HttpRequest, organisation: Organisation, *, problem: str = "", status: int = 200
) -> HttpResponse:
    user = request.user
    now = timezone.now()
    seals, personal = _organisation_keys(user, organisation)

    def row(key: SigningKey) -> KeyRow:
        may_unblock = key.is_locked and may_manage(user, organisation_of(key.certificate))
        return _present(key, now=now, may_unblock=may_unblock)

    return render(
        request,
        "signatures/keys/organisation.html",
        {
            "organisation": organisation,
            "seal_keys": [row(key) for key in seals],
            "personal_keys": [row(key) for key in personal],
            "problem": problem,
            "max_wrong_pins": MAX_WRONG_PINS,
            "warning_days": EXPIRY_WARNING_DAYS,
        },
        status=status,
    )


@never_cache
@require_GET
@login_required
def organisation_keys(request: HttpRequest, code: str) -> HttpResponse:
    """An organisation's seals and its officials' keys, for those who manage them."""
    organisation = _managed_organisation(request, code)
    return _organisation_page(request, organisation)


@never_cache
@sensitive_post_parameters(*PIN_PARAMETERS)
@require_http_methods(["GET", "POST"])
@login_required
def organisation_seal_import(request: HttpRequest, code: str) -> HttpResponse:
    """Import an agency seal (certificate and key from a PKCS#12 file) for the organisation."""
    organisation = _managed_organisation(request, code)
    form = KeyImportForm(request.POST or None, request.FILES or None)
    if request.method != "POST":
        return _import_page(request, form, status=200, organisation=organisation)
    if form.is_valid():
        key = _import(request, form, kind=Certificate.Kind.AGENCY_SEAL, organisation=organisation)
        if key is not None:
            messages.success(request, _("The seal “%(key)s” was imported.") % {"key": key})
            return redirect("signing_keys:organisation", code=organisation.code)
    return _import_page(request, form, status=422, organisation=organisation)


@require_POST
@login_required
def organisation_key_unblock(request: HttpRequest, code: str, key_id: uuid.UUID) -> HttpResponse:
    """Unblock a key locked by wrong PINs (its PIN stays the same)."""
    organisation = _managed_organisation(request, code)
    seals, personal = _organisation_keys(request.user, organisation)
    key = seals.filter(pk=key_id).first() or personal.filter(pk=key_id).first()
    if key is None:
        raise Http404
    try:
        signing_key_unblock(signing_key=key, actor=request.user)
    except PermissionDenied as error:
        raise DjangoPermissionDenied(str(error.message)) from error
    except MotcuaError as error:
        return _organisation_page(request, organisation, problem=str(error.message), status=422)
    messages.success(request, _("The key “%(key)s” was unblocked; it opens with its PIN again.") % {"key": key})
    return redirect(reverse("signing_keys:organisation", kwargs={"code": organisation.code}))
