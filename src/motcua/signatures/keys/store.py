"""Signing keys: create, import, register on a token, unlock with the PIN, change the PIN, unblock, find."""

from __future__ import annotations

from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from motcua.signatures.keys import tokens
from motcua.signatures.keys.access import actor_require, forbidden, may_manage, may_use, organisation_of
from motcua.signatures.keys.attempts import locked_error, wrong_pin_count, wrong_pin_error
from motcua.signatures.keys.encryption import (
    PrivateKey,
    SecretChanged,
    WrongPin,
    key_decrypt,
    key_encrypt,
    pin_validate,
)
from motcua.signatures.keys.files import key_file_read, signing_certificate_check
from motcua.signatures.keys.inventory import certificate_of, certificate_record_with_chain, chain_of, public_bytes
from motcua.signatures.keys.signer import KeySigner
from motcua.signatures.models import Certificate, SigningKey

SIGNING_KINDS = (Certificate.Kind.PERSONAL, Certificate.Kind.AGENCY_SEAL)

_AUDITED_FIELDS = [
    "certificate",
    "storage",
    "label",
    "pkcs11_module",
    "pkcs11_token_label",
    "pkcs11_key_label",
    "failed_attempts",
    "locked_at",
    "is_active",
]


def _check_owner(*, kind: str, holder: Any, organisation: Any) -> None:
    if kind not in SIGNING_KINDS:
        raise ValidationFailed(
            _("A signing key is either a personal signing certificate or an agency seal."),
            code="signing_key_kind",
            details={"kind": [str(kind)]},
        )
    if kind == Certificate.Kind.PERSONAL and holder is None:
        raise ValidationFailed(
            _("Say whose personal signing certificate this is."), details={"holder": [str(_("Required."))]}
        )
    if kind == Certificate.Kind.AGENCY_SEAL and (organisation is None or not organisation.code):
        raise ValidationFailed(
            _("Say which organisation (with its electronic code) this seal belongs to."),
            details={"organisation": [str(_("Required."))]},
        )


def _require_manager(*, actor: Any, kind: str, holder: Any, organisation: Any) -> None:
    actor_require(actor)
    own = kind == Certificate.Kind.PERSONAL and holder is not None and getattr(actor, "pk", None) == holder.pk
    if not (own or may_manage(actor, organisation)):
        raise forbidden()


def _create(*, certificate_row: Certificate, actor: Any, action: str, **fields: Any) -> SigningKey:
    if SigningKey.objects.filter(certificate=certificate_row).exists():
        raise Conflict(_("A signing key is already registered for this certificate."), code="signing_key_exists")
    row = SigningKey.objects.create(certificate=certificate_row, **fields)
    audit_record(action=action, instance=row, after=snapshot(row, _AUDITED_FIELDS), actor=actor)
    return row


def _associated_data(certificate_row: Certificate) -> bytes:
    """Binds a ciphertext to its certificate: copied onto another key row it does not decrypt."""
    return b"motcua.signatures.keys/v1/" + certificate_row.sha256_fingerprint.encode("ascii")


# --- creating keys -------------------------------------------------------------------------------------------


@transaction.atomic
def signing_key_create_software(
    *, certificate_row: Certificate, private_key: PrivateKey, pin: str, label: str = "", actor: Any = None
) -> SigningKey:
    """Keep a private key for a certificate of the inventory, encrypted under ``pin`` (for issuing and imports;
    the callers check who may)."""
    if certificate_row.kind not in SIGNING_KINDS:
        raise ValidationFailed(
            _("A signing key is either a personal signing certificate or an agency seal."), code="signing_key_kind"
        )
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationFailed(_("Only RSA and elliptic-curve keys are supported."), code="key_type_unsupported")
    if public_bytes(private_key.public_key()) != public_bytes(certificate_of(certificate_row).public_key()):
        raise ValidationFailed(
            _("The private key does not belong to the certificate."), code="key_certificate_mismatch"
        )
    encrypted, derivation = key_encrypt(
        private_key=private_key, pin=pin, associated_data=_associated_data(certificate_row)
    )
    return _create(
        certificate_row=certificate_row,
        actor=actor,
        action="signatures.signing_key_created",
        storage=SigningKey.Storage.SOFTWARE,
        label=(label or certificate_row.subject_common_name)[:200],
        encrypted_key=encrypted,
        key_derivation=derivation,
    )


@transaction.atomic
def signing_key_import(
    *,
    data: bytes,
    password: str | None = None,
    pin: str,
    kind: str,
    holder: Any = None,
    organisation: Any = None,
    label: str = "",
    actor: Any = None,
) -> SigningKey:
    """Import a certificate and its key from a PKCS#12 or PEM file issued by another CA, encrypted under ``pin``.

    The holder may import their own personal certificate; administrators of the organisation (or of the
    platform) import seals and personal certificates. The certificate must be able to sign now and its
    whole chain must be in the file or already known.
    """
    _require_manager(actor=actor, kind=kind, holder=holder, organisation=organisation)
    _check_owner(kind=kind, holder=holder, organisation=organisation)
    pin_validate(pin=pin)
    key_file = key_file_read(data=data, password=password)
    signing_certificate_check(certificate=key_file.certificate)
    row = certificate_record_with_chain(
        certificate=key_file.certificate,
        others=key_file.others,
        kind=kind,
        organisation=organisation,
        holder=holder,
        actor=actor,
    )
    return signing_key_create_software(
        certificate_row=row, private_key=key_file.private_key, pin=pin, label=label, actor=actor
    )


@transaction.atomic
def signing_key_register_pkcs11(
    *,
    module: str,
    token_label: str,
    key_label: str,
    certificate_pem: bytes,
    kind: str,
    holder: Any = None,
    organisation: Any = None,
    label: str = "",
    actor: Any = None,
) -> SigningKey:
    """Register a key that lives on a PKCS#11 token or HSM, with its certificate (PEM, the chain may follow).

    Nothing secret is stored: the token checks the PIN at every unlock. When the token shows the public key
    without logging in, it must be the certificate's.
    """
    _require_manager(actor=actor, kind=kind, holder=holder, organisation=organisation)
    _check_owner(kind=kind, holder=holder, organisation=organisation)
    fields = {"module": module, "token_label": token_label, "key_label": key_label}
    missing = {name: [str(_("Required."))] for name, value in fields.items() if not value.strip()}
    if missing:
        raise ValidationFailed(details=missing)
    try:
        certificates = x509.load_pem_x509_certificates(certificate_pem)
    except ValueError:
        message = _("The certificate is not a PEM certificate.")
        raise ValidationFailed(
            message, code="certificate_unreadable", details={"certificate": [str(message)]}
        ) from None
    certificate, others = certificates[0], certificates[1:]
    signing_certificate_check(certificate=certificate)
    try:
        on_token = tokens.public_key_find(module=module, token_label=token_label, key_label=key_label)
    except tokens.TokenUnavailable as error:
        raise _token_unavailable(error, registering=True) from error
    except (tokens.TokenWrongPin, tokens.TokenLocked) as error:  # pragma: no cover - no login here
        raise _token_unavailable(tokens.TokenUnavailable("token_failed"), registering=True) from error
    if on_token is not None and public_bytes(on_token) != public_bytes(certificate.public_key()):
        raise ValidationFailed(
            _("The key with this label on the token does not belong to the certificate."),
            code="key_certificate_mismatch",
        )
    row = certificate_record_with_chain(
        certificate=certificate, others=others, kind=kind, organisation=organisation, holder=holder, actor=actor
    )
    return _create(
        certificate_row=row,
        actor=actor,
        action="signatures.signing_key_registered",
        storage=SigningKey.Storage.PKCS11,
        label=(label or row.subject_common_name)[:200],
        pkcs11_module=module,
        pkcs11_token_label=token_label,
        pkcs11_key_label=key_label,
    )


def _token_unavailable(error: tokens.TokenUnavailable, *, registering: bool = False) -> ValidationFailed | InvalidState:
    messages = {
        "module_missing": _("The PKCS#11 module was not found on this server."),
        "module_unloadable": _("The PKCS#11 module could not be loaded."),
        "token_missing": _("The signing token was not found: check that it is connected."),
        "token_ambiguous": _("Several tokens have this label."),
        "token_busy": _("The signing token is busy; try again."),
        "key_missing": _("The key was not found on the signing token."),
        "key_ambiguous": _("Several keys on the signing token have this label."),
        "key_mismatch": _("The key on the signing token does not belong to the certificate."),
    }
    message = messages.get(error.reason, _("The signing token could not be used."))
    details = {"reason": error.reason}
    if registering:
        return ValidationFailed(message, code=f"pkcs11_{error.reason}", details=details)
    return InvalidState(message, code=f"pkcs11_{error.reason}", details=details)


# --- unlocking -----------------------------------------------------------------------------------------------


def _private_key_open(*, row: SigningKey, certificate: x509.Certificate, pin: str) -> PrivateKey:
    if row.storage == SigningKey.Storage.PKCS11:
        public_key = certificate.public_key()
        if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
            raise ValidationFailed(_("Only RSA and elliptic-curve keys are supported."), code="key_type_unsupported")
        return tokens.token_private_key(
            module=row.pkcs11_module,
            token_label=row.pkcs11_token_label,
            key_label=row.pkcs11_key_label,
            pin=pin,
            public_key=public_key,
        )
    private_key = key_decrypt(
        encrypted=bytes(row.encrypted_key),
        derivation=row.key_derivation,
        pin=pin,
        associated_data=_associated_data(row.certificate),
    )
    if public_bytes(private_key.public_key()) != public_bytes(certificate.public_key()):
        raise InvalidState(_("The stored key does not belong to its certificate."), code="key_certificate_mismatch")
    return private_key


def _usable_check(row: SigningKey) -> None:
    certificate_row = row.certificate
    if not row.is_active:
        raise InvalidState(_("This signing key has been deactivated."), code="signing_key_inactive")
    if row.locked_at is not None:
        raise locked_error()
    now = timezone.now()
    if certificate_row.revoked_at is not None and certificate_row.revoked_at <= now:
        raise InvalidState(_("The certificate of this signing key has been revoked."), code="certificate_revoked")
    if now < certificate_row.not_before:
        raise InvalidState(_("The certificate of this signing key is not valid yet."), code="certificate_not_yet_valid")
    if now >= certificate_row.not_after:
        raise InvalidState(_("The certificate of this signing key has expired."), code="certificate_expired")


def signing_key_unlock(*, signing_key: SigningKey, pin: str, actor: Any) -> KeySigner:
    """Open a key for one signing with its PIN: only its holder (a seal: its organisation's leaders and clerks),
    while the key is active and unlocked and its certificate valid and not revoked.

    Wrong PINs are counted in a transaction of their own, which the caller's rollback does not undo;
    the fifth in a row locks the key. A right PIN resets the count. Every unlock and wrong PIN is audited;
    the PIN never is.
    """
    actor_require(actor)
    row = SigningKey.objects.select_related("certificate").filter(pk=signing_key.pk).first()
    if row is None:
        raise NotFound(_("This signing key no longer exists."), code="signing_key_not_found")
    if not may_use(actor, row.certificate):
        raise forbidden()
    _usable_check(row)
    certificate = certificate_of(row.certificate)
    try:
        private_key = _private_key_open(row=row, certificate=certificate, pin=pin)
    except (WrongPin, tokens.TokenWrongPin):
        raise wrong_pin_error(wrong_pin_count(row=row, actor=actor)) from None
    except SecretChanged:
        raise InvalidState(
            _(
                "This key was stored under another secret key of the platform; set the old one in "
                "SECRET_KEY_FALLBACKS or register the key again."
            ),
            code="signing_key_secret_changed",
        ) from None
    except tokens.TokenLocked:
        raise InvalidState(
            _("The signing token has locked its PIN after too many wrong ones; unblock it with the token's tools."),
            code="signing_key_locked",
        ) from None
    except tokens.TokenUnavailable as error:
        raise _token_unavailable(error) from error
    with transaction.atomic():
        if row.failed_attempts:
            row.failed_attempts = 0
            row.save(update_fields=["failed_attempts", "updated_at"])
        audit_record(
            action="signatures.signing_key_unlocked",
            instance=row,
            after={"storage": row.storage, "certificate_serial": row.certificate.serial_number},
            actor=actor,
        )
    return KeySigner(signing_key=row, certificate=certificate, chain=chain_of(row.certificate), private_key=private_key)


def signing_key_change_pin(*, signing_key: SigningKey, old_pin: str, new_pin: str, actor: Any) -> SigningKey:
    """Change the PIN (who may unlock the key may change it; a wrong old PIN counts like any wrong PIN).

    A software key is encrypted again under the new PIN; a token's user PIN is changed on the token.
    """
    if signing_key.storage == SigningKey.Storage.SOFTWARE:
        try:
            pin_validate(pin=new_pin)
        except ValidationFailed as error:
            raise ValidationFailed(error.message, code=error.code, details={"new_pin": [str(error.message)]}) from None
    elif not new_pin:
        raise ValidationFailed(details={"new_pin": [str(_("Required."))]})
    if new_pin == old_pin:
        message = _("The new PIN must differ from the old one.")
        raise ValidationFailed(message, code="pin_unchanged", details={"new_pin": [str(message)]})
    # Unlocked outside this service's transaction: a wrong old PIN must stay counted.
    signer = signing_key_unlock(signing_key=signing_key, pin=old_pin, actor=actor)
    with transaction.atomic():
        row = SigningKey.objects.select_for_update().select_related("certificate").get(pk=signing_key.pk)
        if row.storage == SigningKey.Storage.SOFTWARE:
            row.encrypted_key, row.key_derivation = key_encrypt(
                private_key=signer.private_key, pin=new_pin, associated_data=_associated_data(row.certificate)
            )
            row.save(update_fields=["encrypted_key", "key_derivation", "updated_at"])
        else:
            try:
                tokens.pin_change(
                    module=row.pkcs11_module, token_label=row.pkcs11_token_label, old_pin=old_pin, new_pin=new_pin
                )
            except tokens.TokenWrongPin:  # the token refused the new PIN's length
                message = _("The signing token does not accept this PIN.")
                raise ValidationFailed(message, code="pin_invalid", details={"new_pin": [str(message)]}) from None
            except tokens.TokenUnavailable as error:
                raise _token_unavailable(error) from error
        audit_record(
            action="signatures.signing_key_pin_changed",
            instance=row,
            after={"storage": row.storage, "certificate_serial": row.certificate.serial_number},
            actor=actor,
        )
    return row


@transaction.atomic
def signing_key_unblock(*, signing_key: SigningKey, actor: Any) -> SigningKey:
    """Unlock a key locked by wrong PINs, keeping its PIN (platform administrators, or agency administrators of
    its organisation). A new PIN cannot be set here: a software key opens only with the PIN it was stored under.
    """
    actor_require(actor)
    row = SigningKey.objects.select_for_update().select_related("certificate").get(pk=signing_key.pk)
    if not may_manage(actor, organisation_of(row.certificate)):
        raise forbidden()
    if row.locked_at is None and row.failed_attempts == 0:
        raise InvalidState(_("This signing key is not locked."), code="signing_key_not_locked")
    before = snapshot(row, _AUDITED_FIELDS)
    row.failed_attempts = 0
    row.locked_at = None
    row.save(update_fields=["failed_attempts", "locked_at", "updated_at"])
    audit_record(
        action="signatures.signing_key_unblocked",
        instance=row,
        before=before,
        after=snapshot(row, _AUDITED_FIELDS),
        actor=actor,
    )
    return row


def signing_key_find(*, holder: Any = None, organisation_code: str = "", kind: str) -> SigningKey | None:
    """The active key of a holder (personal) or an organisation (seal) whose certificate is valid now and not
    revoked; the newest certificate first. Locked keys are found (unlocking them says they are locked)."""
    if holder is None and not organisation_code:
        return None
    now = timezone.now()
    rows = SigningKey.objects.filter(
        is_active=True,
        certificate__kind=kind,
        certificate__not_before__lte=now,
        certificate__not_after__gt=now,
    ).filter(Q(certificate__revoked_at__isnull=True) | Q(certificate__revoked_at__gt=now))
    if holder is not None:
        if getattr(holder, "pk", None) is None:
            return None
        rows = rows.filter(certificate__holder=holder)
    if organisation_code:
        rows = rows.filter(certificate__organisation_code=organisation_code)
    return rows.select_related("certificate").order_by("-certificate__not_before", "-created_at").first()
