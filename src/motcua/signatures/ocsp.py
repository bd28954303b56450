"""The OCSP responder (RFC 6960) for certificates of the dev PKI's issuing CA.

It answers from the inventory: ``good`` for a certificate it issued and has not revoked, ``revoked`` with
time and reason, ``unknown`` for a serial number it never issued. Responses are signed by the delegated
OCSP responder certificate (EKU OCSPSigning, issued by the issuing CA, RFC 6960 § 4.2.2.2). A request that
cannot be parsed gets ``malformedRequest``; one about another CA's certificate gets ``unauthorized``.
"""

from __future__ import annotations

import datetime as dt
import logging

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from motcua.core.exceptions import NotFound
from motcua.signatures.models import Certificate, RevocationReason
from motcua.signatures.services import DevPki, certificate_fingerprint, pki_load, serial_hex

logger = logging.getLogger(__name__)

RESPONSE_VALIDITY = dt.timedelta(hours=1)


def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
    return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(serialization.Encoding.DER)


def _issuer_hashes(pki: DevPki, algorithm: hashes.HashAlgorithm) -> tuple[bytes, bytes]:
    """The issuer name and key hashes that a request about a certificate of the issuing CA carries.

    Computed by building such a request for a certificate we know the issuing CA issued (the responder's).
    """
    probe = ocsp.OCSPRequestBuilder().add_certificate(pki.ocsp.certificate, pki.issuing.certificate, algorithm).build()
    return probe.issuer_name_hash, probe.issuer_key_hash


def ocsp_respond(*, request_der: bytes, pki: DevPki | None = None) -> bytes:
    """Answer one DER-encoded OCSPRequest with a DER-encoded OCSPResponse; never raises."""
    try:
        request = ocsp.load_der_ocsp_request(request_der)
        algorithm = request.hash_algorithm
        serial_number = request.serial_number
        name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
        nonce = None
        for extension in request.extensions:
            if isinstance(extension.value, x509.OCSPNonce):
                nonce = extension.value.nonce
    except Exception:
        return _unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
    try:
        pki = pki or pki_load()
    except NotFound:
        return _unsuccessful(ocsp.OCSPResponseStatus.TRY_LATER)
    try:
        if (name_hash, key_hash) != _issuer_hashes(pki, algorithm):
            return _unsuccessful(ocsp.OCSPResponseStatus.UNAUTHORIZED)
        row = Certificate.objects.filter(
            issuer_sha256_fingerprint=certificate_fingerprint(pki.issuing.certificate),
            serial_number=serial_hex(serial_number),
        ).first()
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        revocation_time = revocation_reason = None
        if row is None:
            status = ocsp.OCSPCertStatus.UNKNOWN
        elif row.revoked_at is not None and row.revoked_at <= now:
            status = ocsp.OCSPCertStatus.REVOKED
            revocation_time = row.revoked_at
            if row.revocation_reason and row.revocation_reason != RevocationReason.UNSPECIFIED:
                revocation_reason = x509.ReasonFlags(row.revocation_reason)
        else:
            status = ocsp.OCSPCertStatus.GOOD
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash,
                issuer_key_hash=key_hash,
                serial_number=serial_number,
                algorithm=algorithm,
                cert_status=status,
                this_update=now,
                next_update=now + RESPONSE_VALIDITY,
                revocation_time=revocation_time,
                revocation_reason=revocation_reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, pki.ocsp.certificate)
            .certificates([pki.ocsp.certificate])
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        response = builder.sign(pki.ocsp.private_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)
    except Exception:
        logger.exception("OCSP response could not be built")
        return _unsuccessful(ocsp.OCSPResponseStatus.INTERNAL_ERROR)
