"""Software keys at rest: PIN rules, and PKCS#8 encrypted with AES-256-GCM under scrypt(PIN) mixed with a pepper.

See the package docstring for the scheme. Nothing here touches the database.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import ValidationFailed

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

PIN_MIN_LENGTH = 6
PIN_MAX_LENGTH = 12
# Printable ASCII without the space: what every keyboard and PIN pad can type, and no Unicode normalisation
# question (the same PIN must give the same bytes on every machine).
PIN_CHARACTERS = frozenset(chr(code) for code in range(0x21, 0x7F))

SCHEME_VERSION = 1
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
SALT_BYTES = 16
NONCE_BYTES = 12
KEY_BYTES = 32
_PEPPER_INFO = b"motcua.signatures.keys/pepper/v1"
_KEY_INFO = b"motcua.signatures.keys/aes-256-gcm/v1"
_PEPPER_ID_INFO = b"motcua.signatures.keys/pepper-id/v1"


# Within ``shared_derivation()``: PIN -> (salt, AES key), so a batch of keys under one PIN costs one scrypt run.
_shared: ContextVar[dict[str, tuple[bytes, bytes]] | None] = ContextVar("motcua_key_derivations", default=None)


class WrongPin(Exception):
    """The PIN does not open the key (AES-GCM refused the tag)."""


class SecretChanged(Exception):
    """The key was encrypted under another ``SECRET_KEY`` (not among ``SECRET_KEY_FALLBACKS``)."""


def pin_validate(*, pin: str) -> None:
    """Refuse a PIN that breaks the rules: 6 to 12 printable ASCII characters, no spaces."""
    if (
        not isinstance(pin, str)
        or not PIN_MIN_LENGTH <= len(pin) <= PIN_MAX_LENGTH
        or any(character not in PIN_CHARACTERS for character in pin)
    ):
        message = _(
            "The PIN must have %(minimum)d to %(maximum)d characters: digits, Latin letters or punctuation, "
            "without spaces."
        ) % {"minimum": PIN_MIN_LENGTH, "maximum": PIN_MAX_LENGTH}
        raise ValidationFailed(message, code="pin_invalid", details={"pin": [str(message)]})


def _pepper(secret: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=_PEPPER_INFO).derive(secret.encode())


def _pepper_id(pepper: bytes) -> str:
    """Names which secret a key was encrypted under, so a changed secret is not taken for a wrong PIN."""
    return hmac.new(pepper, _PEPPER_ID_INFO, hashlib.sha256).hexdigest()[:16]


def _secrets() -> Iterable[str]:
    yield str(settings.SECRET_KEY)
    yield from (str(secret) for secret in getattr(settings, "SECRET_KEY_FALLBACKS", []) or [])


def _encryption_key(*, pin: str, salt: bytes, pepper: bytes, n: int, r: int, p: int) -> bytes:
    stretched = Scrypt(salt=salt, length=KEY_BYTES, n=n, r=r, p=p).derive(pin.encode("utf-8"))
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=pepper, info=_KEY_INFO).derive(stretched)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@contextlib.contextmanager
def shared_derivation() -> Iterator[None]:
    """Keys encrypted inside share one salt and one scrypt run per PIN (``pki_init`` issuing a directory's
    keys under one PIN): whoever finds the PIN of one has it for all of them anyway, so separate salts would
    not make any harder to attack. Every key still has its own nonce."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def key_encrypt(*, private_key: PrivateKey, pin: str, associated_data: bytes) -> tuple[bytes, dict[str, Any]]:
    """The encrypted PKCS#8 DER and the ``key_derivation`` record needed to decrypt it again."""
    pin_validate(pin=pin)
    pepper = _pepper(str(settings.SECRET_KEY))
    shared = _shared.get()
    if shared is not None and pin in shared:
        salt, key = shared[pin]
    else:
        salt = os.urandom(SALT_BYTES)
        key = _encryption_key(pin=pin, salt=salt, pepper=pepper, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P)
        if shared is not None:
            shared[pin] = (salt, key)
    nonce = os.urandom(NONCE_BYTES)
    plain = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    encrypted = AESGCM(key).encrypt(nonce, plain, associated_data)
    derivation = {
        "version": SCHEME_VERSION,
        "format": "pkcs8-der",
        "cipher": "aes-256-gcm",
        "nonce": _b64(nonce),
        "associated_data": "certificate-sha256",
        "kdf": "scrypt",
        "salt": _b64(salt),
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "pepper": "hkdf-sha256(SECRET_KEY)",
        "pepper_id": _pepper_id(pepper),
        "mix": "hkdf-sha256(scrypt, salt=pepper)",
    }
    return encrypted, derivation


def key_decrypt(*, encrypted: bytes, derivation: dict[str, Any], pin: str, associated_data: bytes) -> PrivateKey:
    """The private key, or ``WrongPin`` / ``SecretChanged``."""
    if derivation.get("version") != SCHEME_VERSION or derivation.get("cipher") != "aes-256-gcm":
        raise ValueError("unknown key encryption scheme")
    pepper = next(
        (candidate for candidate in map(_pepper, _secrets()) if _pepper_id(candidate) == derivation.get("pepper_id")),
        None,
    )
    if pepper is None:
        raise SecretChanged()
    if not isinstance(pin, str) or not pin or len(pin) > 256:
        raise WrongPin()
    key = _encryption_key(
        pin=pin,
        salt=base64.b64decode(derivation["salt"]),
        pepper=pepper,
        n=int(derivation["n"]),
        r=int(derivation["r"]),
        p=int(derivation["p"]),
    )
    try:
        plain = AESGCM(key).decrypt(base64.b64decode(derivation["nonce"]), bytes(encrypted), associated_data)
    except InvalidTag:
        raise WrongPin() from None
    private_key = serialization.load_der_private_key(plain, password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValueError("the stored key is neither RSA nor elliptic-curve")
    return private_key
