"""Verification for everyone: any signed PDF or XML document, checked against the deployment's trust anchors.

The public page (``/verify/``), the API (``POST /api/v1/signatures/verify``), the ``motcua verify`` command
and the registry of issued documents all call :func:`document_verify`, so they give the same answer.

What is trusted (``trust_anchors``): the certificates listed in ``MOTCUA_TRUST_ANCHORS`` (in production the
national root CA, and any licensed CA to be trusted directly) and, while ``MOTCUA_TRUST_DEV_PKI`` is on, the
development PKI's root CA. Revocation: the CRLs of the development PKI are built in-process from the
certificate inventory (so a revocation counts at once, without a round trip to ``/pki/``), plus whatever
revocation data the document itself carries (a PDF's document security store, ``/DSS``; CRLs and OCSP
responses inside an XML signature's ``KeyInfo`` or XAdES ``RevocationValues``). Nothing is fetched from the
network while verifying: the URLs in an uploaded document's certificates are chosen by whoever made it.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import datetime as dt
import hashlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.x509 import ocsp
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from motcua.core.exceptions import NotFound, RateLimited
from motcua.signatures.pdf import pdf_verify
from motcua.signatures.reports import FileReport, Reason
from motcua.signatures.services import ISSUING_CA_NAME, ROOT_CA_NAME, DevPki, crl_build, pki_exists, pki_load
from motcua.signatures.xml import xml_parse_safely, xml_verify

__all__ = [
    "DocumentKind",
    "VerificationTrust",
    "document_kind",
    "document_verify",
    "trust_anchors",
    "trust_intermediates",
    "verification_rate_check",
    "verification_result",
    "verify_max_bytes",
]

logger = logging.getLogger(__name__)


class DocumentKind:
    PDF = "pdf"
    XML = "xml"
    UNKNOWN = "unknown"


# Elements that carry revocation data inside an XML signature: XML-DSig's X509CRL, and XAdES's encapsulated
# CRL and OCSP values (ETSI EN 319 132-1), matched by local name whatever the namespace version.
_XML_CRL_ELEMENTS = frozenset({"X509CRL", "EncapsulatedCRLValue"})
_XML_OCSP_ELEMENTS = frozenset({"EncapsulatedOCSPValue"})


# --- trust ---------------------------------------------------------------------------------------------------


_ANCHOR_FILES: dict[str, tuple[int, tuple[x509.Certificate, ...]]] = {}


def _anchor_file(path: Path) -> tuple[x509.Certificate, ...]:
    """The CA certificates in one PEM file (cached until the file changes); () and an error log if unusable.

    A configured file that is missing or holds no certificate only makes fewer signatures trusted, so it is
    logged and skipped rather than failing every verification: the failure is on the safe side.
    """
    try:
        stamp = path.stat().st_mtime_ns
    except OSError as error:
        logger.error("Trust anchor file %s cannot be read: %s", path, error)
        return ()
    cached = _ANCHOR_FILES.get(str(path))
    if cached is not None and cached[0] == stamp:
        return cached[1]
    try:
        certificates = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as error:
        logger.error("Trust anchor file %s holds no readable PEM certificate: %s", path, error)
        certificates = []
    accepted = []
    for certificate in certificates:
        if _is_ca(certificate):
            accepted.append(certificate)
        else:
            # Trusting an end entity directly would make anything it signs "valid" without a CA's word.
            logger.error(
                "Trust anchor file %s: %s is not a CA certificate and is ignored",
                path,
                certificate.subject.rfc4514_string(),
            )
    result = tuple(accepted)
    _ANCHOR_FILES[str(path)] = (stamp, result)
    return result


def _is_ca(certificate: x509.Certificate) -> bool:
    try:
        return bool(certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _configured_anchors() -> list[x509.Certificate]:
    paths = settings.TRUST_ANCHORS
    if isinstance(paths, str):
        paths = [item.strip() for item in paths.split(",") if item.strip()]
    anchors: list[x509.Certificate] = []
    for path in paths:
        anchors.extend(_anchor_file(Path(path)))
    return anchors


def _trusted_dev_pki() -> DevPki | None:
    """The development PKI when it exists and ``MOTCUA_TRUST_DEV_PKI`` is on, else None."""
    if not settings.TRUST_DEV_PKI or not pki_exists():
        return None
    try:
        return pki_load()
    except NotFound:  # removed in between
        return None


def _unique(certificates: list[x509.Certificate]) -> list[x509.Certificate]:
    seen: set[bytes] = set()
    result = []
    for certificate in certificates:
        key = certificate.tbs_certificate_bytes
        if key not in seen:
            seen.add(key)
            result.append(certificate)
    return result


def trust_anchors() -> list[x509.Certificate]:
    """The CA certificates a signature must chain to: ``MOTCUA_TRUST_ANCHORS``, and the dev PKI's root if trusted."""
    anchors = _configured_anchors()
    pki = _trusted_dev_pki()
    if pki is not None:
        anchors.append(pki.root.certificate)
    return _unique(anchors)


def trust_intermediates() -> list[x509.Certificate]:
    """CA certificates that help build a path to an anchor without being trusted themselves (the dev issuing CA)."""
    pki = _trusted_dev_pki()
    return [pki.issuing.certificate] if pki is not None else []


@dataclass(frozen=True)
class VerificationTrust:
    """Everything a verification starts from, gathered once per document."""

    anchors: list[x509.Certificate]
    intermediates: list[x509.Certificate]
    crls: list[bytes] = field(default_factory=list)


def _verification_trust() -> VerificationTrust:
    pki = _trusted_dev_pki()
    # Built from the inventory now, so a certificate revoked a second ago is already refused.
    crls = [crl_build(pki=pki, ca_name=name) for name in (ROOT_CA_NAME, ISSUING_CA_NAME)] if pki is not None else []
    return VerificationTrust(anchors=trust_anchors(), intermediates=trust_intermediates(), crls=crls)


# --- the document ----------------------------------------------------------------------------------------------


def verify_max_bytes() -> int:
    """The largest document accepted for verification (``MOTCUA_VERIFY_MAX_BYTES``)."""
    return int(settings.VERIFY_MAX_BYTES)


def document_kind(data: bytes) -> str:
    """``pdf``, ``xml`` or ``unknown``, from the content (a file's name says nothing reliable)."""
    if b"%PDF-" in data[:1024]:
        return DocumentKind.PDF
    head = data[:4096]
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if head.startswith(bom):
            text = head[len(bom) :].decode(encoding, errors="ignore")
            return DocumentKind.XML if text.lstrip().startswith("<") else DocumentKind.UNKNOWN
    if head.removeprefix(codecs.BOM_UTF8).lstrip().startswith(b"<"):
        return DocumentKind.XML
    return DocumentKind.UNKNOWN


def _size_text(size: int) -> str:
    megabytes = size / (1024 * 1024)
    return f"{megabytes:.1f} MB" if megabytes >= 1 else f"{max(1, size // 1024)} KB"


def _error_report(kind: str, code: str, message: str) -> FileReport:
    return FileReport(kind=kind, errors=[Reason(code=code, message=message)])


def _xml_embedded_revocation(data: bytes, max_bytes: int) -> tuple[list[bytes], list[bytes]]:
    """CRLs and OCSP responses carried inside the XML's signatures (only those that parse)."""
    try:
        root = xml_parse_safely(data, max_bytes=max_bytes)
    except Exception:
        return [], []  # xml_verify reports why the document cannot be read
    crls: list[bytes] = []
    responses: list[bytes] = []
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        local_name = element.tag.rsplit("}", 1)[-1]
        if local_name not in _XML_CRL_ELEMENTS and local_name not in _XML_OCSP_ELEMENTS:
            continue
        try:
            der = base64.b64decode("".join((element.text or "").split()), validate=True)
            if local_name in _XML_CRL_ELEMENTS:
                x509.load_der_x509_crl(der)
                crls.append(der)
            else:
                ocsp.load_der_ocsp_response(der)
                responses.append(der)
        except (binascii.Error, ValueError):
            logger.info("Ignoring unreadable revocation data in an XML signature (%s)", local_name)
    return crls, responses


def document_verify(*, data: bytes, filename: str = "", max_bytes: int | None = None) -> FileReport:
    """Check every signature of a PDF or XML document against the trust anchors; never raises on bad input.

    The kind is recognised from the content. Too large, empty or unknown content gives a report with an
    error (status ``invalid``), never a valid one. ``filename`` is only used in the log.
    """
    limit = verify_max_bytes() if max_bytes is None else max_bytes
    kind = document_kind(data)
    if len(data) > limit:
        return _error_report(
            kind,
            "too_large",
            _("The file is too large to be checked (%(size)s; at most %(limit)s are accepted).")
            % {"size": _size_text(len(data)), "limit": _size_text(limit)},
        )
    if not data:
        return _error_report(kind, "empty", _("The file is empty."))
    if kind == DocumentKind.UNKNOWN:
        return _error_report(
            kind,
            "unsupported_format",
            _("This file is neither a PDF nor an XML document, so it cannot carry a signature that can be checked."),
        )
    trust = _verification_trust()
    logger.info("Verifying a %s document (%s bytes) %s", kind, len(data), filename[:200])
    if kind == DocumentKind.PDF:
        return pdf_verify(data, trust_roots=trust.anchors, intermediates=trust.intermediates, crls=trust.crls)
    embedded_crls, embedded_ocsps = _xml_embedded_revocation(data, limit)
    return xml_verify(
        data,
        trust_roots=trust.anchors,
        intermediates=trust.intermediates,
        crls=[*trust.crls, *embedded_crls],
        ocsps=embedded_ocsps,
        max_bytes=limit,
    )


def verification_result(
    *, report: FileReport, data: bytes, filename: str = "", checked_at: dt.datetime | None = None
) -> dict[str, Any]:
    """The report as JSON-ready data (``FileReport.as_dict``) with what identifies the file that was checked."""
    result = report.as_dict()
    result.update(
        {
            "filename": filename,
            "sha256": hashlib.sha256(data).hexdigest(),
            "size": len(data),
            "checked_at": (checked_at or timezone.now()).isoformat(timespec="seconds"),
        }
    )
    return result


# --- rate limit --------------------------------------------------------------------------------------------------


def _rate_window() -> int:
    return int(timezone.now().timestamp() // 60)


def verification_rate_check(*, client_address: str | None) -> None:
    """Count one public verification or lookup for this client address; ``RateLimited`` past the limit.

    The same counter for the page, the API and document lookups (``MOTCUA_VERIFY_RATE_PER_MINUTE``), kept in
    the shared cache like the login and dossier-lookup limits, so every web process sees it.
    """
    limit = int(settings.VERIFY_RATE_PER_MINUTE)
    value = client_address or "unknown"
    digest = hashlib.sha256(f"verify\x1f{value}\x1f{_rate_window()}".encode()).hexdigest()[:40]
    key = f"motcua:signatures:verify:{digest}"
    cache.add(key, 0, timeout=120)
    try:
        count = cache.incr(key)
    except ValueError:  # the key expired between add and incr
        cache.set(key, 1, timeout=120)
        count = 1
    if count > limit:
        logger.warning("verification rate limit reached", extra={"client_address": client_address})
        raise RateLimited(_("Too many documents checked from your address. Please wait a minute and try again."))
