"""Signing documents with an unlocked key: PAdES B-LT for PDF, enveloped XML-DSig for XML, both audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from typing import Any

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from pyhanko.sign import signers
from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import HTTPTimeStamper, TimeStamper, TimestampRequestError
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore
from pyhanko_certvalidator.util import get_pyca_cryptography_hash, process_pss_params

from motcua.core.audit import audit_record
from motcua.core.exceptions import InvalidState, NotFound, ValidationFailed
from motcua.signatures.keys.tokens import TokenUnavailable
from motcua.signatures.models import SigningKey
from motcua.signatures.pdf import StampText, pdf_sign
from motcua.signatures.services import (
    ISSUING_CA_NAME,
    ROOT_CA_NAME,
    DevPki,
    certificate_fingerprint,
    crl_build,
    pki_load,
    serial_hex,
)
from motcua.signatures.tsa import TimestampFailed, tsa_respond
from motcua.signatures.xml import xml_sign

logger = logging.getLogger(__name__)

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def _asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class _KeyPdfSigner(signers.Signer):
    """pyHanko's signer over any cryptography private key: in memory or on a PKCS#11 token alike."""

    def __init__(self, *, private_key: PrivateKey, certificate: x509.Certificate, chain: list[x509.Certificate]):
        super().__init__(
            signing_cert=_asn1(certificate),
            cert_registry=SimpleCertificateStore.from_certs([_asn1(item) for item in chain]),
        )
        self._private_key = private_key

    def _placeholder_size(self) -> int:
        if isinstance(self._private_key, rsa.RSAPrivateKey):
            return self._private_key.key_size // 8
        # DER ECDSA-Sig-Value at its longest: two INTEGERs of the curve size plus a sign byte, and headers.
        return 2 * ((self._private_key.curve.key_size + 7) // 8) + 8

    async def async_sign_raw(self, data: bytes, digest_algorithm: str, dry_run: bool = False) -> bytes:
        if dry_run:
            # pyHanko sizes the signature placeholder this way; no need to log in to a token for that.
            return bytes(self._placeholder_size())
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm)
        algorithm = mechanism.signature_algo
        hash_algorithm = get_pyca_cryptography_hash(digest_algorithm)
        key = self._private_key
        if algorithm == "rsassa_pkcs1v15" and isinstance(key, rsa.RSAPrivateKey):
            return key.sign(data, PKCS1v15(), hash_algorithm)
        if algorithm == "rsassa_pss" and isinstance(key, rsa.RSAPrivateKey):
            pss_padding, pss_hash = process_pss_params(mechanism["parameters"])
            return key.sign(data, pss_padding, pss_hash)
        if algorithm == "ecdsa" and isinstance(key, ec.EllipticCurvePrivateKey):
            return key.sign(data, ec.ECDSA(hash_algorithm))
        raise SigningError(f"Signature mechanism {algorithm} does not fit this key.")


@dataclass(frozen=True)
class KeySigner:
    """An unlocked key, for one signing: the key row, its certificate, the CAs above it (nearest first)."""

    signing_key: SigningKey
    certificate: x509.Certificate
    chain: list[x509.Certificate]
    private_key: PrivateKey

    def pdf_signer(self) -> signers.Signer:
        return _KeyPdfSigner(private_key=self.private_key, certificate=self.certificate, chain=self.chain)


class InProcessTimeStamper(TimeStamper):
    """Motcua's own TSA (``tsa.tsa_respond``) called directly: no HTTP request to ourselves."""

    def __init__(self, *, pki: DevPki | None = None) -> None:
        super().__init__()
        self._pki = pki

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        return tsp.TimeStampResp.load(tsa_respond(request_der=req.dump(), pki=self._pki))


def _timestamper() -> TimeStamper:
    url = str(getattr(settings, "TSA_URL", "") or "")
    if url:
        return HTTPTimeStamper(url, timeout=10)
    return InProcessTimeStamper()


def _dev_pki() -> DevPki | None:
    try:
        return pki_load()
    except NotFound:
        return None


def _is_self_signed(certificate: x509.Certificate) -> bool:
    return certificate.issuer == certificate.subject


def _validation_context(signer: KeySigner) -> ValidationContext:
    """What B-LT embeds: the chain and revocation data, from Motcua's PKI in-process when it issued the key.

    For a certificate of another CA (an imported key) its CRLs or OCSP responses are fetched from the URLs
    it names: they belong to that CA, and B-LT needs them.
    """
    pki = _dev_pki()
    roots = [certificate for certificate in signer.chain if _is_self_signed(certificate)]
    crls: list[bytes] = []
    ours = False
    if pki is not None:
        roots.append(pki.root.certificate)  # the in-process TSA's chain
        fingerprints = {certificate_fingerprint(certificate) for certificate in signer.chain}
        ours = certificate_fingerprint(pki.issuing.certificate) in fingerprints
        crls = [crl_build(pki=pki, ca_name=name) for name in (ISSUING_CA_NAME, ROOT_CA_NAME)]
    unique_roots = {certificate_fingerprint(root): root for root in roots}
    return ValidationContext(
        trust_roots=[_asn1(root) for root in unique_roots.values()],
        other_certs=[_asn1(certificate) for certificate in signer.chain],
        crls=crls,
        allow_fetching=not ours,
        revocation_mode="hard-fail",
    )


def _audit_signed(*, signer: KeySigner, kind: str, before: bytes, after: bytes, actor: Any, **extra: Any) -> None:
    with transaction.atomic():
        audit_record(
            action="signatures.document_signed",
            instance=signer.signing_key,
            after={
                "format": kind,
                "sha256_before": hashlib.sha256(before).hexdigest(),
                "sha256_after": hashlib.sha256(after).hexdigest(),
                "signing_key": str(signer.signing_key.pk),
                "certificate_serial": serial_hex(signer.certificate.serial_number),
                "certificate_sha256": certificate_fingerprint(signer.certificate),
                **extra,
            },
            actor=actor,
        )


def _token_failure(error: TokenUnavailable) -> InvalidState:
    return InvalidState(
        _("The signing token could not be used; check that it is connected and try again."),
        code="signing_token_failed",
        details={"reason": error.reason},
    )


def pdf_sign_with(
    *,
    data: bytes,
    signer: KeySigner,
    field_name: str,
    stamp: StampText | None = None,
    reason: str = "",
    location: str = "",
    box: tuple[int, int, int, int] | None = None,
    page: int = 0,
    actor: Any = None,
) -> bytes:
    """Sign a PDF as PAdES B-LT: a timestamp (B-T) and the chain with its revocation data embedded.

    The timestamp comes from ``MOTCUA_TSA_URL``, or from Motcua's own TSA in-process when that is empty.
    Signing happens before the audit's transaction, so no database lock is held while a TSA answers.
    """
    try:
        signed = pdf_sign(
            data,
            signer=signer.pdf_signer(),
            field_name=field_name,
            stamp=stamp,
            box=box,
            page=page,
            timestamper=_timestamper(),
            validation_context=_validation_context(signer),
            reason=reason,
            location=location,
        )
    except TimestampRequestError as error:
        logger.warning("Time stamp for a PDF signature failed: %s", error)
        raise TimestampFailed() from error
    except TokenUnavailable as error:
        raise _token_failure(error) from error
    except SigningError as error:
        logger.warning("PDF signing failed: %s", error)
        raise ValidationFailed(
            _("The document could not be signed: the certificate's chain or revocation data is not available."),
            code="pdf_signing_failed",
        ) from error
    _audit_signed(
        signer=signer, kind="pdf", before=data, after=signed, actor=actor, field_name=field_name, signed_at=_now()
    )
    return signed


def xml_sign_with(*, data: bytes, signer: KeySigner, actor: Any = None, **options: Any) -> bytes:
    """Add an enveloped XML-DSig signature (``xml.xml_sign``; options: reference_uri, algorithm,
    signature_parent_xpath, namespaces, max_bytes, huge_tree) with the certificate and its chain in ``X509Data``;
    audited."""
    allowed = {"reference_uri", "algorithm", "signature_parent_xpath", "namespaces", "max_bytes", "huge_tree"}
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise TypeError(f"xml_sign_with() got unexpected options: {', '.join(unknown)}")
    try:
        signed = xml_sign(data, key=signer.private_key, certificate=signer.certificate, chain=signer.chain, **options)
    except TokenUnavailable as error:
        raise _token_failure(error) from error
    _audit_signed(signer=signer, kind="xml", before=data, after=signed, actor=actor, signed_at=_now())
    return signed


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
