"""What a node trusts when it checks a signature from another node: the deployment's trust anchors
(``MOTCUA_TRUST_ANCHORS``, and the development PKI's root while ``MOTCUA_TRUST_DEV_PKI`` is on), and the
revocations of the development PKI, as CRLs built from the local certificate inventory.

Building and signing the two CRLs costs more than checking a package, so they are kept in the process and built
again as soon as the inventory's revocations change (a revocation a second ago already counts), or after ten
minutes (well within the CRLs' own validity).
"""

from __future__ import annotations

import threading
import time
from typing import Any

from django.conf import settings
from django.db.models import Count, Max

from motcua.signatures.models import Certificate
from motcua.signatures.services import ISSUING_CA_NAME, ROOT_CA_NAME, crl_build, pki_exists, pki_load
from motcua.signatures.verification import VerificationTrust, trust_anchors, trust_intermediates

CRL_REUSE_SECONDS = 600
_lock = threading.Lock()
_cached: dict[str, Any] = {}


def _revocations() -> tuple[Any, ...]:
    state = Certificate.objects.filter(revoked_at__isnull=False).aggregate(count=Count("id"), last=Max("revoked_at"))
    return (state["count"], state["last"], str(settings.PKI_DIR))


def trust_get() -> VerificationTrust:
    """The anchors, intermediates and current CRLs to verify a node's or an agency's signature with."""
    crls: list[bytes] = []
    if settings.TRUST_DEV_PKI and pki_exists():
        key = _revocations()
        with _lock:
            cached = _cached.get("crls")
            if cached is None or cached[0] != key or time.monotonic() - cached[1] > CRL_REUSE_SECONDS:
                pki = pki_load()
                cached = (
                    key,
                    time.monotonic(),
                    [crl_build(pki=pki, ca_name=name) for name in (ROOT_CA_NAME, ISSUING_CA_NAME)],
                )
                _cached["crls"] = cached
            crls = list(cached[2])
    return VerificationTrust(anchors=trust_anchors(), intermediates=trust_intermediates(), crls=crls)
