"""Signed node-to-node requests: which node is calling, proven with its node key.

In production the connection itself is mutual TLS (each node's server and client certificates, see
docs/exchange.md); every request is also signed, so that the application knows the calling node whatever
terminates TLS, and the tests on 127.0.0.1 run the same checks over plain HTTP. The signature covers:

    MOTCUA-NODE-1 \\n method \\n path?query \\n timestamp \\n nonce \\n node id \\n sha256(body) \\n
    each X-Motcua-* message header as "name:value", in a fixed order

with the node key (RSA PKCS#1 v1.5 / ECDSA, SHA-256), base64 in ``X-Motcua-Signature``. The receiver takes the
caller's certificate from the signed node directory, refuses a timestamp outside ``MOTCUA_EXCHANGE_CLOCK_SKEW_SECONDS``
and a nonce it has already seen (a replayed request), so a captured request cannot be sent again.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import secrets
import time
from collections.abc import Mapping

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import NotAuthenticated
from motcua.exchange.identity import NodeKey, certificate_from_pem, node_id, signature_check
from motcua.exchange.models import Node, RequestNonce
from motcua.exchange.transport.wire import MESSAGE_HEADERS

logger = logging.getLogger(__name__)

HEADER_NODE = "X-Motcua-Node"
HEADER_TIMESTAMP = "X-Motcua-Timestamp"
HEADER_NONCE = "X-Motcua-Nonce"
HEADER_SIGNATURE = "X-Motcua-Signature"
SCHEME = "MOTCUA-NODE-1"


class NodeAuthenticationFailed(NotAuthenticated):
    default_code = "node_authentication_failed"
    default_message = _("The calling node could not be authenticated.")


def _canonical(
    *, method: str, path: str, timestamp: str, nonce: str, node: str, body: bytes, headers: Mapping[str, str]
) -> bytes:
    lines = [SCHEME, method.upper(), path, timestamp, nonce, node, hashlib.sha256(body).hexdigest()]
    lowered = {name.lower(): value for name, value in headers.items()}
    for name in MESSAGE_HEADERS:
        if name.lower() in lowered:
            lines.append(f"{name.lower()}:{lowered[name.lower()]}")
    return "\n".join(lines).encode("utf-8")


def request_sign(*, key: NodeKey, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> dict[str, str]:
    """The authentication headers for a request this node makes."""
    timestamp = str(int(time.time()))
    nonce = secrets.token_hex(16)
    signature = key.sign(
        _canonical(
            method=method, path=path, timestamp=timestamp, nonce=nonce, node=node_id(), body=body, headers=headers
        )
    )
    return {
        HEADER_NODE: node_id(),
        HEADER_TIMESTAMP: timestamp,
        HEADER_NONCE: nonce,
        HEADER_SIGNATURE: base64.b64encode(signature).decode("ascii"),
    }


def _refuse(message: str, **details: str) -> NodeAuthenticationFailed:
    logger.warning("node request refused: %s %s", message, details)
    return NodeAuthenticationFailed(details=details)


def request_precheck(*, headers: Mapping[str, str]) -> None:
    """The cheap part of ``request_verify``, before a large body is read: the headers are there, the node is one
    of the directory and the time is within the window (a stranger cannot make this node read 64 MB)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    caller = lowered.get(HEADER_NODE.lower(), "")
    if not caller or not Node.objects.filter(node_id=caller).exists():
        raise _refuse("unknown node", node=caller)
    try:
        moment = int(lowered.get(HEADER_TIMESTAMP.lower(), ""))
    except ValueError:
        raise _refuse("malformed authentication headers", node=caller) from None
    if abs(time.time() - moment) > int(settings.EXCHANGE_CLOCK_SKEW_SECONDS):
        raise _refuse("timestamp outside the accepted window", node=caller)


def request_verify(*, method: str, path: str, body: bytes, headers: Mapping[str, str]) -> Node:
    """The directory node that signed this request; NodeAuthenticationFailed otherwise (and for a replay)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    caller = lowered.get(HEADER_NODE.lower(), "")
    timestamp = lowered.get(HEADER_TIMESTAMP.lower(), "")
    nonce = lowered.get(HEADER_NONCE.lower(), "")
    signature_text = lowered.get(HEADER_SIGNATURE.lower(), "")
    if not (caller and timestamp and nonce and signature_text) or len(nonce) > 64:
        raise _refuse("missing authentication headers")
    node = Node.objects.filter(node_id=caller).first()
    if node is None:
        raise _refuse("unknown node", node=caller)
    try:
        moment = int(timestamp)
        signature = base64.b64decode(signature_text, validate=True)
    except (ValueError, binascii.Error):
        raise _refuse("malformed authentication headers", node=caller) from None
    if abs(time.time() - moment) > int(settings.EXCHANGE_CLOCK_SKEW_SECONDS):
        raise _refuse("timestamp outside the accepted window", node=caller)
    certificate = certificate_from_pem(node.certificate_pem)
    now = timezone.now()
    if not (certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc):
        raise _refuse("node certificate not valid now", node=caller)
    canonical = _canonical(
        method=method, path=path, timestamp=timestamp, nonce=nonce, node=caller, body=body, headers=headers
    )
    if not signature_check(certificate, signature, canonical):
        raise _refuse("bad signature", node=caller)
    try:
        with transaction.atomic():
            RequestNonce.objects.create(nonce=nonce, node_id=caller, seen_at=now)
    except IntegrityError:
        raise _refuse("replayed request", node=caller) from None
    return node


def nonces_purge() -> int:
    """Forget nonces older than twice the clock window (requests that old are refused by their timestamp)."""
    horizon = timezone.now() - dt.timedelta(seconds=2 * int(settings.EXCHANGE_CLOCK_SKEW_SECONDS))
    deleted, _rows = RequestNonce.objects.filter(seen_at__lt=horizon).delete()
    return int(deleted)
