"""Where the parts of a package are (edXML envelope, legacy SOAP status), and what a refused one still names."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from motcua.core.codes import organisation_code_parse
from motcua.exchange.edxml import codes
from motcua.exchange.edxml.codes import (
    NAMESPACE,
    XLINK_NAMESPACE,
    document_id_format,
)
from motcua.exchange.edxml.fields import (
    MISSING_DATE,
    Context,
    Node,
    read_date,
)
from motcua.exchange.edxml.issues import IssueCollector, RefusedReference
from motcua.exchange.edxml.reader import local_name

DS_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#"
SOAP_NAMESPACE = "http://schemas.xmlsoap.org/soap/envelope/"

PACKAGE = "package"
STATUS = "status"


@dataclass
class Structure:
    """Where the parts of a package are: its header, body, attachments, and which kind of package it is."""

    kind: str
    header: Node  # edXMLHeader (or the legacy SOAP Header)
    message: Node | None  # MessageHeader, or the Status element of a status
    body: Node | None
    attachments: Node | None  # AttachmentEncoded
    signatures: list[etree._Element]


def _namespace(element: etree._Element) -> str | None:
    tag = element.tag
    return tag[1:].partition("}")[0] if isinstance(tag, str) and tag.startswith("{") else None


def structure_locate(root: etree._Element, context: Context) -> Structure | None:
    """Find the envelope's parts; None (with an error) when this is not an edXML package at all."""
    issues = context.issues
    name, namespace = local_name(root.tag), _namespace(root)
    signatures = list(root.iter(f"{{{DS_NAMESPACE}}}Signature"))
    if name == "Envelope" and namespace == SOAP_NAMESPACE:
        return _soap_status(root, context, signatures)
    if namespace not in (NAMESPACE, None) or name not in ("edXML", "edXMLEnvelope"):
        issues.error("", "not_edxml", _("This is not an edXML package (QCVN 102:2016)."))
        return None
    root_node = Node(root, "", context)
    if name == "edXML":
        root_node.expect(["edXMLEnvelope", "AttachmentEncoded"])
        envelope = root_node.child("edXMLEnvelope", required=True)
        if envelope is None:
            return None
        envelope.path = ""
        attachments = root_node.child("AttachmentEncoded")
    else:
        issues.warn("", "root_wrapper", _("The package has no edXML root element around its envelope."))
        envelope = root_node
        attachments = None
    envelope.expect(["edXMLHeader", "edXMLBody", "AttachmentEncoded"])
    header = envelope.child("edXMLHeader", required=True)
    if header is None:
        return None
    header.path = ""
    body = envelope.child("edXMLBody")
    if body is not None:
        body.path = ""
        body.expect(["edXMLManifest", "AttachmentEncoded"])
    inside = [
        node
        for node in (envelope.child("AttachmentEncoded"), body.child("AttachmentEncoded") if body else None)
        if node is not None
    ]
    if len(inside) + (attachments is not None) > 1:
        # Which set of attachments would be meant? One reader would take these, another those.
        issues.error("AttachmentEncoded", "duplicate", _("This element appears more than once."))
    elif inside:
        if name == "edXML":
            issues.warn(
                "AttachmentEncoded",
                "attachments_misplaced",
                _("The attachments were found inside the envelope instead of after it."),
            )
        attachments = inside[0]
    if attachments is not None:
        attachments.path = "AttachmentEncoded"
    header.expect(["MessageHeader", "TraceHeaderList", "Status"], foreign=[(DS_NAMESPACE, "Signature")])
    status_wrapper = header.child("Status")
    message = header.child("MessageHeader", required=status_wrapper is None)
    if status_wrapper is not None and message is None:
        issues.warn(
            "Status", "status_wrapper", _("The status was read from a Status element instead of MessageHeader.")
        )
        status_wrapper.path = "MessageHeader"
        message = status_wrapper
    kind = STATUS if message is not None and message.has("StatusCode") else PACKAGE
    return Structure(
        kind=kind, header=header, message=message, body=body, attachments=attachments, signatures=signatures
    )


def _soap_status(root: etree._Element, context: Context, signatures: list[etree._Element]) -> Structure | None:
    """A status inside a SOAP envelope (SOAP-ENV:Header/edXML:Status), as older eDoc gateways send them."""
    context.issues.warn(
        "", "legacy_envelope", _("The status was read from a SOAP envelope instead of an edXML envelope.")
    )
    header_element = next(
        (child for child in root if isinstance(child.tag, str) and child.tag == f"{{{SOAP_NAMESPACE}}}Header"), None
    )
    status = None
    if header_element is not None:
        status = next(
            (child for child in header_element if isinstance(child.tag, str) and local_name(child.tag) == "Status"),
            None,
        )
    if header_element is None or status is None:
        context.issues.error("", "not_edxml", _("This is not an edXML package (QCVN 102:2016)."))
        return None
    # Some gateways bind the edXML prefix to the SOAP namespace: the status's own elements are read by name.
    context.namespace_warned = True
    for element in status.iter():
        if isinstance(element.tag, str) and _namespace(element) != NAMESPACE:
            element.tag = local_name(element.tag)
    return Structure(
        kind=STATUS,
        header=Node(header_element, "", context),
        message=Node(status, "MessageHeader", context),
        body=None,
        attachments=None,
        signatures=signatures,
    )


# --- what a refusal can still answer to -------------------------------------------------------------------------


def reference_salvage(structure: Structure | None) -> RefusedReference:
    """Read, without judging, what a status 02 needs: the document's id, sender, number and date."""
    if structure is None or structure.message is None or structure.kind != PACKAGE:
        return RefusedReference()
    quiet = Context(issues=IssueCollector())
    message = Node(structure.message.element, "MessageHeader", quiet)

    def text(node: Node | None, name: str) -> str:
        child = node.child(name) if node is not None else None
        return (child.element.text or "").strip() if child is not None else ""

    from_id = text(message.child("From"), "OrganId").upper()
    code_node = message.child("Code")
    number, notation = text(code_node, "CodeNumber"), text(code_node, "CodeNotation")
    promulgation = message.child("PromulgationInfo")
    date = read_date(promulgation, "PromulgationDate") if promulgation is not None else None
    document_id = text(message, "DocumentId")
    if date == MISSING_DATE or quiet.issues.errors:
        date = None
    if not document_id and from_id and number and notation and date is not None:
        document_id = document_id_format(
            organ_id=from_id, promulgation_date=date, code_number=number, code_notation=notation
        )
    try:
        organisation_code_parse(from_id)
    except ValidationError:
        from_id = ""
    code = f"{number}/{notation}" if number and notation else ""
    return RefusedReference(
        document_id=document_id if len(document_id) <= codes.DOCUMENT_ID_MAX else "",
        from_organ_id=from_id,
        code=code if len(code) <= codes.RESPONSE_CODE_MAX else "",
        promulgation_date=date,
    )


def content_id_normalise(value: str) -> str:
    """A content id as both places write it: without "cid:" and angle brackets (RFC 2392)."""
    text = value.strip()
    if text.lower().startswith("cid:"):
        text = text[4:]
    return text.strip("<>").strip()


def content_id_derive(*, document_id: str, index: int, name: str) -> str:
    """A stable content id for an attachment the caller did not name (the same package, the same ids)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"edxml:{document_id}:{index}:{name}"))


def xlink_href(element: etree._Element) -> str:
    return str(element.get(f"{{{XLINK_NAMESPACE}}}href") or element.get("href") or "")
