"""Account services: password login with lockout, second factor (TOTP and backup codes), accounts from the
national identity provider, accounts created by officials or commands, and API clients of other agencies.

Every write goes through a function here (DESIGN.md rule 1). Two services deliberately write in their own
short transactions and raise only after committing (``user_authenticate_password``, ``totp_device_confirm``):
a failed attempt must be counted even though the caller is told "no", otherwise an attacker's failures would
roll back with the error. Call them outside any enclosing ``transaction.atomic`` block.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device, verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.accounts.models import ApiClient, User
from motcua.core.audit import audit_record, snapshot
from motcua.core.codes import (
    normalise_tax_code,
    validate_organisation_code,
    validate_personal_id,
    validate_tax_code,
)
from motcua.core.context import current_context
from motcua.core.exceptions import (
    Conflict,
    InvalidState,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
    validation_details,
)
from motcua.core.permissions import permission_require

logger = logging.getLogger(__name__)

LOGIN_FAILED_MESSAGE = _("The username or password is not correct.")
ACCOUNT_LOCKED_MESSAGE = _(
    "This account is locked for a while after too many failed sign-in attempts. Try again later or contact "
    "your administrator."
)
BACKUP_CODE_COUNT = 10
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup-codes"
API_CLIENT_LAST_USED_PRECISION = dt.timedelta(minutes=1)
API_CLIENT_VERIFIED_CACHE_SECONDS = 300
SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_.:-]{0,63}$")
MAX_SCOPES = 50

# One stored hash, verified against when the username does not exist, so both paths cost the same time.
_DUMMY_PASSWORD_HASH: str | None = None


def _dummy_password_hash() -> str:
    global _DUMMY_PASSWORD_HASH
    if _DUMMY_PASSWORD_HASH is None:
        _DUMMY_PASSWORD_HASH = make_password(secrets.token_urlsafe(16))
    return _DUMMY_PASSWORD_HASH


# --------------------------------------------------------------------------------------------------------------
# Password login: rate limit, lockout, audit
# --------------------------------------------------------------------------------------------------------------


def _cache_key(*parts: str) -> str:
    # Hash free-form parts (usernames, addresses): cache backends restrict key characters and length.
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]
    return f"motcua:accounts:{parts[0]}:{digest}"


def _rate_limit_hit(*, scope: str, value: str, limit: int) -> bool:
    """Count one attempt in the current minute's window; true when the window already holds ``limit``."""
    window = int(timezone.now().timestamp() // 60)
    key = _cache_key(scope, value, str(window))
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    return count > limit


def _login_rate_check(*, username: str, client_address: str | None) -> None:
    limit = int(getattr(settings, "LOGIN_RATE_PER_MINUTE", 20))
    limited = False
    if client_address:
        limited = _rate_limit_hit(scope="login-address", value=client_address, limit=limit) or limited
    limited = _rate_limit_hit(scope="login-username", value=username.casefold(), limit=limit) or limited
    if limited:
        # Not written to the audit trail: a flood of refused requests must not flood the chain as well.
        logger.warning("login rate limit reached", extra={"client_address": client_address})
        raise RateLimited()


def _lockout_window() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "LOGIN_LOCKOUT_MINUTES", 15)))


def _max_failures() -> int:
    return int(getattr(settings, "LOGIN_MAX_FAILURES", 5))


def _unknown_username_failures(*, username: str, increment: bool) -> int:
    """Failures counted in the cache for a username with no account, so it "locks" like a real one would."""
    key = _cache_key("login-unknown", username.casefold())
    if not increment:
        return int(cache.get(key, 0))
    cache.add(key, 0, timeout=int(_lockout_window().total_seconds()))
    try:
        return int(cache.incr(key))
    except ValueError:
        cache.set(key, 1, timeout=int(_lockout_window().total_seconds()))
        return 1


@dataclass(frozen=True)
class _LoginOutcome:
    user: User | None
    error: ValidationFailed | PermissionDenied | None


def _login_attempt(*, username: str, password: str) -> _LoginOutcome:
    """Check the password and record the outcome; commits before the caller raises (see module docstring)."""
    now = timezone.now()
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is None:
            check_password(password, _dummy_password_hash())
            failures = _unknown_username_failures(username=username, increment=True)
            # People sometimes type their password into the username box: the append-only trail keeps only a
            # keyed fingerprint of an unknown username, enough to correlate attempts, never the text itself.
            fingerprint = salted_hmac("motcua.accounts.unknown-username", username.casefold()).hexdigest()[:16]
            audit_record(
                action="accounts.login_failed",
                object_type="accounts.user",
                object_label=f"unknown:{fingerprint}",
                after={"username_fingerprint": fingerprint, "reason": "unknown_username"},
            )
            if failures >= _max_failures():
                return _LoginOutcome(None, PermissionDenied(ACCOUNT_LOCKED_MESSAGE, code="account_locked"))
            return _LoginOutcome(None, ValidationFailed(LOGIN_FAILED_MESSAGE, code="login_failed"))

        if user.locked_until is not None and user.locked_until <= now:
            # The lockout window is over: the account starts again with a clean slate.
            user.locked_until = None
            user.failed_login_count = 0
        if user.locked_until is not None:
            # Pay the hasher's cost anyway, so a quick answer does not tell that this username exists.
            check_password(password, _dummy_password_hash())
            audit_record(
                action="accounts.login_failed",
                instance=user,
                after={"username": user.username, "reason": "locked", "locked_until": user.locked_until},
            )
            return _LoginOutcome(None, PermissionDenied(ACCOUNT_LOCKED_MESSAGE, code="account_locked"))

        password_ok = user.check_password(password)
        if password_ok and user.is_active:
            before = snapshot(user, ["failed_login_count", "locked_until", "last_login"])
            user.failed_login_count = 0
            user.locked_until = None
            user.last_login = now
            user.save(update_fields=["failed_login_count", "locked_until", "last_login"])
            audit_record(
                action="accounts.login_succeeded",
                instance=user,
                actor=user,
                before=before,
                after={"method": "password"},
            )
            return _LoginOutcome(user, None)

        user.failed_login_count += 1
        reason = "wrong_password" if not password_ok else "inactive"
        locked = user.failed_login_count >= _max_failures()
        if locked:
            user.locked_until = now + _lockout_window()
        user.save(update_fields=["failed_login_count", "locked_until"])
        audit_record(
            action="accounts.login_failed",
            instance=user,
            after={"username": user.username, "reason": reason, "failed_login_count": user.failed_login_count},
        )
        if locked:
            audit_record(
                action="accounts.login_locked",
                instance=user,
                after={"locked_until": user.locked_until, "failed_login_count": user.failed_login_count},
            )
            return _LoginOutcome(None, PermissionDenied(ACCOUNT_LOCKED_MESSAGE, code="account_locked"))
        return _LoginOutcome(None, ValidationFailed(LOGIN_FAILED_MESSAGE, code="login_failed"))


def user_authenticate_password(*, username: str, password: str, client_address: str | None) -> User:
    """Check a username and password: rate-limited per address and username, locked after repeated failures.

    The refusal never says whether the username exists. Raises RateLimited, PermissionDenied
    (code ``account_locked``) or ValidationFailed (code ``login_failed``).
    """
    username = (username or "").strip()
    password = password or ""
    _login_rate_check(username=username, client_address=client_address)
    if not username or not password:
        raise ValidationFailed(LOGIN_FAILED_MESSAGE, code="login_failed")
    outcome = _login_attempt(username=username[:150], password=password)
    if outcome.error is not None:
        raise outcome.error
    assert outcome.user is not None
    return outcome.user


@transaction.atomic
def user_unlock(*, actor: Any, user: User) -> User:
    """Lift a login lockout before its window ends (platform administrators)."""
    permission_require(actor, "accounts.manage_users", user)
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, ["failed_login_count", "locked_until"])
    user.failed_login_count = 0
    user.locked_until = None
    user.save(update_fields=["failed_login_count", "locked_until"])
    audit_record(action="accounts.user_unlocked", instance=user, actor=actor, before=before, after=snapshot(user))
    cache.delete(_cache_key("login-unknown", user.username.casefold()))
    return user


@transaction.atomic
def user_login_record(*, user: User, method: str) -> None:
    """Record a login made outside the password service (the identity provider)."""
    User.objects.filter(pk=user.pk).update(last_login=timezone.now(), failed_login_count=0, locked_until=None)
    audit_record(action="accounts.login_succeeded", instance=user, actor=user, after={"method": method})


@transaction.atomic
def user_logout_record(*, user: User) -> None:
    """Record that a user signed out."""
    audit_record(action="accounts.logout", instance=user, actor=user)


# --------------------------------------------------------------------------------------------------------------
# Second factor: TOTP app and single-use backup codes (django-otp)
# --------------------------------------------------------------------------------------------------------------


def user_requires_second_factor(*, user: Any) -> bool:
    """Officials and anyone who can reach the admin must use a second factor when the platform requires it."""
    if not getattr(settings, "OFFICIALS_REQUIRE_2FA", True):
        return False
    if user is None or not getattr(user, "is_authenticated", False) or not isinstance(user, User):
        return False
    return user.is_official or user.is_staff or user.is_superuser


def user_has_second_factor(*, user: User) -> bool:
    """True once the user has confirmed an authenticator app."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).exists()


def totp_device_pending(*, user: User) -> TOTPDevice | None:
    """The authenticator app being set up (not yet confirmed), if any."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()


def backup_codes_remaining(*, user: User) -> int:
    """How many unused backup codes the user has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def totp_device_start(*, user: User) -> tuple[TOTPDevice, str]:
    """Begin setting up an authenticator app: a new unconfirmed TOTP device and its otpauth:// URI.

    A user who already has a confirmed app cannot add a second one this way (an administrator resets it),
    so that a stolen password alone never lets someone enrol their own app.
    """
    if user_has_second_factor(user=user):
        raise InvalidState(
            _("An authenticator app is already set up for this account."), code="second_factor_already_set_up"
        )
    TOTPDevice.objects.devices_for_user(user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    audit_record(action="accounts.totp_setup_started", instance=device, actor=user, after={"user": str(user.pk)})
    return device, device.config_url


def totp_device_confirm(*, user: User, token: str) -> list[str]:
    """Confirm the app with a code it shows; returns new backup codes, shown to the user this once.

    Raises InvalidState if no setup is in progress, RateLimited while django-otp throttles, ValidationFailed
    (code ``invalid_code``) for a wrong code; the failed attempt stays counted.
    """
    device = totp_device_pending(user=user)
    if device is None:
        raise InvalidState(_("Start the set-up of an authenticator app first."), code="second_factor_not_started")
    allowed, _details = device.verify_is_allowed()
    if not allowed:
        raise RateLimited(_("Too many wrong codes. Wait a moment before trying again."), code="second_factor_throttled")
    token = _normalise_token(token)
    with transaction.atomic():  # django-otp saves the throttling counter; we commit it before raising
        accepted = verify_token(user, device.persistent_id, token) is not None
        if not accepted:
            audit_record(action="accounts.totp_setup_failed", instance=device, actor=user)
    if not accepted:
        raise ValidationFailed(
            _("This code is not correct. Enter the 6-digit code currently shown by your app."),
            code="invalid_code",
            details={"token": [str(_("This code is not correct."))]},
        )
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _backup_codes_replace(user=user)
        audit_record(action="accounts.totp_confirmed", instance=device, actor=user, after={"backup_codes": len(codes)})
    return codes


def _backup_codes_replace(*, user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _index in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def backup_codes_regenerate(*, user: User) -> list[str]:
    """Replace the user's backup codes with new ones (the old ones stop working), shown once."""
    if not user_has_second_factor(user=user):
        raise InvalidState(_("Set up an authenticator app first."), code="second_factor_not_set_up")
    codes = _backup_codes_replace(user=user)
    audit_record(action="accounts.backup_codes_regenerated", instance=user, actor=user)
    return codes


def _normalise_token(token: str) -> str:
    return re.sub(r"[\s-]", "", token or "").lower()


def second_factor_verify(*, user: User, token: str) -> Device | None:
    """Check a code from the authenticator app, or a single-use backup code; the device that accepted it.

    Uses django-otp's verification (replayed codes refused) and its exponential throttling, whose counters
    are committed even when the answer is no. Raises RateLimited while every device is throttled.
    """
    token = _normalise_token(token)
    if not token:
        return None
    # Codes from the app are digits; backup codes are letters and digits: only try the kind that fits.
    looks_like_app_code = token.isdigit() and len(token) <= 8
    devices: list[Device] = [
        device
        for device in devices_for_user(user, confirmed=True)
        if (isinstance(device, TOTPDevice) and looks_like_app_code)
        or (isinstance(device, StaticDevice) and not looks_like_app_code)
    ]
    if devices and not any(device.verify_is_allowed()[0] for device in devices):
        raise RateLimited(_("Too many wrong codes. Wait a moment before trying again."), code="second_factor_throttled")
    accepted: Device | None = None
    for device in devices:
        with transaction.atomic():
            accepted = verify_token(user, device.persistent_id, token)
        if accepted is not None:
            break
    with transaction.atomic():
        if accepted is not None:
            audit_record(
                action="accounts.second_factor_verified",
                instance=user,
                actor=user,
                after={"device": accepted.persistent_id, "backup_code": isinstance(accepted, StaticDevice)},
            )
        else:
            audit_record(action="accounts.second_factor_failed", instance=user, actor=user)
    return accepted


def totp_verify(*, user: User, token: str) -> bool:
    """True if the code (from the app, or a backup code) is accepted; False if wrong or throttled."""
    try:
        return second_factor_verify(user=user, token=token) is not None
    except RateLimited:
        return False


@transaction.atomic
def second_factor_reset(*, actor: Any, user: User) -> None:
    """Remove a user's authenticator app and backup codes (lost phone); they must set it up again."""
    permission_require(actor, "accounts.manage_users", user)
    removed = sum(device.delete()[0] for device in devices_for_user(user, confirmed=None))
    audit_record(action="accounts.second_factor_reset", instance=user, actor=actor, after={"removed": removed})


def user_second_factor_status(*, user: User) -> dict[str, Any]:
    """What the "my account" page shows about the second factor."""
    return {
        "enabled": user_has_second_factor(user=user),
        "any_device": user_has_device(user),
        "backup_codes_remaining": backup_codes_remaining(user=user),
        "required": user_requires_second_factor(user=user),
    }


# --------------------------------------------------------------------------------------------------------------
# Accounts from the national identity provider (OpenID Connect userinfo)
# --------------------------------------------------------------------------------------------------------------

ACCOUNT_KIND_CITIZEN = "1"
ACCOUNT_KIND_BUSINESS = "2"


def _claim(claims: Mapping[str, Any], *names: str) -> str:
    for name in names:
        value = claims.get(name)
        if isinstance(value, Mapping):  # the standard "address" claim is an object
            value = value.get("formatted") or ", ".join(
                str(value[part]) for part in ("street_address", "locality", "region", "country") if value.get(part)
            )
        if value not in (None, ""):
            return str(value).strip()
    return ""


@dataclass(frozen=True)
class IdentityClaims:
    """The national portal's userinfo, in the names the code uses (Vietnamese claim names in brackets)."""

    subject: str  # sub / MaDinhDanh: the stable account key
    kind: str  # User.Kind (LoaiTaiKhoan: 1 citizen, 2 business)
    personal_id: str  # SoDinhDanh
    tax_code: str  # MaSoThue
    full_name: str  # HoVaTen / name
    organisation_name: str  # TenDoanhNghiep / TenToChuc
    address: str  # DiaChi / address
    phone: str  # SoDienThoai / phone_number
    email: str  # ThuDienTu / email


def identity_claims_parse(claims: Mapping[str, Any]) -> IdentityClaims:
    """Read and validate the userinfo claims; ValidationFailed names the claim at fault."""
    subject = _claim(claims, "sub", "MaDinhDanh")
    if not subject:
        raise ValidationFailed(_("The identity provider did not send an account key."), code="identity_claims_invalid")
    personal_id = _claim(claims, "SoDinhDanh", "so_dinh_danh")
    tax_code = normalise_tax_code(_claim(claims, "MaSoThue", "ma_so_thue"))
    account_kind = _claim(claims, "LoaiTaiKhoan", "loai_tai_khoan")
    if not account_kind:
        account_kind = ACCOUNT_KIND_BUSINESS if tax_code and not personal_id else ACCOUNT_KIND_CITIZEN
    errors: dict[str, list[str]] = {}
    if account_kind == ACCOUNT_KIND_CITIZEN:
        kind = User.Kind.CITIZEN
        if not personal_id:
            errors["SoDinhDanh"] = [str(_("A citizen account needs a personal identification number."))]
        else:
            try:
                validate_personal_id(personal_id)
            except ValidationError as error:
                errors["SoDinhDanh"] = [str(message) for message in error.messages]
    elif account_kind == ACCOUNT_KIND_BUSINESS:
        kind = User.Kind.BUSINESS
        try:
            validate_tax_code(tax_code)
        except ValidationError as error:
            errors["MaSoThue"] = [str(message) for message in error.messages]
        if personal_id:
            try:
                validate_personal_id(personal_id)
            except ValidationError:
                personal_id = ""  # a representative's number is optional for a business; never stored if invalid
    else:
        raise PermissionDenied(
            _("Only citizen and business accounts can sign in with the national identity provider."),
            code="identity_account_kind_not_allowed",
            details={"LoaiTaiKhoan": account_kind},
        )
    if errors:
        raise ValidationFailed(
            _("The identity provider sent an identification number that is not valid."),
            code="identity_claims_invalid",
            details=errors,
        )
    email = _claim(claims, "ThuDienTu", "email")
    try:
        validate_email(email)
    except ValidationError:
        email = ""
    full_name = _claim(claims, "HoVaTen", "name")
    return IdentityClaims(
        subject=subject[:200],
        kind=kind,
        personal_id=personal_id if kind == User.Kind.CITIZEN else "",
        tax_code=tax_code if kind == User.Kind.BUSINESS else "",
        full_name=full_name[:200],
        organisation_name=(_claim(claims, "TenDoanhNghiep", "TenToChuc") or full_name)[:300]
        if kind == User.Kind.BUSINESS
        else "",
        address=_claim(claims, "DiaChi", "address")[:300],
        phone=_claim(claims, "SoDienThoai", "phone_number")[:20],
        email=email[:254],
    )


def _username_for(identity: IdentityClaims) -> str:
    preferred = identity.personal_id or identity.tax_code
    if preferred and not User.objects.filter(username=preferred).exists():
        return preferred
    return f"idp-{secrets.token_hex(8)}"


@transaction.atomic
def user_from_identity_provider(*, issuer: str, claims: Mapping[str, Any]) -> User:
    """The citizen or business account for a national identity provider login, created or updated.

    Matches by (issuer, account key), then by personal ID (citizens) or tax code (businesses). Officials
    never sign in this way (they use a password and a second factor). Decision 31/2021/QĐ-TTg: single
    sign-on through the national portal.
    """
    identity = identity_claims_parse(claims)
    user = User.objects.select_for_update().filter(oidc_issuer=issuer, oidc_subject=identity.subject).first()
    if user is None and identity.kind == User.Kind.CITIZEN:
        user = User.objects.select_for_update().filter(personal_id=identity.personal_id).first()
    if user is None and identity.kind == User.Kind.BUSINESS:
        user = User.objects.select_for_update().filter(kind=User.Kind.BUSINESS, tax_code=identity.tax_code).first()

    if user is not None:
        if user.is_official or user.is_staff or user.is_superuser:
            raise PermissionDenied(
                _("Officials sign in with their username, password and second factor, not the identity provider."),
                code="identity_provider_official_refused",
            )
        if not user.is_active:
            raise PermissionDenied(_("This account is disabled."), code="account_disabled")
        if user.kind != identity.kind:
            raise Conflict(
                _("The identity provider describes this account as a different kind of account."),
                code="identity_kind_mismatch",
            )
        if user.oidc_subject and (user.oidc_issuer, user.oidc_subject) != (issuer, identity.subject):
            raise Conflict(
                _("This identification number is already linked to another identity provider account."),
                code="identity_subject_mismatch",
            )
        if identity.kind == User.Kind.CITIZEN and user.personal_id and user.personal_id != identity.personal_id:
            raise Conflict(
                _("The identity provider sent a different personal identification number for this account."),
                code="identity_personal_id_mismatch",
            )
        before = snapshot(user)
        created = False
    else:
        before = None
        created = True
        user = User(kind=identity.kind, username=_username_for(identity))
        user.set_unusable_password()

    user.oidc_issuer = issuer
    user.oidc_subject = identity.subject
    user.verified_by_identity_provider = True
    if identity.personal_id:
        user.personal_id = identity.personal_id
    if identity.tax_code:
        user.tax_code = identity.tax_code
    # The identity provider is the authority for these details; keep ours when it leaves one out.
    for field in ("full_name", "organisation_name", "address", "phone", "email"):
        value = getattr(identity, field)
        if value:
            setattr(user, field, value)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise Conflict(
            _("This identification number is already used by another account."), code="identity_conflict"
        ) from error
    audit_record(
        action="accounts.user_created_from_identity_provider"
        if created
        else "accounts.user_updated_from_identity_provider",
        instance=user,
        actor=user,
        before=before,
        after=snapshot(user),
    )
    return user


# --------------------------------------------------------------------------------------------------------------
# Accounts created by officials, administrators or commands (demo data)
# --------------------------------------------------------------------------------------------------------------


def _user_create(*, actor: Any, user: User, password: str | None) -> User:
    # Operator commands pass core.permissions.SYSTEM explicitly; a missing actor is refused, never trusted.
    permission_require(actor, "accounts.manage_users")
    if user.is_superuser:
        # No rule grants this: only the platform itself (an operator command) creates superusers.
        permission_require(actor, "accounts.create_superuser")
    if User.objects.filter(username__iexact=user.username).exists():
        raise Conflict(_("This username is already taken."), code="username_taken", details={"username": user.username})
    errors: dict[str, list[str]] = {}
    if password:
        try:
            validate_password(password, user)
        except ValidationError as error:
            errors["password"] = [str(message) for message in error.messages]
        user.set_password(password)
    else:
        user.set_unusable_password()
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        for field, messages in validation_details(error).items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationFailed(details=errors)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise Conflict(code="user_conflict") from error
    audit_record(action="accounts.user_created", instance=user, actor=actor, after=snapshot(user))
    return user


@transaction.atomic
def user_create_official(
    *,
    actor: Any,
    username: str,
    full_name: str,
    email: str,
    password: str | None = None,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create an official's account (positions are given by the agency directory)."""
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        email=email.strip(),
        kind=User.Kind.OFFICIAL,
        is_staff=is_staff or is_superuser,
        is_superuser=is_superuser,
    )
    return _user_create(actor=actor, user=user, password=password)


@transaction.atomic
def user_create_citizen(
    *,
    actor: Any,
    username: str,
    full_name: str,
    personal_id: str,
    password: str | None = None,
    email: str = "",
    phone: str = "",
    address: str = "",
) -> User:
    """Create a citizen's account with a personal identification number."""
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        personal_id=personal_id.strip(),
        email=email.strip(),
        phone=phone.strip(),
        address=address.strip(),
        kind=User.Kind.CITIZEN,
    )
    return _user_create(actor=actor, user=user, password=password)


@transaction.atomic
def user_create_business(
    *,
    actor: Any,
    username: str,
    organisation_name: str,
    tax_code: str,
    full_name: str = "",
    password: str | None = None,
    email: str = "",
    phone: str = "",
    address: str = "",
) -> User:
    """Create a business account with its tax or enterprise code."""
    user = User(
        username=username.strip(),
        full_name=full_name.strip(),
        organisation_name=organisation_name.strip(),
        tax_code=normalise_tax_code(tax_code),
        email=email.strip(),
        phone=phone.strip(),
        address=address.strip(),
        kind=User.Kind.BUSINESS,
    )
    return _user_create(actor=actor, user=user, password=password)


USER_SELF_EDITABLE_FIELDS = frozenset({"preferred_language"})
USER_ADMIN_EDITABLE_FIELDS = frozenset({"full_name", "email", "phone", "address", "preferred_language", "is_active"})


@transaction.atomic
def user_update(*, actor: Any, user: User, changes: Mapping[str, Any]) -> User:
    """Change a user's details: the user their own preferences, a platform administrator the safe fields."""
    permission_require(actor, "accounts.change_user", user)
    is_manager = getattr(actor, "pk", None) != user.pk
    allowed = USER_ADMIN_EDITABLE_FIELDS if is_manager else USER_SELF_EDITABLE_FIELDS
    if is_manager:
        permission_require(actor, "accounts.manage_users", user)
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise PermissionDenied(details={"fields": unknown})
    if "preferred_language" in changes and changes["preferred_language"] not in dict(settings.LANGUAGES):
        raise ValidationFailed(details={"preferred_language": [str(_("This language is not available."))]})
    user = User.objects.select_for_update().get(pk=user.pk)
    before = snapshot(user, sorted(changes))
    for field, value in changes.items():
        setattr(user, field, value)
    try:
        user.full_clean(exclude=["password"])
    except ValidationError as error:
        raise ValidationFailed(details=validation_details(error)) from error
    user.save(update_fields=sorted(changes))
    audit_record(
        action="accounts.user_updated", instance=user, actor=actor, before=before, after=snapshot(user, sorted(changes))
    )
    return user


# --------------------------------------------------------------------------------------------------------------
# API clients of other agencies' systems
# --------------------------------------------------------------------------------------------------------------


def _scopes_clean(scopes: Iterable[str]) -> list[str]:
    if isinstance(scopes, str | bytes | Mapping) or not isinstance(scopes, Iterable):
        # A single string would be read letter by letter; the admin's JSON field can hold anything.
        raise ValidationFailed(details={"scopes": [str(_("Scopes are short lower-case names such as dossiers:read."))]})
    cleaned = sorted({str(scope).strip() for scope in scopes if str(scope).strip()})
    bad = [scope for scope in cleaned if not SCOPE_PATTERN.match(scope)]
    if bad or len(cleaned) > MAX_SCOPES:
        raise ValidationFailed(details={"scopes": [str(_("Scopes are short lower-case names such as dossiers:read."))]})
    return cleaned


def _api_client_get_for_update(*, client_id: str) -> ApiClient:
    client = ApiClient.objects.select_for_update().filter(client_id=client_id).first()
    if client is None:
        raise NotFound()
    return client


def _secret_new() -> tuple[str, str]:
    secret = secrets.token_urlsafe(32)
    return secret, make_password(secret)


def _verified_cache_key(client_id: str) -> str:
    return _cache_key("api-client-verified", client_id)


@transaction.atomic
def api_client_create(
    *, actor: Any, name: str, scopes: Iterable[str], organisation_code: str = ""
) -> tuple[ApiClient, str]:
    """Register another agency's system; returns the client and its secret, which is shown only this once."""
    permission_require(actor, "accounts.manage_api_clients")
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [str(_("This field is required."))]
    organisation_code = (organisation_code or "").strip()
    if organisation_code:
        try:
            validate_organisation_code(organisation_code)
        except ValidationError as error:
            errors["organisation_code"] = [str(message) for message in error.messages]
    try:
        cleaned_scopes = _scopes_clean(scopes)
    except ValidationFailed as error:
        errors.update(error.details)
    if errors:
        raise ValidationFailed(details=errors)
    secret, secret_hash = _secret_new()
    client = ApiClient.objects.create(
        name=name[:200],
        client_id=secrets.token_hex(16),
        secret_hash=secret_hash,
        organisation_code=organisation_code,
        scopes=cleaned_scopes,
    )
    audit_record(action="accounts.api_client_created", instance=client, actor=actor, after=snapshot(client))
    return client, secret


@transaction.atomic
def api_client_rotate(*, actor: Any, client_id: str) -> str:
    """Issue a new secret; the previous one keeps working for API_CLIENT_ROTATION_GRACE_HOURS."""
    permission_require(actor, "accounts.manage_api_clients")
    client = _api_client_get_for_update(client_id=client_id)
    if not client.is_active:
        raise InvalidState(_("This API client is deactivated."), code="api_client_inactive")
    before = snapshot(client)
    now = timezone.now()
    secret, secret_hash = _secret_new()
    client.previous_secret_hash = client.secret_hash
    client.previous_secret_valid_until = now + dt.timedelta(
        hours=int(getattr(settings, "API_CLIENT_ROTATION_GRACE_HOURS", 24))
    )
    client.secret_hash = secret_hash
    client.rotated_at = now
    client.save(
        update_fields=["previous_secret_hash", "previous_secret_valid_until", "secret_hash", "rotated_at", "updated_at"]
    )
    audit_record(
        action="accounts.api_client_rotated", instance=client, actor=actor, before=before, after=snapshot(client)
    )
    return secret


@transaction.atomic
def api_client_deactivate(*, actor: Any, client_id: str) -> ApiClient:
    """Stop a client at once: neither its current nor its previous secret works any more."""
    permission_require(actor, "accounts.manage_api_clients")
    client = _api_client_get_for_update(client_id=client_id)
    before = snapshot(client)
    client.is_active = False
    client.previous_secret_hash = ""
    client.previous_secret_valid_until = None
    client.save(update_fields=["is_active", "previous_secret_hash", "previous_secret_valid_until", "updated_at"])
    audit_record(
        action="accounts.api_client_deactivated", instance=client, actor=actor, before=before, after=snapshot(client)
    )
    transaction.on_commit(lambda: cache.delete(_verified_cache_key(client.client_id)))
    return client


def _secret_matches(*, client: ApiClient, secret: str, now: dt.datetime) -> bool:
    """Constant-time check against the current secret, and the previous one during its grace period.

    Secrets are hashed with the password hasher (slow by design). A successful check is remembered for a
    few minutes as an HMAC of the secret bound to the stored hash it matched, so each API call does not pay
    the hasher again; rotation or deactivation changes the stored hash and ends that memory.
    """
    accepted_hashes = [client.secret_hash]
    if client.previous_secret_hash and client.previous_secret_valid_until and client.previous_secret_valid_until > now:
        accepted_hashes.append(client.previous_secret_hash)
    fingerprint = salted_hmac("motcua.accounts.api_client", secret, algorithm="sha256").hexdigest()
    remembered = cache.get(_verified_cache_key(client.client_id))
    if (
        isinstance(remembered, tuple)
        and len(remembered) == 2
        and remembered[0] in accepted_hashes
        and constant_time_compare(remembered[1], fingerprint)
    ):
        return True
    for stored_hash in accepted_hashes:
        if check_password(secret, stored_hash):
            cache.set(
                _verified_cache_key(client.client_id), (stored_hash, fingerprint), API_CLIENT_VERIFIED_CACHE_SECONDS
            )
            return True
    return False


def api_client_authenticate(*, token: str) -> ApiClient | None:
    """The active API client for a bearer token ``<client_id>.<secret>``, or None."""
    client_id, separator, secret = (token or "").strip().partition(".")
    if not separator or not client_id or not secret or len(client_id) > 64:
        return None
    client = ApiClient.objects.filter(client_id=client_id, is_active=True).first()
    if client is None:
        check_password(secret, _dummy_password_hash())  # same cost as a known client
        return None
    now = timezone.now()
    if not _secret_matches(client=client, secret=secret, now=now):
        logger.warning("API client secret refused", extra={"client_id": client_id})
        return None
    if client.last_used_at is None or now - client.last_used_at >= API_CLIENT_LAST_USED_PRECISION:
        # Bookkeeping, not a business change: at most one write a minute and not in the audit trail.
        ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
        client.last_used_at = now
    return client


def client_address_current() -> str | None:
    """The client address of the request being served (for services called without one)."""
    return current_context().client_address
