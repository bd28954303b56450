"""The webhook signature scheme, for Motcua (signing) and for receivers written in Python (verifying).

Every request carries::

    Motcua-Delivery: <delivery id, a UUID: the same on every retry, so receivers can ignore repeats>
    Motcua-Event: <event key, e.g. dossiers.accepted>
    Motcua-Timestamp: <Unix time in seconds when this attempt was signed>
    Motcua-Signature: v1=<hex HMAC-SHA256(secret, timestamp + "." + body)>[,v1=<...>]

The body is the exact bytes of the JSON document sent. While a rotated-out secret is still in its grace
period, the header carries one ``v1=`` signature per valid secret; a receiver accepts the request when any of
them matches its secret. docs/notifications.md shows the same check in a few lines for receivers.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterable, Mapping

SCHEME = "v1"
HEADER_DELIVERY = "Motcua-Delivery"
HEADER_EVENT = "Motcua-Event"
HEADER_TIMESTAMP = "Motcua-Timestamp"
HEADER_SIGNATURE = "Motcua-Signature"
# Receivers should refuse requests signed longer ago than this (replays of a captured request).
DEFAULT_TOLERANCE_SECONDS = 300


def signature_compute(*, secret: str, timestamp: int, body: bytes) -> str:
    message = str(int(timestamp)).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def signature_header(*, secrets: Iterable[str], timestamp: int, body: bytes) -> str:
    """The ``Motcua-Signature`` value: one ``v1=`` signature per secret, the current secret first."""
    return ",".join(
        f"{SCHEME}={signature_compute(secret=secret, timestamp=timestamp, body=body)}" for secret in secrets
    )


def signature_verify(
    *,
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    now: float | None = None,
    tolerance_seconds: int = DEFAULT_TOLERANCE_SECONDS,
) -> bool:
    """True when one of the request's signatures is ``secret``'s over this body and its timestamp is recent."""
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        timestamp = int(lowered.get(HEADER_TIMESTAMP.lower(), ""))
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = signature_compute(secret=secret, timestamp=timestamp, body=body)
    for part in lowered.get(HEADER_SIGNATURE.lower(), "").split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == SCHEME and hmac.compare_digest(value, expected):
            return True
    return False
