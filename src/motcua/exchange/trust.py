"""What a node trusts when it checks a signature from another node: the deployment's trust anchors
(``MOTCUA_TRUST_ANCHORS``, and the development PKI's root while ``MOTCUA_TRUST_DEV_PKI`` is on), and the
revocations of the development PKI built from the local certificate inventory."""

from __future__ import annotations

from dataclasses import dataclass, field

from cryptography import x509
from django.conf import settings

from motcua.signatures.services import ISSUING_CA_NAME, ROOT_CA_NAME, crl_build, pki_exists, pki_load
from motcua.signatures.verification import trust_anchors, trust_intermediates


@dataclass(frozen=True)
class Trust:
    anchors: list[x509.Certificate]
    intermediates: list[x509.Certificate]
    crls: list[bytes] = field(default_factory=list)


def trust_get() -> Trust:
    crls: list[bytes] = []
    if settings.TRUST_DEV_PKI and pki_exists():
        pki = pki_load()
        crls = [crl_build(pki=pki, ca_name=name) for name in (ROOT_CA_NAME, ISSUING_CA_NAME)]
    return Trust(anchors=trust_anchors(), intermediates=trust_intermediates(), crls=crls)
