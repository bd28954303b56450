"""edXML (QCVN 102:2016/BTTTT): build, sign, parse and verify document packages and status packages.

A pure library (no models): the exchange app stores what it reads and sends what it builds.

    package = Package(header=MessageHeader(...), trace=TraceHeaderList(...), attachments=(Attachment(...),))
    data = package_sign(package_build(package), signer=signing_key_unlock(...), actor=user)
    with package_parse(received) as parsed:          # PackageRefused(errors=[FieldIssue(path, code, message)])
        seal = package_verify(received, at=received_at)   # seal.accepted, seal.signer_organisation_code
        ...store parsed.header, parsed.attachments[i].open()...

Status packages: ``status_build``, ``status_sign``, ``status_parse``, ``status_verify``; ``refusal_status`` answers
a refused package with a status 02. ``edxml_parse`` reads either kind. ``docs/edxml.md`` maps every element.
"""

from motcua.exchange.edxml.build import package_build, package_write, refusal_status, status_build
from motcua.exchange.edxml.codes import (
    NAMESPACE,
    BusinessDocType,
    DocumentIdParts,
    Priority,
    StatusCode,
    SteeringType,
    document_id_format,
    document_id_parse,
)
from motcua.exchange.edxml.issues import FieldIssue, PackageRefused, RefusedReference
from motcua.exchange.edxml.limits import ParseLimits
from motcua.exchange.edxml.model import (
    Attachment,
    Business,
    BusinessDocumentInfo,
    Code,
    DocumentType,
    MessageHeader,
    Organ,
    OtherInfo,
    Package,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    ResponseForTask,
    SignerInfo,
    StaffInfo,
    StatusMessage,
    TraceHeader,
    TraceHeaderList,
)
from motcua.exchange.edxml.parse import (
    ParsedAttachment,
    ParsedPackage,
    ParsedStatus,
    edxml_parse,
    package_parse,
    status_parse,
)
from motcua.exchange.edxml.sign import (
    PackageVerification,
    certificate_organisation_code,
    deployment_trust,
    package_sign,
    package_verify,
    status_sign,
    status_verify,
)

__all__ = [
    "NAMESPACE",
    "Attachment",
    "Business",
    "BusinessDocType",
    "BusinessDocumentInfo",
    "Code",
    "DocumentIdParts",
    "DocumentType",
    "FieldIssue",
    "MessageHeader",
    "Organ",
    "OtherInfo",
    "Package",
    "PackageRefused",
    "PackageVerification",
    "ParseLimits",
    "ParsedAttachment",
    "ParsedPackage",
    "ParsedStatus",
    "Priority",
    "PromulgationInfo",
    "Receiver",
    "RefusedReference",
    "ReplacementInfo",
    "ResponseFor",
    "ResponseForTask",
    "SignerInfo",
    "StaffInfo",
    "StatusCode",
    "StatusMessage",
    "SteeringType",
    "TraceHeader",
    "TraceHeaderList",
    "certificate_organisation_code",
    "deployment_trust",
    "document_id_format",
    "document_id_parse",
    "edxml_parse",
    "package_build",
    "package_parse",
    "package_sign",
    "package_verify",
    "package_write",
    "refusal_status",
    "status_build",
    "status_parse",
    "status_sign",
    "status_verify",
]
