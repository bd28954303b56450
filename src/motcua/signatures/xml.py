"""XML-DSig: parse XML safely, sign it (enveloped signature) and verify signatures.

edXML packages of QCVN 102:2016/BTTTT (the document interconnection axis, "trục liên thông văn bản") and their
status messages carry an enveloped XML-DSig signature with the signer's certificate in ``X509Data``.

Verification answers with the shared :mod:`motcua.signatures.reports` shape. It checks, for every
``ds:Signature`` in the document:

1. the structure: exactly one ``Reference``, whose ``URI`` is ``""`` (the whole document), the root element's Id,
   or the Id the caller says it uses; that Id must name exactly one element and that element must contain the
   signature (a true enveloped signature). Only known transforms are allowed. This is the defence against
   signature wrapping: a signature over some other part of the document is never reported valid;
2. the cryptography (signxml): the digest of what is referenced and the signature value over ``SignedInfo``,
   with the public key of the signer certificate taken from ``X509Data``;
3. the certificate (pyhanko-certvalidator): a path to one of the caller's trust roots (never to a certificate
   carried by the document), validity at the given moment, revocation when CRLs or OCSP responses are given
   (no network access by default), and key usage (digitalSignature or nonRepudiation).

Callers that act on the signed content should use :func:`xml_verify_signed_content` and read the element it
returns, which is re-parsed from the exact bytes that were digested, instead of looking up elements in the
original document.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from cryptography.x509 import ocsp
from cryptography.x509.oid import NameOID
from django.utils.translation import gettext as _
from lxml import etree
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as certvalidator_errors
from signxml import exceptions as signxml_errors
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureConstructionMethod, SignatureMethod
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from motcua.core.exceptions import ValidationFailed
from motcua.signatures.coroutines import coroutine_run
from motcua.signatures.reports import FileReport, Reason, SignatureReport, Status

__all__ = [
    "DEFAULT_MAX_BYTES",
    "XmlRejected",
    "XmlVerification",
    "xml_parse_safely",
    "xml_sign",
    "xml_verify",
    "xml_verify_signed_content",
]

logger = logging.getLogger(__name__)

DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
EXCLUSIVE_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"

# edXML packages carry their attachments base64-encoded, so they can be large; anything bigger is refused.
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# libxml2 refuses a text node over 10 MB unless XML_PARSE_HUGE is set; a base64 attachment of more than about
# 7.5 MB is such a node. ``huge_tree=True`` lifts that limit (and the depth limit) for callers that need it; the
# byte limit, the DTD and entity refusals stay.

_ID_ATTRIBUTES = ("Id", "ID", "id")
_XML_ID = "{http://www.w3.org/XML/1998/namespace}id"

_ACCEPTED_SIGNATURE_METHODS = frozenset(
    {
        SignatureMethod.RSA_SHA256,
        SignatureMethod.RSA_SHA384,
        SignatureMethod.RSA_SHA512,
        SignatureMethod.ECDSA_SHA256,
        SignatureMethod.ECDSA_SHA384,
        SignatureMethod.ECDSA_SHA512,
    }
)
_ACCEPTED_DIGESTS = frozenset({DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512})
_ACCEPTED_TRANSFORMS = frozenset(
    {
        SignatureConstructionMethod.enveloped.value,
        CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0.value,
        CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0_WITH_COMMENTS.value,
        CanonicalizationMethod.CANONICAL_XML_1_0.value,
        CanonicalizationMethod.CANONICAL_XML_1_0_WITH_COMMENTS.value,
        CanonicalizationMethod.CANONICAL_XML_1_1.value,
        CanonicalizationMethod.CANONICAL_XML_1_1_WITH_COMMENTS.value,
    }
)

# "<!DOCTYPE" in the encodings an XML parser detects by itself; refused before the parser sees the document.
_DOCTYPE_MARKERS = tuple(
    "<!DOCTYPE".encode(encoding) for encoding in ("ascii", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")
)


class XmlRejected(ValidationFailed):
    """The XML cannot be accepted: too large, not well-formed, or using DTDs or entities."""

    default_code = "xml_rejected"


# --- parsing -------------------------------------------------------------------------------------------------


def _safe_parser(*, huge_tree: bool = False) -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=huge_tree,
        remove_blank_text=False,
        collect_ids=False,
    )


def xml_parse_safely(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES, huge_tree: bool = False) -> etree._Element:
    """Parse untrusted XML: no DTD, no entities, no network, bounded size. Raises :class:`XmlRejected`.

    ``huge_tree`` accepts text nodes over libxml2's 10 MB limit (large base64 attachments).
    """
    if not isinstance(data, bytes | bytearray):
        raise XmlRejected(_("The XML document must be given as bytes."), code="malformed")
    if len(data) > max_bytes:
        raise XmlRejected(
            _("The XML document is too large (%(size)d bytes; at most %(limit)d are accepted).")
            % {"size": len(data), "limit": max_bytes},
            code="too_large",
        )
    if any(marker in data for marker in _DOCTYPE_MARKERS):
        raise XmlRejected(_("XML documents with a DOCTYPE or DTD are not accepted."), code="dtd_forbidden")
    try:
        root = etree.fromstring(bytes(data), parser=_safe_parser(huge_tree=huge_tree))
    except etree.XMLSyntaxError as error:
        raise XmlRejected(
            _("The XML document is not well-formed: %(error)s") % {"error": error.msg or str(error)},
            code="malformed",
        ) from error
    if root is None:
        raise XmlRejected(_("The XML document is empty."), code="malformed")
    # Defence in depth: a DOCTYPE in an encoding the byte scan did not cover.
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise XmlRejected(_("XML documents with a DOCTYPE or DTD are not accepted."), code="dtd_forbidden")
    if next(root.iter(etree.Entity), None) is not None:
        raise XmlRejected(_("XML documents with entities are not accepted."), code="dtd_forbidden")
    return root


# --- signing -------------------------------------------------------------------------------------------------


def _signature_method_for(key: Any, algorithm: str | SignatureMethod | None) -> SignatureMethod:
    if isinstance(key, rsa.RSAPrivateKey):
        family = "RSA_"
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        family = "ECDSA_"
    else:
        raise TypeError("xml_sign needs an RSA or elliptic-curve private key from cryptography.")
    if algorithm is None:
        return SignatureMethod[family + "SHA256"]
    method = algorithm if isinstance(algorithm, SignatureMethod) else SignatureMethod(algorithm)
    if method not in _ACCEPTED_SIGNATURE_METHODS or not method.name.startswith(family):
        raise ValueError(f"Signature algorithm {method.value} does not fit a {family.rstrip('_')} key.")
    return method


def xml_sign(
    data: bytes,
    *,
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    certificate: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    reference_uri: str | None = None,
    algorithm: str | SignatureMethod | None = None,
    signature_parent_xpath: str | None = None,
    namespaces: Mapping[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    huge_tree: bool = False,
) -> bytes:
    """Add an enveloped XML-DSig signature (exclusive c14n, SHA-256, X509Data) and return the signed document.

    ``reference_uri``: ``None`` signs the whole document (``URI=""``; signxml uses the root's Id instead when the
    root carries one), ``"#some-id"`` signs the element with that Id, which must contain the signature.
    ``algorithm``: a signxml ``SignatureMethod`` (or its URI); by default RSA-SHA256 or ECDSA-SHA256 from the key.
    ``signature_parent_xpath``: where the ``ds:Signature`` goes (as last child), e.g. the edXML header; by default
    the root element. It must select exactly one element; ``namespaces`` maps its prefixes.
    ``huge_tree``: accept text nodes over 10 MB (see :func:`xml_parse_safely`).
    """
    method = _signature_method_for(key, algorithm)
    public_bytes = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if certificate.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo) != public_bytes:
        raise ValueError("The certificate does not belong to the signing key.")
    if reference_uri is not None and (not reference_uri.startswith("#") or len(reference_uri) < 2):
        raise ValueError('reference_uri must be None (whole document) or "#<Id>".')

    root = xml_parse_safely(data, max_bytes=max_bytes, huge_tree=huge_tree)
    if _placeholders(root):
        raise ValueError("The document already holds a signature placeholder.")
    if signature_parent_xpath is None:
        parent = root
    else:
        found = root.xpath(signature_parent_xpath, namespaces=dict(namespaces or {}))
        if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0], etree._Element):
            raise ValueError(f"signature_parent_xpath {signature_parent_xpath!r} must select exactly one element.")
        parent = found[0]
    if reference_uri is not None:
        targets = _elements_with_id(root, reference_uri[1:])
        if len(targets) != 1:
            raise ValueError(f"reference_uri {reference_uri!r} must name exactly one element.")
        if targets[0] is not parent and targets[0] not in parent.iterancestors():
            raise ValueError("An enveloped signature must be placed inside the element it signs.")
    etree.SubElement(parent, f"{{{DS_NAMESPACE}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DS_NAMESPACE})

    signer = _Signer(
        huge_tree=huge_tree,
        method=SignatureConstructionMethod.enveloped,
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed_root = signer.sign(
        root,
        key=key,
        cert=[certificate, *chain],
        reference_uri=reference_uri,
    )
    return bytes(etree.tostring(signed_root, xml_declaration=True, encoding="UTF-8"))


class _Signer(XMLSigner):
    """signxml's signer, re-parsing the document it copies with our safe parser (huge text allowed on request)."""

    def __init__(self, *, huge_tree: bool, **options: Any) -> None:
        super().__init__(**options)
        self._parser = _safe_parser(huge_tree=huge_tree)


def _placeholders(root: etree._Element) -> list[etree._Element]:
    return [element for element in root.iter(f"{{{DS_NAMESPACE}}}Signature") if element.get("Id") == "placeholder"]


def _elements_with_id(root: etree._Element, identifier: str) -> list[etree._Element]:
    """Every element whose Id, ID, id or xml:id is ``identifier`` (more than one means an ambiguous document)."""
    return [
        element
        for element in root.iter(etree.Element)
        if any(element.get(name) == identifier for name in (*_ID_ATTRIBUTES, _XML_ID))
    ]


# --- verifying -----------------------------------------------------------------------------------------------


@dataclass
class XmlVerification:
    """The report, and for each signature (same order) the content it signed.

    ``signed_elements[i]`` is re-parsed from the canonical bytes that signature i digested, or ``None`` when the
    signature is not cryptographically intact. It is only trustworthy when ``report.signatures[i].status`` is
    ``valid``.
    """

    report: FileReport
    signed_elements: list[etree._Element | None] = field(default_factory=list)


class _SignatureProblem(Exception):
    def __init__(self, status: Status, code: str, message: str) -> None:
        super().__init__(message)
        self.reason = Reason(code=code, message=message)
        self.status = status


def _element_children(element: etree._Element) -> list[etree._Element]:
    return [child for child in element if isinstance(child.tag, str)]


def _position(element: etree._Element) -> tuple[int, ...]:
    """Where an element sits below the root, as indexes among element children (comments and PIs skipped)."""
    position: list[int] = []
    while (parent := element.getparent()) is not None:
        position.append(next(i for i, child in enumerate(_element_children(parent)) if child is element))
        element = parent
    return tuple(reversed(position))


class _OneSignatureVerifier(XMLVerifier):
    """signxml's verifier, pointed at one given ``ds:Signature`` (signxml alone takes the first it finds)."""

    def __init__(self, signature_position: tuple[int, ...]) -> None:
        super().__init__()
        self._signature_position = signature_position

    def _get_signature(self, root: etree._Element) -> etree._Element:
        # ``root`` is a re-parsed copy of the document, so the element is found again by its position.
        element = root
        for index in self._signature_position:
            children = _element_children(element)
            if index >= len(children):
                raise signxml_errors.InvalidInput("Signature element not found")
            element = children[index]
        if element.tag != f"{{{DS_NAMESPACE}}}Signature":
            raise signxml_errors.InvalidInput("Signature element not found")
        return element


def xml_verify(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    intermediates: Iterable[x509.Certificate] = (),
    at: dt.datetime | None = None,
    crls: Iterable[bytes | x509.CertificateRevocationList] = (),
    ocsps: Iterable[bytes | ocsp.OCSPResponse] = (),
    signed_id: str | None = None,
    allow_fetching: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    huge_tree: bool = False,
) -> FileReport:
    """Verify every XML-DSig signature of ``data``; bad input gives a report, never an exception.

    See :func:`xml_verify_signed_content` for what is checked and for the signed content itself.
    """
    return xml_verify_signed_content(
        data,
        trust_roots=trust_roots,
        intermediates=intermediates,
        at=at,
        crls=crls,
        ocsps=ocsps,
        signed_id=signed_id,
        allow_fetching=allow_fetching,
        max_bytes=max_bytes,
        huge_tree=huge_tree,
    ).report


def xml_verify_signed_content(
    data: bytes,
    *,
    trust_roots: Sequence[x509.Certificate],
    intermediates: Iterable[x509.Certificate] = (),
    at: dt.datetime | None = None,
    crls: Iterable[bytes | x509.CertificateRevocationList] = (),
    ocsps: Iterable[bytes | ocsp.OCSPResponse] = (),
    signed_id: str | None = None,
    allow_fetching: bool = False,
    max_bytes: int = DEFAULT_MAX_BYTES,
    huge_tree: bool = False,
) -> XmlVerification:
    """Verify every signature of ``data`` and return the report with the content each signature covers.

    A signature is accepted only over the whole document, or over the element whose Id is ``signed_id`` (the one
    the caller will use). Certificates are checked at ``at`` (default: now; XML-DSig carries no trusted signing
    time, so pass the time the document was received when it is known). When ``crls`` or ``ocsps`` are given,
    revocation must be proven for every certificate of the path, otherwise the signature is indeterminate.
    ``huge_tree`` accepts text nodes over 10 MB (see :func:`xml_parse_safely`).
    """
    report = FileReport(kind="xml")
    result = XmlVerification(report=report)
    try:
        root = xml_parse_safely(data, max_bytes=max_bytes, huge_tree=huge_tree)
    except XmlRejected as error:
        report.errors.append(Reason(code=error.code, message=str(error.message)))
        return result
    except Exception:  # never let a parser surprise escape: the file is simply not readable
        report.errors.append(Reason(code="malformed", message=_("The XML document could not be read.")))
        return result

    signatures = list(root.iter(f"{{{DS_NAMESPACE}}}Signature"))
    if not signatures:
        report.errors.append(Reason(code="no_signature", message=_("The XML document has no signature.")))
        return result

    moment = _aware(at) if at is not None else dt.datetime.now(dt.UTC)
    crl_list = [
        crl.public_bytes(Encoding.DER) if isinstance(crl, x509.CertificateRevocationList) else crl for crl in crls
    ]
    ocsp_list = [
        response.public_bytes(Encoding.DER) if isinstance(response, ocsp.OCSPResponse) else response
        for response in ocsps
    ]
    context = _ChainContext(
        trust_roots=list(trust_roots),
        intermediates=list(intermediates),
        moment=moment,
        crls=crl_list,
        ocsps=ocsp_list,
        allow_fetching=allow_fetching,
        huge_tree=huge_tree,
    )
    for signature in signatures:
        signature_report, signed_element = _verify_one(root, signature, signed_id=signed_id, context=context)
        report.signatures.append(signature_report)
        result.signed_elements.append(signed_element)
    return result


@dataclass
class _ChainContext:
    trust_roots: list[x509.Certificate]
    intermediates: list[x509.Certificate]
    moment: dt.datetime
    crls: list[bytes]
    ocsps: list[bytes]
    allow_fetching: bool
    huge_tree: bool = False


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _verify_one(
    root: etree._Element, signature: etree._Element, *, signed_id: str | None, context: _ChainContext
) -> tuple[SignatureReport, etree._Element | None]:
    report = SignatureReport(status=Status.INVALID)
    signed_element: etree._Element | None = None
    report.field_name = signature.get("Id") or root.getroottree().getpath(signature)
    try:
        covers_whole_document = _check_structure(root, signature, signed_id=signed_id)
        report.covers_whole_document = covers_whole_document
        certificates = _embedded_certificates(signature)
        signer = _signer_certificate(certificates)
        _describe_signer(report, signer)
        method = signature.find(f"{{{DS_NAMESPACE}}}SignedInfo/{{{DS_NAMESPACE}}}SignatureMethod")
        report.algorithm = _algorithm_name(method.get("Algorithm", "") if method is not None else "")
        signed_element = _verify_cryptography(root, signature, signer, huge_tree=context.huge_tree)
        _verify_certificate(signer, [c for c in certificates if c is not signer], context)
    except _SignatureProblem as problem:
        report.status = problem.status
        report.reasons.append(problem.reason)
        # The content is handed back only when the signature itself is intact (the trust in the signer may not be).
        return report, signed_element
    except Exception:  # a surprise in a library must not turn into a crash on untrusted input
        logger.warning("Unexpected error while verifying an XML signature", exc_info=True)
        report.status = Status.INVALID
        report.reasons.append(Reason(code="malformed", message=_("The signature could not be read.")))
        return report, None
    report.status = Status.VALID
    return report, signed_element


def _problem(status: Status, code: str, message: str) -> _SignatureProblem:
    return _SignatureProblem(status, code, message)


def _check_structure(root: etree._Element, signature: etree._Element, *, signed_id: str | None) -> bool:
    """Refuse anything but one Reference to the whole document or to the expected, enveloping element.

    Returns whether the signature covers the whole document.
    """
    malformed = _("The signature is malformed.")
    signed_info = signature.find(f"{{{DS_NAMESPACE}}}SignedInfo")
    if signed_info is None:
        raise _problem(Status.INVALID, "malformed", malformed)
    references = signed_info.findall(f"{{{DS_NAMESPACE}}}Reference")
    if len(references) != 1:
        raise _problem(
            Status.INVALID,
            "unexpected_reference",
            _("The signature must cover exactly one part of the document; it covers %(count)d.")
            % {"count": len(references)},
        )
    reference = references[0]
    method = signed_info.find(f"{{{DS_NAMESPACE}}}SignatureMethod")
    digest = reference.find(f"{{{DS_NAMESPACE}}}DigestMethod")
    if method is None or digest is None:
        raise _problem(Status.INVALID, "malformed", malformed)
    for algorithm, accepted in (
        (method.get("Algorithm", ""), {accepted.value for accepted in _ACCEPTED_SIGNATURE_METHODS}),
        (digest.get("Algorithm", ""), {accepted.value for accepted in _ACCEPTED_DIGESTS}),
    ):
        if algorithm not in accepted:
            raise _problem(
                Status.INVALID,
                "unsupported_algorithm",
                _("The signature uses an algorithm that is not accepted: %(algorithm)s.") % {"algorithm": algorithm},
            )
    for transform in reference.iterfind(f"{{{DS_NAMESPACE}}}Transforms/{{{DS_NAMESPACE}}}Transform"):
        if transform.get("Algorithm") not in _ACCEPTED_TRANSFORMS:
            raise _problem(
                Status.INVALID,
                "unsupported_transform",
                _("The signature uses a transform that is not accepted: %(algorithm)s.")
                % {"algorithm": transform.get("Algorithm", "")},
            )
    uri = reference.get("URI")
    if uri is None:
        raise _problem(Status.INVALID, "malformed", malformed)
    if uri == "":
        return True
    if not uri.startswith("#") or uri.startswith("#xpointer("):
        raise _problem(
            Status.INVALID,
            "unexpected_reference",
            _("The signature refers to content outside the document (%(uri)s).") % {"uri": uri},
        )
    identifier = uri[1:]
    targets = _elements_with_id(root, identifier)
    if len(targets) != 1:
        raise _problem(
            Status.INVALID,
            "ambiguous_reference",
            _("The signed part of the document cannot be identified: %(count)d elements have the Id %(id)s.")
            % {"count": len(targets), "id": identifier},
        )
    target = targets[0]
    covers_whole_document = target is root
    if not covers_whole_document and identifier != signed_id:
        raise _problem(
            Status.INVALID,
            "unexpected_reference",
            _("The signature covers only the element with Id %(id)s, not the content that is used.")
            % {"id": identifier},
        )
    if target not in signature.iterancestors():
        raise _problem(
            Status.INVALID,
            "unexpected_reference",
            _("The signature is not inside the element it signs."),
        )
    return covers_whole_document


def _embedded_certificates(signature: etree._Element) -> list[x509.Certificate]:
    certificates = []
    for element in signature.iterfind(
        f"{{{DS_NAMESPACE}}}KeyInfo/{{{DS_NAMESPACE}}}X509Data/{{{DS_NAMESPACE}}}X509Certificate"
    ):
        text = "".join((element.text or "").split())
        try:
            certificates.append(x509.load_der_x509_certificate(_b64decode(text)))
        except ValueError as error:
            raise _problem(Status.INVALID, "malformed", _("A certificate in the signature cannot be read.")) from error
    if not certificates:
        raise _problem(
            Status.INDETERMINATE,
            "no_certificate",
            _("The signature does not carry the signer's certificate."),
        )
    return certificates


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except binascii.Error as error:
        raise ValueError(str(error)) from error


def _signer_certificate(certificates: list[x509.Certificate]) -> x509.Certificate:
    """The end-entity certificate: the one that issued none of the others (the first such, as signers list it)."""
    for candidate in certificates:
        if not any(other is not candidate and other.issuer == candidate.subject for other in certificates):
            return candidate
    return certificates[0]


def _name_attribute(name: x509.Name, oid: x509.ObjectIdentifier) -> str:
    values = name.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def _describe_signer(report: SignatureReport, certificate: x509.Certificate) -> None:
    report.signer_name = _name_attribute(certificate.subject, NameOID.COMMON_NAME)
    report.signer_organisation = _name_attribute(certificate.subject, NameOID.ORGANIZATION_NAME)
    report.signer_certificate_sha256 = hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()
    report.issuer_name = _name_attribute(certificate.issuer, NameOID.COMMON_NAME) or certificate.issuer.rfc4514_string()


def _algorithm_name(uri: str) -> str:
    return uri.rpartition("#")[2] or uri


def _verify_cryptography(
    root: etree._Element, signature: etree._Element, signer: x509.Certificate, *, huge_tree: bool = False
) -> etree._Element | None:
    """Check digest and signature value with signxml; certificate trust is checked separately."""
    method = signature.find(f"{{{DS_NAMESPACE}}}SignedInfo/{{{DS_NAMESPACE}}}SignatureMethod")
    method_name = SignatureMethod(method.get("Algorithm") if method is not None else "").name
    public_key = signer.public_key()
    if not (
        (method_name.startswith("RSA_") and isinstance(public_key, rsa.RSAPublicKey))
        or (method_name.startswith("ECDSA_") and isinstance(public_key, ec.EllipticCurvePublicKey))
    ):
        raise _problem(
            Status.INVALID,
            "bad_signature",
            _("The signature value does not match the signer's certificate."),
        )
    verifier = _OneSignatureVerifier(_position(signature))
    # The validity period is checked with the chain (own reason codes); signxml only needs a moment inside it.
    config = SignatureConfiguration(
        require_x509=True,
        location=".//",
        expect_references=1,
        signature_methods=_ACCEPTED_SIGNATURE_METHODS,
        digest_algorithms=_ACCEPTED_DIGESTS,
        verification_time=signer.not_valid_before_utc,
    )
    try:
        result = verifier.verify(root, x509_cert=signer, parser=_safe_parser(huge_tree=huge_tree), expect_config=config)
    except signxml_errors.InvalidDigest as error:
        raise _problem(
            Status.INVALID,
            "modified_after_signing",
            _("The document was modified after it was signed."),
        ) from error
    except signxml_errors.InvalidCertificate as error:
        raise _problem(Status.INVALID, "malformed", _("The signer's certificate cannot be used.")) from error
    except signxml_errors.InvalidSignature as error:
        raise _problem(
            Status.INVALID,
            "bad_signature",
            _("The signature value does not match the signer's certificate."),
        ) from error
    except signxml_errors.InvalidInput as error:
        raise _problem(Status.INVALID, "malformed", _("The signature is malformed.")) from error
    if isinstance(result, list):  # expect_references=1 makes this a single result; be sure anyway
        raise _problem(Status.INVALID, "unexpected_reference", _("The signature is malformed."))
    return result.signed_xml


def _to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(certificate.public_bytes(Encoding.DER))


def _verify_certificate(signer: x509.Certificate, embedded: list[x509.Certificate], context: _ChainContext) -> None:
    moment_text = context.moment.isoformat(timespec="seconds")
    checks_revocation = bool(context.crls or context.ocsps)
    validation_context = ValidationContext(
        trust_roots=[_to_asn1(root) for root in context.trust_roots],
        other_certs=[_to_asn1(cert) for cert in (*context.intermediates, *embedded)],
        moment=context.moment,
        allow_fetching=context.allow_fetching,
        crls=context.crls,
        ocsps=context.ocsps,
        revocation_mode="require" if checks_revocation else "soft-fail",
    )
    unknown_issuer = _problem(
        Status.INDETERMINATE,
        "unknown_issuer",
        _("The signer's certificate does not lead to a trusted certification authority."),
    )
    if signer.issuer == signer.subject and signer not in context.trust_roots:
        raise unknown_issuer  # self-signed: pyhanko-certvalidator reports it as a bad certificate instead
    validator = CertificateValidator(_to_asn1(signer), validation_context=validation_context)
    try:
        coroutine_run(validator.async_validate_path())
    except certvalidator_errors.PathBuildingError as error:
        raise unknown_issuer from error
    except certvalidator_errors.RevokedError as error:
        raise _problem(
            Status.INVALID,
            "revoked",
            _("A certificate of the signer was revoked on %(date)s.")
            % {"date": error.revocation_dt.isoformat(timespec="seconds")},
        ) from error
    except certvalidator_errors.InsufficientRevinfoError as error:
        raise _problem(
            Status.INDETERMINATE,
            "revocation_unknown",
            _("Whether the signer's certificate was revoked cannot be established."),
        ) from error
    except certvalidator_errors.ExpiredError as error:
        raise _problem(
            Status.INDETERMINATE,
            "expired",
            _("A certificate of the signer expired on %(date)s (checked at %(moment)s).")
            % {"date": error.expired_dt.isoformat(timespec="seconds"), "moment": moment_text},
        ) from error
    except certvalidator_errors.NotYetValidError as error:
        raise _problem(
            Status.INDETERMINATE,
            "not_yet_valid",
            _("A certificate of the signer is only valid from %(date)s (checked at %(moment)s).")
            % {"date": error.valid_from.isoformat(timespec="seconds"), "moment": moment_text},
        ) from error
    except certvalidator_errors.DisallowedAlgorithmError as error:
        raise _problem(
            Status.INDETERMINATE,
            "weak_algorithm",
            _("A certificate of the signer uses an algorithm that is no longer accepted."),
        ) from error
    except (certvalidator_errors.PathValidationError, certvalidator_errors.ValidationError) as error:
        raise _problem(
            Status.INVALID,
            "invalid_chain",
            _("The signer's certificate chain is not valid."),
        ) from error
    _check_key_usage(signer)


def _check_key_usage(certificate: x509.Certificate) -> None:
    """A signing certificate must state digitalSignature or nonRepudiation (contentCommitment)."""
    try:
        usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is None or not (usage.digital_signature or usage.content_commitment):
        raise _problem(
            Status.INVALID,
            "wrong_key_usage",
            _("The signer's certificate is not meant for signing (key usage)."),
        )
