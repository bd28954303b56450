"""From the tree of a package to the typed model: the structure, the header, the trace, the manifest, the status."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lxml import etree

from motcua.core.codes import organisation_code_parse
from motcua.exchange.edxml import codes
from motcua.exchange.edxml.codes import (
    NAMESPACE,
    XLINK_NAMESPACE,
    BusinessDocType,
    Priority,
    StatusCode,
    SteeringType,
    document_id_format,
    document_id_parse,
)
from motcua.exchange.edxml.fields import (
    MISSING_DATE,
    Context,
    Node,
    node_organisation_code,
    node_text,
    read_boolean,
    read_choice,
    read_date,
    read_integer,
    read_organisation_code,
    read_text,
    read_texts,
    read_timestamp,
)
from motcua.exchange.edxml.issues import IssueCollector, RefusedReference
from motcua.exchange.edxml.model import (
    Business,
    BusinessDocumentInfo,
    Code,
    DocumentType,
    MessageHeader,
    Organ,
    OtherInfo,
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


# --- MessageHeader ----------------------------------------------------------------------------------------------

_ORGAN_FIELDS = ["OrganId", "OrganizationInCharge", "OrganName", "OrganAdd", "Email", "Telephone", "Fax", "Website"]


def organ_read(node: Node, *, recipient: bool = False) -> Organ:
    node.expect(_ORGAN_FIELDS)
    organ_id = read_organisation_code(node, "OrganId")
    organ_name = read_text(node, "OrganName", max_length=codes.ORGAN_NAME_MAX)
    if not organ_name and not recipient:
        node.issues.warn(node.sub("OrganName"), "missing_optional", _("The organisation's name is missing."))
    return Organ(
        organ_id=organ_id,
        organization_in_charge=read_text(node, "OrganizationInCharge", max_length=codes.ORGAN_NAME_MAX),
        organ_name=organ_name,
        organ_add=read_text(node, "OrganAdd", max_length=codes.TEXT_MAX),
        email=read_text(node, "Email", max_length=codes.SHORT_TEXT_MAX),
        telephone=read_text(node, "Telephone", max_length=codes.SHORT_TEXT_MAX),
        fax=read_text(node, "Fax", max_length=codes.SHORT_TEXT_MAX),
        website=read_text(node, "Website", max_length=codes.SHORT_TEXT_MAX),
    )


def response_for_read(node: Node) -> ResponseFor:
    node.expect(["OrganId", "Code", "PromulgationDate", "DocumentId"])
    return ResponseFor(
        organ_id=read_organisation_code(node, "OrganId"),
        code=read_text(node, "Code", max_length=codes.RESPONSE_CODE_MAX, required=True, identifier=True),
        promulgation_date=read_date(node, "PromulgationDate", required=True) or MISSING_DATE,
        document_id=read_text(node, "DocumentId", max_length=codes.DOCUMENT_ID_MAX, required=True, identifier=True),
    )


def staff_read(node: Node) -> StaffInfo:
    node.expect(["Department", "Staff", "Mobile", "Email"])
    return StaffInfo(
        department=read_text(node, "Department", max_length=codes.SHORT_TEXT_MAX),
        staff=read_text(node, "Staff", max_length=codes.SHORT_TEXT_MAX),
        mobile=read_text(node, "Mobile", max_length=codes.SHORT_TEXT_MAX),
        email=read_text(node, "Email", max_length=codes.SHORT_TEXT_MAX),
    )


_MESSAGE_FIELDS = [
    "From",
    "To",
    "DocumentId",
    "Code",
    "PromulgationInfo",
    "DocumentType",
    "Subject",
    "Content",
    "SignerInfo",
    "DueDate",
    "ToPlaces",
    "OtherInfo",
    "ResponseFor",
    "SteeringType",
    "ResponseForTask",
    "ApplicationType",
]


def message_header_read(node: Node, *, recipient_exists: Any = None) -> MessageHeader:
    issues = node.issues
    node.expect(_MESSAGE_FIELDS)
    from_node = node.child("From", required=True)
    from_organ = organ_read(from_node) if from_node is not None else Organ(organ_id="")
    to_nodes = node.children("To")
    if not to_nodes:
        issues.error(node.sub("To"), "required", _("At least one recipient (To) is required."))
    to_organs = tuple(organ_read(to_node, recipient=True) for to_node in to_nodes)
    if recipient_exists is not None:
        for to_node, organ in zip(to_nodes, to_organs, strict=True):
            if organ.organ_id and not recipient_exists(organ.organ_id):
                issues.error(
                    to_node.sub("OrganId"),
                    "unknown_recipient",
                    _("No organisation with the code %(code)s is known here.") % {"code": organ.organ_id},
                )

    code_node = node.child("Code", required=True)
    code = Code(code_number="", code_notation="")
    if code_node is not None:
        code_node.expect(["CodeNumber", "CodeNotation"])
        code = Code(
            code_number=read_text(
                code_node, "CodeNumber", max_length=codes.CODE_NUMBER_MAX, required=True, identifier=True
            ),
            code_notation=read_text(
                code_node, "CodeNotation", max_length=codes.CODE_NOTATION_MAX, required=True, identifier=True
            ),
        )
    promulgation_node = node.child("PromulgationInfo", required=True)
    promulgation = PromulgationInfo(place="", promulgation_date=MISSING_DATE)
    if promulgation_node is not None:
        promulgation_node.expect(["Place", "PromulgationDate"])
        place = read_text(promulgation_node, "Place", max_length=codes.PLACE_MAX)
        if not place:
            issues.warn(promulgation_node.sub("Place"), "missing_optional", _("The place of promulgation is missing."))
        promulgation = PromulgationInfo(
            place=place,
            promulgation_date=read_date(promulgation_node, "PromulgationDate", required=True) or MISSING_DATE,
        )
    type_node = node.child("DocumentType", required=True)
    document_type = DocumentType(type_code=0)
    if type_node is not None:
        type_node.expect(["Type", "TypeDetail", "TypeName"])
        document_type = DocumentType(
            type_code=read_integer(type_node, "Type", default=0, required=True, maximum=9999),
            type_detail=read_integer(type_node, "TypeDetail", default=0, maximum=9999),
            type_name=read_text(type_node, "TypeName", max_length=codes.TYPE_NAME_MAX),
        )
    signer_node = node.child("SignerInfo")
    signer = None
    if signer_node is None:
        issues.warn(node.sub("SignerInfo"), "missing_optional", _("The signer of the document is not given."))
    else:
        signer_node.expect(["Competence", "Position", "FullName"])
        signer = SignerInfo(
            competence=read_text(signer_node, "Competence", max_length=codes.SHORT_TEXT_MAX),
            position=read_text(signer_node, "Position", max_length=codes.SHORT_TEXT_MAX),
            full_name=read_text(signer_node, "FullName", max_length=codes.SHORT_TEXT_MAX),
        )
    other_node = node.child("OtherInfo")
    other = OtherInfo()
    if other_node is not None:
        other_node.expect(
            [
                "Priority",
                "SphereOfPromulgation",
                "TyperNotation",
                "PromulgationAmount",
                "PageAmount",
                "Direction",
                "Appendixes",
                "ReplyFors",
                "ReferenceCodes",
            ]
        )
        other = OtherInfo(
            priority=read_choice(
                other_node, "Priority", choices=Priority, values=Priority.values, default=Priority.NORMAL
            ),
            sphere_of_promulgation=read_text(other_node, "SphereOfPromulgation", max_length=codes.SHORT_TEXT_MAX),
            typer_notation=read_text(other_node, "TyperNotation", max_length=codes.TYPER_NOTATION_MAX, identifier=True),
            promulgation_amount=read_integer(other_node, "PromulgationAmount", default=1, maximum=1_000_000),
            page_amount=read_integer(other_node, "PageAmount", default=1, maximum=1_000_000),
            direction=read_boolean(other_node, "Direction"),
            appendixes=read_texts(other_node, "Appendixes", "Appendix", max_length=codes.TEXT_MAX),
            reply_fors=read_text(other_node, "ReplyFors", max_length=codes.TEXT_MAX),
            reference_codes=read_text(other_node, "ReferenceCodes", max_length=codes.TEXT_MAX),
        )
    task_node = node.child("ResponseForTask")
    task = None
    if task_node is not None:
        task_node.expect(["TaskCode"])
        task = ResponseForTask(
            task_codes=tuple(
                value
                for child in task_node.children("TaskCode")
                if (value := node_text(child, max_length=codes.SHORT_TEXT_MAX, identifier=True))
            )
        )
    header = MessageHeader(
        from_organ=from_organ,
        to_organs=to_organs,
        document_id="",
        code=code,
        promulgation_info=promulgation,
        document_type=document_type,
        subject=read_text(node, "Subject", max_length=codes.SUBJECT_MAX, required=True),
        content=read_text(node, "Content", max_length=codes.CONTENT_MAX),
        signer_info=signer,
        due_date=read_date(node, "DueDate"),
        to_places=read_texts(node, "ToPlaces", "Place", max_length=codes.SHORT_TEXT_MAX),
        other_info=other,
        response_for=tuple(response_for_read(child) for child in node.children("ResponseFor")),
        steering_type=read_choice(
            node, "SteeringType", choices=SteeringType, values=SteeringType.values, default=SteeringType.NONE
        ),
        response_for_task=task,
        application_type=read_text(node, "ApplicationType", max_length=codes.SHORT_TEXT_MAX),
    )
    return _with_document_id(node, header)


def _with_document_id(node: Node, header: MessageHeader) -> MessageHeader:
    """DocumentId as sent; derived from From, the date and the code when missing (a warning)."""
    issues = node.issues
    document_id = read_text(node, "DocumentId", max_length=codes.DOCUMENT_ID_MAX, identifier=True)
    path = node.sub("DocumentId")
    if not document_id:
        complete = header.from_organ.organ_id and header.code.code_number and header.code.code_notation
        if complete and header.promulgation_info.promulgation_date != MISSING_DATE:
            document_id = document_id_format(
                organ_id=header.from_organ.organ_id,
                promulgation_date=header.promulgation_info.promulgation_date,
                code_number=header.code.code_number,
                code_notation=header.code.code_notation,
            )
            issues.warn(
                path,
                "document_id_derived",
                _("The DocumentId is missing; %(document_id)s was derived from the sender, date and number.")
                % {"document_id": document_id},
            )
        else:
            issues.error(path, "required", _("This element is required."))
    else:
        try:
            document_id_parse(document_id)
        except ValueError:
            issues.warn(
                path,
                "document_id_format",
                _("The DocumentId is not of the form OrganId,yyyy/MM/dd,number/notation; it was kept as sent."),
            )
    return MessageHeader(**{**header.__dict__, "document_id": document_id})


# --- TraceHeaderList --------------------------------------------------------------------------------------------


def trace_read(header: Node) -> TraceHeaderList:
    node = header.child("TraceHeaderList")
    issues = header.issues
    if node is None:
        issues.warn(
            "TraceHeaderList", "missing_optional", _("The trace (TraceHeaderList) is missing; the package is new.")
        )
        return TraceHeaderList(business=Business())
    node.expect(["TraceHeader", "Bussiness"])
    traces = []
    for child in node.children("TraceHeader"):
        child.expect(["OrganId", "Timestamp"])
        traces.append(
            TraceHeader(organ_id=read_organisation_code(child, "OrganId"), timestamp=read_timestamp(child, "Timestamp"))
        )
    business_node = node.child("Bussiness")
    if business_node is None:
        issues.warn(
            node.sub("Bussiness"),
            "missing_optional",
            _("The business part (Bussiness) is missing; the package is new."),
        )
        return TraceHeaderList(trace_headers=tuple(traces), business=Business())
    return TraceHeaderList(trace_headers=tuple(traces), business=_business_read(business_node))


def _business_read(node: Node) -> Business:
    issues = node.issues
    node.expect(
        [
            "DocumentId",
            "BussinessDocType",
            "BussinessDocReason",
            "Paper",
            "StaffInfo",
            "BussinessDocumentInfo",
            "ReplacementInfoList",
        ]
    )
    if not node.has("BussinessDocType"):
        issues.warn(
            node.sub("BussinessDocType"),
            "missing_optional",
            _("The business type (BussinessDocType) is missing; the package is new."),
        )
    doc_type = read_choice(
        node, "BussinessDocType", choices=BusinessDocType, values=BusinessDocType.values, default=BusinessDocType.NEW
    )
    reason = read_text(node, "BussinessDocReason", max_length=codes.TEXT_MAX)
    if doc_type != BusinessDocType.NEW and not reason:
        issues.warn(
            node.sub("BussinessDocReason"),
            "missing_optional",
            _("A revocation, update or replacement should give its reason."),
        )
    staff_node = node.child("StaffInfo")
    info_node = node.child("BussinessDocumentInfo")
    info = None
    if info_node is not None:
        info_node.expect(["DocumentInfo", "DocumentReceiver", "ReceiverList"])
        receivers: list[Receiver] = []
        list_node = info_node.child("ReceiverList")
        if list_node is not None:
            list_node.expect(["Receiver"])
            for receiver in list_node.children("Receiver"):
                receiver.expect(["ReceiverType", "OrganId"])
                receivers.append(
                    Receiver(
                        receiver_type=read_integer(receiver, "ReceiverType", default=0, maximum=99),
                        organ_id=read_organisation_code(receiver, "OrganId"),
                    )
                )
        info = BusinessDocumentInfo(
            document_info=read_text(info_node, "DocumentInfo", max_length=codes.TEXT_MAX),
            document_receiver=read_text(info_node, "DocumentReceiver", max_length=codes.TEXT_MAX),
            receivers=tuple(receivers),
        )
    replacements: list[ReplacementInfo] = []
    replacement_list = node.child("ReplacementInfoList")
    if replacement_list is not None:
        replacement_list.expect(["ReplacementInfo"])
        for replacement in replacement_list.children("ReplacementInfo"):
            replacement.expect(["DocumentId", "OrganIdList"])
            organs: list[str] = []
            organ_list = replacement.child("OrganIdList")
            if organ_list is not None:
                organ_list.expect(["OrganId"])
                organs = [node_organisation_code(child) for child in organ_list.children("OrganId")]
            replacements.append(
                ReplacementInfo(
                    document_id=read_text(
                        replacement, "DocumentId", max_length=codes.DOCUMENT_ID_MAX, required=True, identifier=True
                    ),
                    organ_ids=tuple(organs),
                )
            )
    return Business(
        business_doc_type=doc_type,
        document_id=read_text(node, "DocumentId", max_length=codes.DOCUMENT_ID_MAX, identifier=True),
        business_doc_reason=reason,
        paper=read_integer(node, "Paper", default=0, maximum=1),
        staff_info=staff_read(staff_node) if staff_node is not None else None,
        business_document_info=info,
        replacement_info=tuple(replacements),
    )


# --- status -----------------------------------------------------------------------------------------------------


def status_read(node: Node) -> StatusMessage:
    issues = node.issues
    node.expect(["From", "ResponseFor", "StatusCode", "Description", "Timestamp", "StaffInfo"])
    from_node = node.child("From", required=True)
    response_node = node.child("ResponseFor", required=True)
    code_node = node.child("StatusCode", required=True)
    status_code = StatusCode.ARRIVED
    if code_node is not None:
        value = node_text(code_node, max_length=4, required=True, identifier=True)
        normalised = value.zfill(2) if value.isdigit() else value
        if value and normalised in StatusCode.values:
            status_code = StatusCode(normalised)
            if normalised != value:
                issues.warn(
                    code_node.path,
                    "status_code_format",
                    _("The status code %(value)s was read as %(code)s.") % {"value": value, "code": normalised},
                )
        elif value:
            issues.error(
                code_node.path,
                "invalid_status_code",
                _("“%(value)s” is not a status code of QCVN 102 (%(codes)s).")
                % {"value": value, "codes": ", ".join(StatusCode.values)},
            )
    description = read_text(node, "Description", max_length=codes.TEXT_MAX)
    if status_code in codes.STATUS_CODES_NEEDING_REASON and not description:
        issues.error(node.sub("Description"), "reason_required", _("A refusal must say why (Description is required)."))
    staff_node = node.child("StaffInfo")
    return StatusMessage(
        from_organ=organ_read(from_node) if from_node is not None else Organ(organ_id=""),
        response_for=response_for_read(response_node)
        if response_node is not None
        else ResponseFor(organ_id="", code="", promulgation_date=MISSING_DATE, document_id=""),
        status_code=status_code,
        timestamp=read_timestamp(node, "Timestamp"),
        description=description,
        staff_info=staff_read(staff_node) if staff_node is not None else None,
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


def moment_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)
