"""This node's identity: its id, its URL, the organisations it serves, and its node key.

The node key signs what the node says without a person: technical receipts (status 01), status packages
(02–06, 15, 16), node-to-node requests, its identity and, on the directory authority, the directory. It is kept
like a TLS server key: a PEM file readable only by the service's user (mode 0600), optionally encrypted under
``MOTCUA_EXCHANGE_NODE_KEY_PASSPHRASE``; its certificate chain sits beside it. ``motcua exchange node-init``
issues one from the development PKI, or imports a key and certificate issued by a real CA (ADR 0014).
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Organisation
from motcua.core.audit import audit_record
from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.signatures.models import Certificate
from motcua.signatures.services import certificate_fingerprint, certificate_issue, pki_load

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


@dataclass(frozen=True)
class NodeKey:
    """The node's private key and its certificate, with the CAs above it (nearest first)."""

    private_key: PrivateKey
    certificate: x509.Certificate
    chain: tuple[x509.Certificate, ...]

    @property
    def fingerprint(self) -> str:
        return certificate_fingerprint(self.certificate)

    def certificate_pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")

    def sign(self, data: bytes) -> bytes:
        """A raw signature (RSA PKCS#1 v1.5 or ECDSA, SHA-256) of ``data``: for node-to-node requests."""
        if isinstance(self.private_key, rsa.RSAPrivateKey):
            return self.private_key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        return self.private_key.sign(data, ec.ECDSA(hashes.SHA256()))


def signature_check(certificate: x509.Certificate, signature: bytes, data: bytes) -> bool:
    """Whether ``signature`` is the certificate's key's signature of ``data`` (see NodeKey.sign)."""
    from cryptography.exceptions import InvalidSignature

    public_key = certificate.public_key()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, data, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(public_key, ec.EllipticCurvePublicKey):
            public_key.verify(signature, data, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def node_id() -> str:
    return str(settings.EXCHANGE_NODE_ID)


def node_url() -> str:
    return str(settings.EXCHANGE_NODE_URL).rstrip("/")


def _paths() -> tuple[Path, Path]:
    return Path(settings.EXCHANGE_NODE_KEY_FILE), Path(settings.EXCHANGE_NODE_CERTIFICATE_FILE)


_LOADED: dict[tuple[str, str], tuple[tuple[int, int], NodeKey]] = {}


def node_key_exists() -> bool:
    key_path, certificate_path = _paths()
    return key_path.exists() and certificate_path.exists()


def node_key_load() -> NodeKey:
    """The node key (cached until its files change); InvalidState when the node has none yet."""
    key_path, certificate_path = _paths()
    try:
        stamp = (key_path.stat().st_mtime_ns, certificate_path.stat().st_mtime_ns)
    except FileNotFoundError:
        raise InvalidState(
            _("This node has no node key yet. Run `motcua exchange node-init`."), code="node_key_missing"
        ) from None
    cache_key = (str(key_path), str(certificate_path))
    cached = _LOADED.get(cache_key)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    passphrase = str(settings.EXCHANGE_NODE_KEY_PASSPHRASE or "").encode() or None
    private_key = serialization.load_pem_private_key(key_path.read_bytes(), password=passphrase)
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise InvalidState(_("The node key must be an RSA or elliptic-curve key."), code="node_key_invalid")
    certificates = x509.load_pem_x509_certificates(certificate_path.read_bytes())
    key = NodeKey(private_key=private_key, certificate=certificates[0], chain=tuple(certificates[1:]))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.certificate.public_key().public_bytes(
        serialization.Encoding.DER, public
    ) != private_key.public_key().public_bytes(serialization.Encoding.DER, public):
        raise InvalidState(_("The node certificate does not belong to the node key."), code="node_key_invalid")
    _LOADED[cache_key] = (stamp, key)
    return key


def _write(path: Path, data: bytes, *, private: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    descriptor = os.open(temporary, flags, 0o600 if private else 0o644)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    os.replace(temporary, path)


def _store(*, private_key: PrivateKey, certificates: list[x509.Certificate]) -> NodeKey:
    key_path, certificate_path = _paths()
    passphrase = str(settings.EXCHANGE_NODE_KEY_PASSPHRASE or "").encode()
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    _write(
        key_path,
        private_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption),
        private=True,
    )
    _write(
        certificate_path,
        b"".join(certificate.public_bytes(serialization.Encoding.PEM) for certificate in certificates),
        private=False,
    )
    return node_key_load()


def node_key_init(*, actor: Any, force: bool = False) -> NodeKey:
    """Issue this node a key and certificate from the development PKI (once; ``force`` issues a new one).

    The certificate is recorded in the inventory (kind "agency seal" without an organisation: the inventory has
    no kind for nodes; its subject names the node) and can be revoked there like any other.
    """
    if node_key_exists() and not force:
        return node_key_load()
    pki = pki_load()
    certified = certificate_issue(
        pki=pki,
        kind=Certificate.Kind.AGENCY_SEAL,
        common_name=f"{settings.PLATFORM_NAME} exchange node {node_id()}",
        organisation_name=str(settings.EXCHANGE_NODE_NAME),
        organisation_unit="Exchange node",
        actor=actor,
    )
    key = _store(private_key=certified.private_key, certificates=[certified.certificate, *pki.chain])
    audit_record(
        action="exchange.node_key_issued",
        object_type="exchange.node",
        object_id=node_id(),
        after={"certificate_sha256": key.fingerprint},
        actor=actor,
    )
    return key


def node_key_import(*, key_pem: bytes, certificate_pem: bytes, password: str = "", actor: Any) -> NodeKey:
    """Use a node key and certificate issued by another CA (PEM; the certificate file may hold the chain)."""
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=password.encode() or None)
        certificates = x509.load_pem_x509_certificates(certificate_pem)
    except (ValueError, TypeError) as error:
        raise ValidationFailed(_("The key or certificate file cannot be read."), code="node_key_unreadable") from error
    if not isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ValidationFailed(_("The node key must be an RSA or elliptic-curve key."), code="node_key_invalid")
    key = _store(private_key=private_key, certificates=certificates)
    audit_record(
        action="exchange.node_key_imported",
        object_type="exchange.node",
        object_id=node_id(),
        after={"certificate_sha256": key.fingerprint},
        actor=actor,
    )
    return key


def certificate_from_pem(pem: str | bytes) -> x509.Certificate:
    data = pem.encode("ascii") if isinstance(pem, str) else pem
    return x509.load_pem_x509_certificate(data)


def pem_fingerprint(pem: str | bytes) -> str:
    return certificate_fingerprint(certificate_from_pem(pem))


def certificate_organisation_code(certificate: x509.Certificate) -> str:
    """The electronic code an agency seal certificate names (subject serialNumber), or ""."""
    names = certificate.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(names[0].value).strip().upper() if names else ""


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# --- the organisations this node serves ------------------------------------------------------------------------


def served_organisations() -> QuerySet[Organisation]:
    """Active organisations with an electronic code that this node delivers for: the subtrees of
    ``MOTCUA_EXCHANGE_SERVED_ORGANISATIONS``, or every one in the local directory when it is empty."""
    organisations = Organisation.objects.filter(is_active=True).exclude(code__isnull=True).exclude(code="")
    roots = [code.strip().upper() for code in settings.EXCHANGE_SERVED_ORGANISATIONS if code.strip()]
    if not roots:
        return organisations.order_by("code")
    condition = Q(code__in=roots)
    for root in Organisation.objects.filter(code__in=roots):
        condition |= Q(path__startswith=f"{root.path}{root.pk}/")
    return organisations.filter(condition).order_by("code")


def serves(code: str) -> bool:
    return served_organisations().filter(code=(code or "").strip().upper()).exists()


def served_organisation_get(code: str) -> Organisation | None:
    return served_organisations().filter(code=(code or "").strip().upper()).first()
