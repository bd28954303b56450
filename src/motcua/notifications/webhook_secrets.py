"""Webhook secrets at rest: AES-256-GCM under a key derived from ``SECRET_KEY`` (ADR 0011).

Motcua must know a subscription's secret to sign each request with it, so the secret cannot be stored hashed
like an API client's. It is encrypted instead: the key is HKDF-SHA256 of ``SECRET_KEY`` with a label of its
own (so it is no other key of the platform), the subscription's id is the associated data (a ciphertext moved
to another row does not open), and the stored text names which secret key it was made under, so keys in
``SECRET_KEY_FALLBACKS`` still open it after ``SECRET_KEY`` is rotated. A database dump alone reveals nothing.

Stored form: ``v1$<key id: 16 hex>$<base64 of nonce (12 bytes) + ciphertext + tag>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterator

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

VERSION = "v1"
NONCE_BYTES = 12
_KEY_INFO = b"motcua.notifications.webhook-secret/aes-256-gcm/v1"
_KEY_ID_INFO = b"motcua.notifications.webhook-secret/key-id/v1"
# Secrets handed to integrators start with this, so a leaked one is recognisable (secret scanners).
SECRET_PREFIX = "mcwh_"


class SecretUnavailable(Exception):
    """The stored secret was encrypted under a SECRET_KEY that is no longer configured, or was altered."""


def webhook_secret_generate() -> str:
    """A new random secret (256 bits), as integrators will copy it."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def _key(secret_key: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_INFO).derive(secret_key.encode())


def _key_id(key: bytes) -> str:
    return hmac.new(key, _KEY_ID_INFO, hashlib.sha256).hexdigest()[:16]


def _keys() -> Iterator[bytes]:
    yield _key(str(settings.SECRET_KEY))
    for fallback in getattr(settings, "SECRET_KEY_FALLBACKS", []) or []:
        yield _key(str(fallback))


def secret_encrypt(*, secret: str, associated_data: bytes) -> str:
    key = _key(str(settings.SECRET_KEY))
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, secret.encode("utf-8"), associated_data)
    return f"{VERSION}${_key_id(key)}${base64.b64encode(nonce + sealed).decode('ascii')}"


def secret_decrypt(*, stored: str, associated_data: bytes) -> str:
    try:
        version, key_id, encoded = stored.split("$", 2)
        data = base64.b64decode(encoded, validate=True)
    except ValueError:
        raise SecretUnavailable("not an encrypted webhook secret") from None
    if version != VERSION or len(data) <= NONCE_BYTES:
        raise SecretUnavailable("unknown encryption scheme")
    key = next((candidate for candidate in _keys() if _key_id(candidate) == key_id), None)
    if key is None:
        raise SecretUnavailable("encrypted under a SECRET_KEY that is not configured (SECRET_KEY_FALLBACKS)")
    try:
        return AESGCM(key).decrypt(data[:NONCE_BYTES], data[NONCE_BYTES:], associated_data).decode("utf-8")
    except InvalidTag:
        raise SecretUnavailable("the encrypted secret was altered or belongs to another subscription") from None
