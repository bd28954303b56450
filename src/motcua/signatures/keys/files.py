"""Reading key files: PKCS#12 (.p12, .pfx) and PEM (certificate, private key maybe encrypted, maybe the chain).

Each refusal is a ``ValidationFailed`` with its own code and a message that says what to do.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import ValidationFailed

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

MAX_FILE_BYTES = 1024 * 1024
_PEM_KEY = re.compile(rb"-----BEGIN ((?:ENCRYPTED |RSA |EC )?PRIVATE KEY)-----.*?-----END \1-----", re.DOTALL)


@dataclass(frozen=True)
class KeyFile:
    """What a key file holds: the key, its certificate, and the other certificates (the chain, any order)."""

    private_key: PrivateKey
    certificate: x509.Certificate
    others: list[x509.Certificate]


def _refuse(message: object, code: str) -> ValidationFailed:
    return ValidationFailed(message, code=code, details={"file": [str(message)]})


def _unreadable() -> ValidationFailed:
    return _refuse(
        _("The file is neither a PKCS#12 (.p12, .pfx) nor a PEM file with a certificate and key, or it is damaged."),
        "key_file_unreadable",
    )


def _password_required() -> ValidationFailed:
    return _refuse(_("The file is protected by a password: enter it."), "key_file_password_required")


def _wrong_password() -> ValidationFailed:
    return _refuse(_("The password of the file is wrong."), "key_file_wrong_password")


def _is_pkcs12(data: bytes) -> bool:
    try:
        parsed = asn1_pkcs12.Pfx.load(data, strict=True)
        return parsed["version"].native == "v3" and parsed["auth_safe"]["content_type"].native is not None
    except Exception:
        return False


def _read_pkcs12(data: bytes, password: bytes | None) -> tuple[object, list[x509.Certificate]]:
    if not _is_pkcs12(data):
        raise _unreadable()
    try:
        key, certificate, others = pkcs12.load_key_and_certificates(data, password)
    except ValueError:
        # cryptography says "Invalid password or PKCS12 data"; the structure parsed, so it is the password.
        if password is None:
            try:
                key, certificate, others = pkcs12.load_key_and_certificates(data, b"")
            except ValueError:
                raise _password_required() from None
        else:
            raise _wrong_password() from None
    certificates = ([certificate] if certificate is not None else []) + list(others)
    return key, certificates


def _read_pem(data: bytes, password: bytes | None) -> tuple[object, list[x509.Certificate]]:
    try:
        certificates = x509.load_pem_x509_certificates(data) if b"-----BEGIN CERTIFICATE-----" in data else []
    except ValueError:
        raise _unreadable() from None
    blocks = [match.group(0) for match in _PEM_KEY.finditer(data)]
    if len(blocks) > 1:
        raise _refuse(_("The file holds several private keys; keep only the signing key."), "key_file_several_keys")
    if not blocks:
        return None, certificates
    block = blocks[0]
    encrypted = block.startswith(b"-----BEGIN ENCRYPTED") or b"Proc-Type: 4,ENCRYPTED" in block
    if encrypted and not password:
        raise _password_required()
    try:
        key = serialization.load_pem_private_key(block, password=password if encrypted else None)
    except ValueError:
        if encrypted:
            raise _wrong_password() from None
        raise _unreadable() from None
    except TypeError:
        raise _unreadable() from None
    return key, certificates


def _public_bytes(public_key: object) -> bytes:
    assert isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey)
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_file_read(*, data: bytes, password: str | None) -> KeyFile:
    """The key, its certificate and the rest of the chain from a PKCS#12 or PEM file."""
    if not data or len(data) > MAX_FILE_BYTES:
        raise _unreadable()
    password_bytes = password.encode("utf-8") if password else None
    if b"-----BEGIN" in data:
        key, certificates = _read_pem(data, password_bytes)
    else:
        key, certificates = _read_pkcs12(data, password_bytes)
    if key is None:
        raise _refuse(_("The file holds no private key: export the certificate together with its key."), "key_missing")
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise _refuse(_("Only RSA and elliptic-curve keys are supported."), "key_type_unsupported")
    if not certificates:
        raise _refuse(_("The file holds no certificate for its key."), "certificate_missing")
    own = _public_bytes(key.public_key())
    matching = [certificate for certificate in certificates if _public_bytes_of(certificate) == own]
    if not matching:
        raise _refuse(_("The private key in the file does not belong to its certificate."), "key_certificate_mismatch")
    leaf = matching[0]
    others = [certificate for certificate in certificates if certificate != leaf]
    return KeyFile(private_key=key, certificate=leaf, others=others)


def _public_bytes_of(certificate: x509.Certificate) -> bytes:
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        return b""
    return _public_bytes(public_key)


def _date(moment: dt.datetime) -> str:
    return str(formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT"))


def signing_certificate_check(*, certificate: x509.Certificate, now: dt.datetime | None = None) -> None:
    """Refuse a certificate that cannot sign now: expired, not yet valid, or without a signing key usage."""
    now = now or dt.datetime.now(dt.UTC)
    if now < certificate.not_valid_before_utc:
        raise _refuse(
            _("The certificate is not valid yet: it is valid from %(date)s.")
            % {"date": _date(certificate.not_valid_before_utc)},
            "certificate_not_yet_valid",
        )
    if now >= certificate.not_valid_after_utc:
        raise _refuse(
            _("The certificate expired on %(date)s.") % {"date": _date(certificate.not_valid_after_utc)},
            "certificate_expired",
        )
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        return  # no restriction
    if not (usage.digital_signature or usage.content_commitment):
        raise _refuse(
            _(
                "The certificate is not meant for signing: its key usage allows neither digital signatures nor "
                "non-repudiation."
            ),
            "certificate_wrong_key_usage",
        )
    public_key = certificate.public_key()
    if not isinstance(public_key, rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise _refuse(_("Only RSA and elliptic-curve keys are supported."), "key_type_unsupported")
