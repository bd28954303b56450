"""RFC 3161 time stamps: the authority Motcua serves at ``/pki/tsa``, and a client for any TSA.

The authority signs a ``TSTInfo`` (the hash it was sent, the time, a serial number, the nonce) in a CMS
SignedData with the dev PKI's TSA certificate, whose only extended key usage is timeStamping, marked
critical (RFC 3161 § 2.3); the signer is named by ESS signing-certificate-v2 (RFC 5816). Requests it
cannot serve get a ``rejection`` with the RFC's failure code, never an HTTP error.

The client builds a request, posts it, and checks the answer: status granted, the imprint and nonce it
sent, and the CMS signature and certificate path with pyHanko's validator (trust roots given, else the dev
PKI's root).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from django.utils.translation import gettext_lazy as _
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from motcua.core.exceptions import MotcuaError, NotFound
from motcua.signatures.coroutines import coroutine_run
from motcua.signatures.services import DevPki, pki_base_url, pki_load, tsa_url

logger = logging.getLogger(__name__)

# The dev TSA's policy: a UUID-based OID (X.667, arc 2.25), so that no registered arc is borrowed.
TSA_POLICY_OID = "2.25.63553212667595290914556572097967602214"
DIGEST_SIZES = {"sha256": 32, "sha384": 48, "sha512": 64, "sha3_256": 32, "sha3_384": 48, "sha3_512": 64}
_HASHLIB_NAMES = {"sha3_256": "sha3_256", "sha3_384": "sha3_384", "sha3_512": "sha3_512"}
REQUEST_CONTENT_TYPE = "application/timestamp-query"
REPLY_CONTENT_TYPE = "application/timestamp-reply"


def _attribute(kind: str, value: Any) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": (value,)})


def _asn1_certificate(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class TimeStampReply(core.Sequence):  # type: ignore[misc]  # asn1crypto is untyped
    """RFC 3161 TimeStampResp with the token optional, as the RFC has it (asn1crypto's requires it)."""

    _fields = [("status", tsp.PKIStatusInfo), ("time_stamp_token", cms.ContentInfo, {"optional": True})]


def _rejection(failure: str, text: str) -> bytes:
    status = tsp.PKIStatusInfo(
        {"status": "rejection", "status_string": [text], "fail_info": tsp.PKIFailureInfo({failure})}
    )
    return bytes(TimeStampReply({"status": status}).dump())


def _parse_request(request_der: bytes) -> tsp.TimeStampReq | bytes:
    """The request, or the DER rejection to send back."""
    try:
        request = tsp.TimeStampReq.load(request_der, strict=True)
        request.native  # noqa: B018 - asn1crypto parses lazily; make it parse everything now
        version = request["version"].native
        algorithm = request["message_imprint"]["hash_algorithm"]["algorithm"].native
        digest = request["message_imprint"]["hashed_message"].native
    except Exception:
        return _rejection("bad_data_format", "The request is not a DER-encoded TimeStampReq.")
    if version != "v1":
        return _rejection("bad_request", "Only version 1 requests are served.")
    if algorithm not in DIGEST_SIZES:
        return _rejection("bad_alg", f"Unsupported hash algorithm: {algorithm}.")
    if len(digest) != DIGEST_SIZES[algorithm]:
        return _rejection("bad_data_format", "The hashed message has the wrong length for its algorithm.")
    policy = request["req_policy"].native
    if policy is not None and policy != TSA_POLICY_OID:
        return _rejection("unaccepted_policy", "This TSA serves only its own policy.")
    if request["extensions"].native:
        return _rejection("unaccepted_extensions", "This TSA accepts no request extensions.")
    return request


def tsa_respond(*, request_der: bytes, pki: DevPki | None = None, now: dt.datetime | None = None) -> bytes:
    """Answer one DER-encoded TimeStampReq with a DER-encoded TimeStampResp; never raises."""
    parsed = _parse_request(request_der)
    if isinstance(parsed, bytes):
        return parsed
    try:
        pki = pki or pki_load()
    except NotFound:
        return _rejection("system_failure", "The time-stamping authority is not set up.")
    try:
        return bytes(_grant(request=parsed, pki=pki, now=now or dt.datetime.now(dt.UTC)).dump())
    except Exception:
        logger.exception("Time stamp could not be built")
        return _rejection("system_failure", "The time stamp could not be produced.")


def _grant(*, request: tsp.TimeStampReq, pki: DevPki, now: dt.datetime) -> tsp.TimeStampResp:
    tsa_certificate = _asn1_certificate(pki.tsa.certificate)
    tst_info: dict[str, Any] = {
        "version": "v1",
        "policy": TSA_POLICY_OID,
        "message_imprint": request["message_imprint"],
        "serial_number": secrets.randbits(63),
        "gen_time": core.GeneralizedTime(now.astimezone(dt.UTC).replace(microsecond=0)),
        "accuracy": {"seconds": 1},
        "tsa": asn1_x509.GeneralName(name="directory_name", value=tsa_certificate.subject),
    }
    if request["nonce"].native is not None:
        tst_info["nonce"] = request["nonce"]
    content = tsp.TSTInfo(tst_info).dump()
    signed_attributes = cms.CMSAttributes(
        [
            _attribute("content_type", "tst_info"),
            _attribute("signing_time", cms.Time({"utc_time": core.UTCTime(now.astimezone(dt.UTC))})),
            _attribute("message_digest", hashlib.sha256(content).digest()),
            _attribute("signing_certificate_v2", as_signing_certificate_v2(tsa_certificate)),
        ]
    )
    key = pki.tsa.private_key
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(signed_attributes.dump(), padding.PKCS1v15(), hashes.SHA256())
        signature_algorithm = "rsassa_pkcs1v15"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(signed_attributes.dump(), ec.ECDSA(hashes.SHA256()))
        signature_algorithm = "sha256_ecdsa"
    else:  # pragma: no cover - the PKI loads only RSA and EC keys
        raise TypeError("unsupported TSA key")
    digest_algorithm = algos.DigestAlgorithm({"algorithm": "sha256"})
    signer_info = cms.SignerInfo(
        {
            "version": "v1",
            "sid": cms.SignerIdentifier(
                {
                    "issuer_and_serial_number": cms.IssuerAndSerialNumber(
                        {"issuer": tsa_certificate.issuer, "serial_number": tsa_certificate.serial_number}
                    )
                }
            ),
            "digest_algorithm": digest_algorithm,
            "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": signature_algorithm}),
            "signed_attrs": signed_attributes,
            "signature": signature,
        }
    )
    signed_data: dict[str, Any] = {
        "version": "v3",
        "digest_algorithms": cms.DigestAlgorithms((digest_algorithm,)),
        "encap_content_info": cms.EncapsulatedContentInfo(
            {"content_type": "tst_info", "content": cms.ParsableOctetString(content)}
        ),
        "signer_infos": [signer_info],
    }
    if request["cert_req"].native:
        # RFC 3161 § 2.4.1: the TSA's certificate must be there; the issuing CA helps build the path.
        signed_data["certificates"] = [tsa_certificate, _asn1_certificate(pki.issuing.certificate)]
    token = cms.ContentInfo({"content_type": "signed_data", "content": cms.SignedData(signed_data)})
    return tsp.TimeStampResp({"status": {"status": "granted"}, "time_stamp_token": token})


# --- client ---------------------------------------------------------------------------------------------


class TimestampFailed(MotcuaError):
    http_status = 502
    default_code = "timestamp_failed"
    default_message = _("The time stamp could not be obtained or is not valid.")


@dataclass(frozen=True)
class TimestampToken:
    """A checked time-stamp token. ``token`` is the DER ContentInfo to embed (e.g. in a CAdES/PAdES signature)."""

    token: bytes
    gen_time: dt.datetime
    serial_number: int
    policy: str
    hash_algorithm: str
    hashed_message: bytes
    tsa_name: str


def timestamp_query(*, hashed_message: bytes, hash_algorithm: str = "sha256", nonce: int | None = None) -> bytes:
    """A DER TimeStampReq for a hash, asking for the TSA's certificate in the answer."""
    request: dict[str, Any] = {
        "version": "v1",
        "message_imprint": {"hash_algorithm": {"algorithm": hash_algorithm}, "hashed_message": hashed_message},
        "cert_req": True,
    }
    if nonce is not None:
        request["nonce"] = nonce
    return bytes(tsp.TimeStampReq(request).dump())


def _digest(data: bytes, hash_algorithm: str) -> bytes:
    return hashlib.new(_HASHLIB_NAMES.get(hash_algorithm, hash_algorithm), data).digest()


def timestamp_verify(
    *,
    token: bytes | cms.ContentInfo,
    hashed_message: bytes,
    trust_roots: list[x509.Certificate],
    nonce: int | None = None,
) -> TimestampToken:
    """Check a time-stamp token: its imprint (and nonce), its CMS signature and its TSA's path to a trust root."""
    try:
        content_info = token if isinstance(token, cms.ContentInfo) else cms.ContentInfo.load(token)
        signed_data = content_info["content"]
        tst_info = signed_data["encap_content_info"]["content"].parsed
        if content_info["content_type"].native != "signed_data" or not isinstance(tst_info, tsp.TSTInfo):
            raise ValueError("not a time-stamp token")
        algorithm = tst_info["message_imprint"]["hash_algorithm"]["algorithm"].native
        imprint = tst_info["message_imprint"]["hashed_message"].native
    except Exception as error:
        raise TimestampFailed(_("The time-stamp token cannot be read."), code="timestamp_unreadable") from error
    if imprint != hashed_message:
        raise TimestampFailed(_("The time stamp is for other data."), code="timestamp_imprint_mismatch")
    if nonce is not None and tst_info["nonce"].native != nonce:
        raise TimestampFailed(_("The time stamp does not answer this request."), code="timestamp_nonce_mismatch")
    context = ValidationContext(trust_roots=[_asn1_certificate(root) for root in trust_roots], allow_fetching=False)
    try:
        status = coroutine_run(validate_tst_signed_data(signed_data, context, lambda _algorithm: hashed_message))
    except Exception as error:
        raise TimestampFailed(
            _("The time stamp's signature is not valid."), code="timestamp_signature_invalid"
        ) from error
    if not (status.get("intact") and status.get("valid")):
        raise TimestampFailed(_("The time stamp's signature is not valid."), code="timestamp_signature_invalid")
    if status.get("trust_problem_indic") is not None:
        raise TimestampFailed(_("The time-stamping authority is not trusted."), code="timestamp_untrusted")
    return TimestampToken(
        token=content_info.dump(),
        gen_time=tst_info["gen_time"].native,
        serial_number=tst_info["serial_number"].native,
        policy=tst_info["policy"].native,
        hash_algorithm=algorithm,
        hashed_message=imprint,
        tsa_name=status["signing_cert"].subject.human_friendly,
    )


def timestamp_fetch(
    *,
    data: bytes | None = None,
    hashed_message: bytes | None = None,
    hash_algorithm: str = "sha256",
    url: str | None = None,
    trust_roots: list[x509.Certificate] | None = None,
    timeout: float = 10.0,
) -> TimestampToken:
    """Get a checked time stamp for ``data`` (or its hash) from an RFC 3161 TSA over HTTP (Motcua's by default)."""
    if hashed_message is None:
        if data is None:
            raise ValueError("give data or hashed_message")
        hashed_message = _digest(data, hash_algorithm)
    nonce = secrets.randbits(63)
    query = timestamp_query(hashed_message=hashed_message, hash_algorithm=hash_algorithm, nonce=nonce)
    address = url or tsa_url(base_url=pki_base_url())
    if urllib.parse.urlsplit(address).scheme not in ("http", "https"):
        raise ValueError("a TSA URL is http or https")
    http_request = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        address, data=query, method="POST", headers={"Content-Type": REQUEST_CONTENT_TYPE, "Accept": REPLY_CONTENT_TYPE}
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as http_response:  # noqa: S310 - a configured URL
            reply = http_response.read(1_000_000)
    except (urllib.error.URLError, OSError) as error:
        raise TimestampFailed(
            _("The time-stamping authority cannot be reached."), code="timestamp_unreachable"
        ) from error
    try:
        response = TimeStampReply.load(reply)
        status_info = response["status"]
        status = status_info["status"].native
    except Exception as error:
        raise TimestampFailed(
            _("The time-stamping authority's answer cannot be read."), code="timestamp_unreadable"
        ) from error
    if status not in ("granted", "granted_with_mods"):
        raise TimestampFailed(
            _("The time-stamping authority refused the request."),
            code="timestamp_rejected",
            details={"status": status, "text": status_info["status_string"].native or []},
        )
    roots = trust_roots if trust_roots is not None else [pki_load().root.certificate]
    return timestamp_verify(
        token=response["time_stamp_token"], hashed_message=hashed_message, trust_roots=roots, nonce=nonce
    )
