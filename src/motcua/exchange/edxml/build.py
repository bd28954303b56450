"""Writing packages and status packages: deterministic bytes, attachments streamed from their files.

The same model always gives the same bytes (no clock, no random identifiers: content ids the caller leaves empty
are derived from the document id, the position and the name). Before anything is written the package is checked
by the strict parser, so Motcua never sends what it would refuse.

Layout (docs/edxml.md): ``edXML`` (default namespace) > ``edXML:edXMLEnvelope`` > ``edXML:edXMLHeader`` >
``MessageHeader``, ``TraceHeaderList`` (the signature goes after them); ``edXML:edXMLBody`` > ``edXMLManifest`` >
``Reference``*; then, after the envelope, ``AttachmentEncoded`` > ``Attachment``* with the base64 content on one
line (some receivers decode with a base64 decoder that refuses line breaks).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from lxml import etree

from motcua.exchange.edxml.codes import (
    NAMESPACE,
    PREFIX,
    TEXT_MAX,
    XLINK_NAMESPACE,
    StatusCode,
    date_format,
    timestamp_format,
)
from motcua.exchange.edxml.interpret import PACKAGE, STATUS, content_id_derive
from motcua.exchange.edxml.issues import FieldIssue, PackageRefused
from motcua.exchange.edxml.limits import ParseLimits
from motcua.exchange.edxml.model import (
    Attachment,
    Business,
    MessageHeader,
    Organ,
    Package,
    ResponseFor,
    StaffInfo,
    StatusMessage,
    TraceHeaderList,
)

E = f"{{{NAMESPACE}}}"
ENCODE_CHUNK = 48 * 1024  # a multiple of 3: each chunk encodes to whole base64 quanta


@contextmanager
def _element(xf: Any, name: str, attributes: dict[str, str] | None = None, **options: Any) -> Iterator[None]:
    with xf.element(E + name, attributes or {}, **options):
        yield


def _leaf(xf: Any, name: str, value: str | int) -> None:
    with xf.element(E + name):
        text = str(value)
        if text:
            xf.write(text)


def _organ(xf: Any, name: str, organ: Organ) -> None:
    with _element(xf, name):
        _leaf(xf, "OrganId", organ.organ_id)
        _leaf(xf, "OrganizationInCharge", organ.organization_in_charge)
        _leaf(xf, "OrganName", organ.organ_name)
        _leaf(xf, "OrganAdd", organ.organ_add)
        _leaf(xf, "Email", organ.email)
        _leaf(xf, "Telephone", organ.telephone)
        _leaf(xf, "Fax", organ.fax)
        _leaf(xf, "Website", organ.website)


def _response_for(xf: Any, response: ResponseFor) -> None:
    with _element(xf, "ResponseFor"):
        _leaf(xf, "OrganId", response.organ_id)
        _leaf(xf, "Code", response.code)
        _leaf(xf, "PromulgationDate", date_format(response.promulgation_date))
        _leaf(xf, "DocumentId", response.document_id)


def _staff(xf: Any, staff: StaffInfo) -> None:
    with _element(xf, "StaffInfo"):
        _leaf(xf, "Department", staff.department)
        _leaf(xf, "Staff", staff.staff)
        _leaf(xf, "Mobile", staff.mobile)
        _leaf(xf, "Email", staff.email)


def _message_header(xf: Any, header: MessageHeader) -> None:
    with _element(xf, "MessageHeader"):
        _organ(xf, "From", header.from_organ)
        for organ in header.to_organs:
            _organ(xf, "To", organ)
        _leaf(xf, "DocumentId", header.document_id)
        with _element(xf, "Code"):
            _leaf(xf, "CodeNumber", header.code.code_number)
            _leaf(xf, "CodeNotation", header.code.code_notation)
        with _element(xf, "PromulgationInfo"):
            _leaf(xf, "Place", header.promulgation_info.place)
            _leaf(xf, "PromulgationDate", date_format(header.promulgation_info.promulgation_date))
        with _element(xf, "DocumentType"):
            _leaf(xf, "Type", header.document_type.type_code)
            _leaf(xf, "TypeDetail", header.document_type.type_detail)
            _leaf(xf, "TypeName", header.document_type.type_name)
        _leaf(xf, "Subject", header.subject)
        _leaf(xf, "Content", header.content)
        if header.signer_info is not None:
            with _element(xf, "SignerInfo"):
                _leaf(xf, "Competence", header.signer_info.competence)
                _leaf(xf, "Position", header.signer_info.position)
                _leaf(xf, "FullName", header.signer_info.full_name)
        if header.due_date is not None:
            _leaf(xf, "DueDate", date_format(header.due_date))
        if header.to_places:
            with _element(xf, "ToPlaces"):
                for place in header.to_places:
                    _leaf(xf, "Place", place)
        other = header.other_info
        with _element(xf, "OtherInfo"):
            _leaf(xf, "Priority", int(other.priority))
            _leaf(xf, "SphereOfPromulgation", other.sphere_of_promulgation)
            _leaf(xf, "TyperNotation", other.typer_notation)
            _leaf(xf, "PromulgationAmount", other.promulgation_amount)
            _leaf(xf, "PageAmount", other.page_amount)
            _leaf(xf, "Direction", "true" if other.direction else "false")
            if other.appendixes:
                with _element(xf, "Appendixes"):
                    for appendix in other.appendixes:
                        _leaf(xf, "Appendix", appendix)
            if other.reply_fors:
                _leaf(xf, "ReplyFors", other.reply_fors)
            if other.reference_codes:
                _leaf(xf, "ReferenceCodes", other.reference_codes)
        for response in header.response_for:
            _response_for(xf, response)
        _leaf(xf, "SteeringType", int(header.steering_type))
        if header.response_for_task is not None:
            with _element(xf, "ResponseForTask"):
                for task in header.response_for_task.task_codes:
                    _leaf(xf, "TaskCode", task)
        if header.application_type:
            _leaf(xf, "ApplicationType", header.application_type)


def _business(xf: Any, business: Business) -> None:
    with _element(xf, "Bussiness"):
        if business.document_id:
            _leaf(xf, "DocumentId", business.document_id)
        _leaf(xf, "BussinessDocType", int(business.business_doc_type))
        _leaf(xf, "BussinessDocReason", business.business_doc_reason)
        _leaf(xf, "Paper", business.paper)
        if business.staff_info is not None:
            _staff(xf, business.staff_info)
        info = business.business_document_info
        if info is not None:
            with _element(xf, "BussinessDocumentInfo"):
                _leaf(xf, "DocumentInfo", info.document_info)
                _leaf(xf, "DocumentReceiver", info.document_receiver)
                with _element(xf, "ReceiverList"):
                    for receiver in info.receivers:
                        with _element(xf, "Receiver"):
                            _leaf(xf, "ReceiverType", receiver.receiver_type)
                            _leaf(xf, "OrganId", receiver.organ_id)
        if business.replacement_info:
            with _element(xf, "ReplacementInfoList"):
                for replacement in business.replacement_info:
                    with _element(xf, "ReplacementInfo"):
                        _leaf(xf, "DocumentId", replacement.document_id)
                        with _element(xf, "OrganIdList"):
                            for organ_id in replacement.organ_ids:
                                _leaf(xf, "OrganId", organ_id)


def _trace(xf: Any, trace: TraceHeaderList) -> None:
    with _element(xf, "TraceHeaderList"):
        for hop in trace.trace_headers:
            with _element(xf, "TraceHeader"):
                _leaf(xf, "OrganId", hop.organ_id)
                _leaf(xf, "Timestamp", timestamp_format(hop.timestamp))
        _business(xf, trace.business)


def _content_ids(package: Package) -> list[str]:
    return [
        attachment.content_id
        or content_id_derive(document_id=package.header.document_id, index=index, name=attachment.name)
        for index, attachment in enumerate(package.attachments, start=1)
    ]


def _base64_chunks(content: bytes | Path) -> Iterator[str]:
    if isinstance(content, bytes | bytearray):
        for start in range(0, len(content), ENCODE_CHUNK):
            yield base64.b64encode(content[start : start + ENCODE_CHUNK]).decode("ascii")
        return
    with Path(content).open("rb") as handle:
        while chunk := handle.read(ENCODE_CHUNK):
            yield base64.b64encode(chunk).decode("ascii")


def _package_write(package: Package, target: IO[bytes], *, placeholders: bool = False) -> None:
    content_ids = _content_ids(package)
    with etree.xmlfile(target, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(E + "edXML", nsmap={None: NAMESPACE}):
            with xf.element(E + "edXMLEnvelope", nsmap={PREFIX: NAMESPACE}):
                with _element(xf, "edXMLHeader"):
                    _message_header(xf, package.header)
                    _trace(xf, package.trace)
                with _element(xf, "edXMLBody"), _element(xf, "edXMLManifest", {"version": "1.0"}):
                    for attachment, content_id in zip(package.attachments, content_ids, strict=True):
                        attributes = {f"{{{XLINK_NAMESPACE}}}href": f"cid:{content_id}"}
                        attributes[f"{{{XLINK_NAMESPACE}}}type"] = "simple"
                        with _element(xf, "Reference", attributes, nsmap={"xlink": XLINK_NAMESPACE}):
                            _leaf(xf, "ContentId", f"cid:{content_id}")
                            _leaf(xf, "ContentType", attachment.content_type)
                            _leaf(xf, "Description", attachment.description)
                            _leaf(xf, "AttachmentName", attachment.name)
            if package.attachments:
                with _element(xf, "AttachmentEncoded"):
                    for attachment, content_id in zip(package.attachments, content_ids, strict=True):
                        _attachment(xf, attachment, content_id, placeholder=placeholders)


def _attachment(xf: Any, attachment: Attachment, content_id: str, *, placeholder: bool) -> None:
    with _element(xf, "Attachment"):
        _leaf(xf, "ContentId", content_id)
        _leaf(xf, "AttachmentName", attachment.name)
        _leaf(xf, "ContentType", attachment.content_type)
        _leaf(xf, "Description", attachment.description)
        with _element(xf, "ContentTransferEncoded"):
            if placeholder:
                xf.write("AA==")
            else:
                for text in _base64_chunks(attachment.content):
                    xf.write(text)


def _validate(kind: str, write: Any) -> None:
    """Refuse to build what Motcua would refuse: the strict parser reads the package (attachment content aside)."""
    from motcua.exchange.edxml.parse import edxml_parse

    buffer = io.BytesIO()
    try:
        write(buffer)
    except ValueError as error:  # lxml refuses characters XML cannot carry (control characters)
        raise PackageRefused(
            errors=[FieldIssue("", "invalid_characters", _("A value holds characters that XML cannot carry."))]
        ) from error
    limits = replace(
        ParseLimits.from_settings(), max_package_bytes=len(buffer.getvalue()) + 1, max_attachment_bytes=1 << 62
    )
    parsed = edxml_parse(buffer.getvalue(), limits=limits, strict=True, expected=kind, keep_attachments=False)
    parsed.close()


def package_write(package: Package, target: IO[bytes]) -> None:
    """Write an unsigned package to a binary file, streaming the attachments (for large packages).

    Raises :class:`PackageRefused` when the strict parser would refuse the package, before writing anything.
    """
    _validate(PACKAGE, lambda buffer: _package_write(package, buffer, placeholders=True))
    _package_write(package, target)


def package_build(package: Package) -> bytes:
    """The unsigned package as bytes (deterministic). Sign it with ``package_sign``."""
    buffer = io.BytesIO()
    package_write(package, buffer)
    return buffer.getvalue()


def _status_write(status: StatusMessage, target: IO[bytes]) -> None:
    with etree.xmlfile(target, encoding="UTF-8") as xf:
        xf.write_declaration()
        with (
            xf.element(E + "edXML", nsmap={None: NAMESPACE}),
            xf.element(E + "edXMLEnvelope", nsmap={PREFIX: NAMESPACE}),
            _element(xf, "edXMLHeader"),
            _element(xf, "MessageHeader"),
        ):
            _organ(xf, "From", status.from_organ)
            _response_for(xf, status.response_for)
            if status.staff_info is not None:
                _staff(xf, status.staff_info)
            _leaf(xf, "StatusCode", status.status_code.value)
            _leaf(xf, "Description", status.description)
            _leaf(xf, "Timestamp", timestamp_format(status.timestamp))


def status_build(status: StatusMessage) -> bytes:
    """The unsigned status package as bytes (deterministic). Sign it with ``status_sign``."""
    _validate(STATUS, lambda buffer: _status_write(status, buffer))
    buffer = io.BytesIO()
    _status_write(status, buffer)
    return buffer.getvalue()


def refusal_status(
    refused: PackageRefused, *, from_organ: Organ, at: dt.datetime, staff_info: StaffInfo | None = None
) -> StatusMessage | None:
    """The status 02 (rejected) answering a refused package, its reason the refusal's errors.

    None when too little of the package could be read to name the document (garbage, an XML bomb): there is
    nobody to answer then, only the log.
    """
    reference = refused.reference
    if not reference.is_complete or reference.promulgation_date is None:
        return None
    return StatusMessage(
        from_organ=from_organ,
        response_for=ResponseFor(
            organ_id=reference.from_organ_id,
            code=reference.code,
            promulgation_date=reference.promulgation_date,
            document_id=reference.document_id,
        ),
        status_code=StatusCode.REJECTED,
        timestamp=at,
        description=refused.reason(limit=TEXT_MAX),
        staff_info=staff_info,
    )
