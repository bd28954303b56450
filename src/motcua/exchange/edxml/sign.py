"""Sealing packages with the sending agency's key and checking the seal of packages received.

The signature is an enveloped XML-DSig signature over the whole document (``Reference URI=""``: header, manifest
and every attachment), with exclusive canonicalisation, SHA-256 and the certificate chain in ``X509Data``, placed in
``edXMLHeader`` after ``TraceHeaderList`` (docs/edxml.md says what is confirmed). Verification reads the header
again from the exact bytes the signature covers, finds which organisation the signer's certificate names, and
accepts the package only when that organisation is its sender (From/OrganId).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.x509.oid import NameOID
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from motcua.core.codes import organisation_code_parse
from motcua.core.exceptions import NotFound, ValidationFailed
from motcua.exchange.edxml.codes import NAMESPACE
from motcua.exchange.edxml.fields import Context
from motcua.exchange.edxml.header import message_header_read, status_read
from motcua.exchange.edxml.interpret import (
    PACKAGE,
    STATUS,
    structure_locate,
)
from motcua.exchange.edxml.issues import FieldIssue, IssueCollector
from motcua.exchange.edxml.limits import ParseLimits
from motcua.exchange.edxml.model import MessageHeader, StatusMessage
from motcua.exchange.edxml.parse import ParsedPackage, edxml_parse
from motcua.exchange.edxml.serialise import jsonable
from motcua.signatures.keys import KeySigner, xml_sign_with
from motcua.signatures.reports import FileReport, Status
from motcua.signatures.services import ISSUING_CA_NAME, ROOT_CA_NAME, crl_build, pki_exists, pki_load
from motcua.signatures.verification import VerificationTrust, trust_anchors, trust_intermediates
from motcua.signatures.xml import xml_verify_signed_content

logger = logging.getLogger("motcua.exchange.edxml")

_HEADER_XPATH = "//e:edXMLHeader"
_CODE_IN_TEXT = re.compile(r"(?<![0-9A-Z.])([0-9A-Z]{3}\.[0-9A-Z]{2}\.[0-9A-Z]{2}\.[A-Z][0-9A-Z]{2})(?![0-9A-Z.])")


def certificate_organisation_code(certificate: x509.Certificate) -> str:
    """The organisation electronic code an agency seal certificate names, or "" when it names none.

    Motcua's development PKI writes it as the subject's serialNumber; the code is also looked for in the subject's
    UID (inferred for other CAs, docs/edxml.md). A personal certificate names no organisation code.
    """
    for oid in (NameOID.SERIAL_NUMBER, NameOID.USER_ID):
        for attribute in certificate.subject.get_attributes_for_oid(oid):
            for candidate in _CODE_IN_TEXT.findall(str(attribute.value).upper()):
                try:
                    organisation_code_parse(candidate)
                except ValidationError:
                    continue
                return str(candidate)
    return ""


def _sign(data: bytes, *, signer: KeySigner, actor: Any, kind: str, limits: ParseLimits | None) -> bytes:
    limits = limits or ParseLimits.from_settings()
    parsed = edxml_parse(data, limits=limits, expected=kind, keep_attachments=False)
    parsed.close()
    if parsed.signed:
        raise ValidationFailed(_("This package is already signed."), code="edxml_already_signed")
    sender = (
        parsed.header.from_organ.organ_id if isinstance(parsed, ParsedPackage) else parsed.status.from_organ.organ_id
    )
    sealed_for = certificate_organisation_code(signer.certificate)
    if sealed_for != sender:
        raise ValidationFailed(
            _("This key is the seal of %(seal)s, but the package is sent by %(sender)s.")
            % {"seal": sealed_for or _("no organisation"), "sender": sender},
            code="edxml_signer_not_sender",
        )
    return xml_sign_with(
        data=data,
        signer=signer,
        actor=actor,
        signature_parent_xpath=_HEADER_XPATH,
        namespaces={"e": NAMESPACE},
        max_bytes=limits.max_package_bytes,
        huge_tree=True,
    )


def package_sign(data: bytes, *, signer: KeySigner, actor: Any = None, limits: ParseLimits | None = None) -> bytes:
    """Seal a built package with its sender's key (``signing_key_unlock`` gives the ``KeySigner``); audited.

    Refuses (``ValidationFailed``) a package that is already signed, or whose sender (From/OrganId) is not the
    organisation named by the seal's certificate.
    """
    return _sign(data, signer=signer, actor=actor, kind=PACKAGE, limits=limits)


def status_sign(data: bytes, *, signer: KeySigner, actor: Any = None, limits: ParseLimits | None = None) -> bytes:
    """Seal a built status package with the key of the organisation that sends it; audited."""
    return _sign(data, signer=signer, actor=actor, kind=STATUS, limits=limits)


# --- verifying --------------------------------------------------------------------------------------------------


def deployment_trust() -> VerificationTrust:
    """What this deployment trusts (``MOTCUA_TRUST_ANCHORS``, the dev PKI) and the dev PKI's current CRLs.

    The same trust as ``signatures.verification.document_verify``; the CRLs are built in-process from the
    certificate inventory, so a certificate revoked a moment ago is already refused.
    """
    crls: list[bytes] = []
    if settings.TRUST_DEV_PKI and pki_exists():
        try:
            pki = pki_load()
        except NotFound:
            pki = None
        if pki is not None:
            crls = [crl_build(pki=pki, ca_name=name) for name in (ROOT_CA_NAME, ISSUING_CA_NAME)]
    return VerificationTrust(anchors=trust_anchors(), intermediates=trust_intermediates(), crls=crls)


@dataclass
class PackageVerification:
    """The seal of a package: the signature report, who sealed it and whether that is its sender.

    ``header`` (a ``MessageHeader`` or, for a status, a ``StatusMessage``) is read from the bytes the signature
    covers, never from the rest of the document. ``accepted`` only when the signature is valid, covers the whole
    package, and was made with the seal of the sending organisation.
    """

    report: FileReport
    kind: str = ""
    header: MessageHeader | StatusMessage | None = None
    signer_organisation_code: str = ""
    sender_organisation_code: str = ""
    problems: list[FieldIssue] = field(default_factory=list)
    signer_certificate: x509.Certificate | None = None  # the certificate that made the (first) signature

    @property
    def status(self) -> Status:
        return self.report.status

    @property
    def accepted(self) -> bool:
        return self.report.status == Status.VALID and not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "status": self.report.status.value,
            "kind": self.kind,
            "signer_organisation_code": self.signer_organisation_code,
            "sender_organisation_code": self.sender_organisation_code,
            "problems": [problem.as_dict() for problem in self.problems],
            "report": self.report.as_dict(),
            "signed_header": jsonable(self.header) if self.header is not None else None,
        }


def package_verify(
    data: bytes,
    *,
    at: dt.datetime | None = None,
    trust: VerificationTrust | None = None,
    limits: ParseLimits | None = None,
    expected: str | None = None,
) -> PackageVerification:
    """Check the seal of a package or status package against this deployment's trust; never raises on bad input.

    ``at`` is when the certificate must have been valid (default now; pass the time of receipt when known). A
    revoked or unknown certificate, a changed byte, a signature over part of the document, several signatures or
    a seal of another organisation than the sender each leave ``accepted`` False with the reason.
    """
    limits = limits or ParseLimits.from_settings()
    trust = trust if trust is not None else deployment_trust()
    verification = xml_verify_signed_content(
        data,
        trust_roots=trust.anchors,
        intermediates=trust.intermediates,
        crls=trust.crls,
        at=at,
        max_bytes=limits.max_package_bytes,
        huge_tree=True,
    )
    report = verification.report
    result = PackageVerification(report=report)
    problems = result.problems
    if not report.signatures:
        problems.extend(FieldIssue("Signature", reason.code, reason.message) for reason in report.errors)
        if not problems:
            problems.append(FieldIssue("Signature", "no_signature", _("The package is not signed.")))
        _verification_log(result, data)
        return result
    if len(report.signatures) > 1:
        problems.append(
            FieldIssue("Signature", "several_signatures", _("The package carries more than one signature."))
        )
    first = report.signatures[0]
    if first.covers_whole_document is False:
        problems.append(
            FieldIssue("Signature", "partial_signature", _("The signature does not cover the whole package."))
        )
    signed = verification.signed_elements[0] if verification.signed_elements else None
    if signed is not None:
        _signed_header_read(result, signed, expected=expected)
    result.signer_certificate = _signer_certificate(data, first.signer_certificate_sha256)
    if result.signer_certificate is not None:
        result.signer_organisation_code = certificate_organisation_code(result.signer_certificate)
    if report.status == Status.VALID:
        if not result.signer_organisation_code:
            problems.append(
                FieldIssue(
                    "Signature",
                    "signer_organisation_unknown",
                    _("The signer's certificate does not name an organisation code: it is not an agency seal."),
                )
            )
        elif result.sender_organisation_code and result.signer_organisation_code != result.sender_organisation_code:
            problems.append(
                FieldIssue(
                    "Signature",
                    "signer_not_sender",
                    _("The package is sent by %(sender)s but sealed by %(signer)s.")
                    % {"sender": result.sender_organisation_code, "signer": result.signer_organisation_code},
                )
            )
    _verification_log(result, data)
    return result


def status_verify(
    data: bytes,
    *,
    at: dt.datetime | None = None,
    trust: VerificationTrust | None = None,
    limits: ParseLimits | None = None,
) -> PackageVerification:
    """:func:`package_verify` for a status package (a document package is then a problem)."""
    return package_verify(data, at=at, trust=trust, limits=limits, expected=STATUS)


def _signed_header_read(result: PackageVerification, signed: etree._Element, *, expected: str | None) -> None:
    context = Context(issues=IssueCollector())
    structure = structure_locate(signed, context)
    if structure is None or structure.message is None:
        result.problems.append(
            FieldIssue("MessageHeader", "unreadable_header", _("The signed content holds no readable edXML header."))
        )
        return
    result.kind = structure.kind
    if expected is not None and structure.kind != expected:
        result.problems.append(
            FieldIssue("MessageHeader", "wrong_kind", _("The signed package is not of the expected kind."))
        )
    header: MessageHeader | StatusMessage
    if structure.kind == STATUS:
        header = status_read(structure.message)
        result.sender_organisation_code = header.from_organ.organ_id
    else:
        header = message_header_read(structure.message)
        result.sender_organisation_code = header.from_organ.organ_id
    if context.issues.errors:
        result.problems.append(
            FieldIssue(
                "MessageHeader",
                "unreadable_header",
                _("The signed header is not valid: %(problem)s") % {"problem": str(context.issues.errors[0])},
            )
        )
        return
    result.header = header


_CERTIFICATE_TEXT = re.compile(rb"X509Certificate>([A-Za-z0-9+/=\s]+)</")


def _signer_certificate(data: bytes, fingerprint: str) -> x509.Certificate | None:
    """The certificate that made the (first) signature, found by its fingerprint (from the verification report).

    It is looked for among the X509Certificate texts of the document: a text elsewhere with the same bytes is the
    same certificate, so a byte scan is enough and spares parsing a large package once more.
    """
    if not fingerprint:
        return None
    for match in _CERTIFICATE_TEXT.finditer(data):
        try:
            der = base64.b64decode(b"".join(match.group(1).split()), validate=True)
        except (binascii.Error, ValueError):
            continue
        if hashlib.sha256(der).hexdigest() != fingerprint:
            continue
        try:
            return x509.load_der_x509_certificate(der)
        except ValueError:
            return None
    return None


def _verification_log(result: PackageVerification, data: bytes) -> None:
    if result.accepted:
        return
    reasons = [reason.code for signature in result.report.signatures for reason in signature.reasons]
    reasons += [problem.code for problem in result.problems]
    logger.warning(
        "edXML package seal not accepted (%s): %s",
        result.report.status.value,
        ", ".join(reasons) or "-",
        extra={"sha256": hashlib.sha256(data).hexdigest(), "signer": result.signer_organisation_code},
    )


__all__ = [
    "PackageVerification",
    "certificate_organisation_code",
    "deployment_trust",
    "package_sign",
    "package_verify",
    "status_sign",
    "status_verify",
]
