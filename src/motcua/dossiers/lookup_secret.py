"""The lookup secret printed on the receipt: random, shown once, stored only as a salted hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# Letters and digits that cannot be mistaken for each other on a printed receipt (no 0/O, 1/I).
SECRET_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
SECRET_LENGTH = 10  # 50 bits: far beyond guessing under the lookup rate limit


def secret_new() -> str:
    return "".join(secrets.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def secret_hash(secret: str, *, salt: str | None = None) -> str:
    """Salted SHA-256; a fast hash is enough for a random 50-bit secret (it is not a chosen password)."""
    salt = salt if salt is not None else secrets.token_hex(8)
    digest = hashlib.sha256(f"{salt}:{secret_normalise(secret)}".encode()).hexdigest()
    return f"sha256${salt}${digest}"


def secret_normalise(secret: str) -> str:
    return "".join((secret or "").split()).upper()


def secret_matches(secret: str, stored: str) -> bool:
    """Constant-time comparison of a typed secret with a stored hash (a dummy hash when none is stored)."""
    try:
        _algorithm, salt, _digest = stored.split("$", 2)
    except ValueError:
        salt, stored = "0" * 16, "sha256$" + "0" * 16 + "$" + "0" * 64
    return hmac.compare_digest(secret_hash(secret, salt=salt), stored)
