"""Reading the parts of a package's header into the model: MessageHeader, TraceHeaderList and Bussiness, status.

Each reader takes the element (a ``fields.Node``) and records what is wrong with it; docs/edxml.md lists the
rules field by field.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from motcua.exchange.edxml import codes
from motcua.exchange.edxml.codes import (
    BusinessDocType,
    Priority,
    StatusCode,
    SteeringType,
    document_id_format,
    document_id_parse,
)
from motcua.exchange.edxml.fields import (
    MISSING_DATE,
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
