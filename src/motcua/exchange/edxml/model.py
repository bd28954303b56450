"""The typed model of an edXML package and of a status package (QCVN 102:2016).

Each class names its edXML element; field names are the element names in snake case (``OrganId`` →
``organ_id``), except ``From``/``To`` (``from_organ``, ``to_organs``) and the standard's spelling
"Bussiness" (``Business`` here). Dates are :class:`datetime.date`, moments aware :class:`datetime.datetime`
(written in Vietnam's time), repeated elements tuples, so that two equal packages compare equal.
``docs/edxml.md`` maps every field to its element, constraint and source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from motcua.exchange.edxml.codes import BusinessDocType, Priority, StatusCode, SteeringType


@dataclass(frozen=True, kw_only=True)
class Organ:
    """An organisation sending or receiving (From, To): its electronic code and contact details."""

    organ_id: str  # OrganId: organisation electronic code, e.g. 000.00.00.G22
    organization_in_charge: str = ""  # OrganizationInCharge: the body it belongs to
    organ_name: str = ""  # OrganName, at most 200 characters
    organ_add: str = ""  # OrganAdd: address
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(frozen=True, kw_only=True)
class Code:
    """The document's number (số) and notation (ký hiệu): 7816 and VPCP-TTĐT in "7816/VPCP-TTĐT"."""

    code_number: str  # CodeNumber, at most 11 characters
    code_notation: str  # CodeNotation, at most 30 characters

    def __str__(self) -> str:
        return f"{self.code_number}/{self.code_notation}"


@dataclass(frozen=True, kw_only=True)
class PromulgationInfo:
    place: str  # Place (địa danh), at most 50 characters
    promulgation_date: dt.date  # PromulgationDate, yyyy/MM/dd


@dataclass(frozen=True, kw_only=True)
class DocumentType:
    type_code: int  # Type: the document type in the sender's code list
    type_detail: int = 0  # TypeDetail
    type_name: str = ""  # TypeName, e.g. "Công văn", at most 100 characters


@dataclass(frozen=True, kw_only=True)
class SignerInfo:
    competence: str = ""  # Competence: signing authority (thẩm quyền), e.g. "TM. UBND"
    position: str = ""  # Position (chức vụ)
    full_name: str = ""  # FullName


@dataclass(frozen=True, kw_only=True)
class OtherInfo:
    priority: Priority = Priority.NORMAL
    sphere_of_promulgation: str = ""  # SphereOfPromulgation: who may read it
    typer_notation: str = ""  # TyperNotation: initials of the typist, at most 10 characters
    promulgation_amount: int = 1  # PromulgationAmount: copies issued
    page_amount: int = 1  # PageAmount
    direction: bool = False  # Direction
    appendixes: tuple[str, ...] = ()  # Appendixes/Appendix
    reply_fors: str = ""  # ReplyFors
    reference_codes: str = ""  # ReferenceCodes


@dataclass(frozen=True, kw_only=True)
class ResponseFor:
    """The earlier document this one answers (in a document), or the document a status is about."""

    organ_id: str  # OrganId: who issued that document
    code: str  # Code: its "number/notation"
    promulgation_date: dt.date
    document_id: str  # DocumentId of that document


@dataclass(frozen=True, kw_only=True)
class ResponseForTask:
    task_codes: tuple[str, ...] = ()  # TaskCode*


@dataclass(frozen=True, kw_only=True)
class MessageHeader:
    """edXMLHeader/MessageHeader of a document package."""

    from_organ: Organ
    to_organs: tuple[Organ, ...]
    document_id: str
    code: Code
    promulgation_info: PromulgationInfo
    document_type: DocumentType
    subject: str  # Subject (trích yếu), at most 500 characters
    content: str = ""  # Content, at most 500 characters
    signer_info: SignerInfo | None = None
    due_date: dt.date | None = None
    to_places: tuple[str, ...] = ()  # ToPlaces/Place (nơi nhận)
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: tuple[ResponseFor, ...] = ()
    steering_type: SteeringType = SteeringType.NONE
    response_for_task: ResponseForTask | None = None
    application_type: str = ""


@dataclass(frozen=True, kw_only=True)
class TraceHeader:
    """One hop: who handled the package and when (TraceHeader)."""

    organ_id: str
    timestamp: dt.datetime


@dataclass(frozen=True, kw_only=True)
class StaffInfo:
    """The official who handled the document (StaffInfo)."""

    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass(frozen=True, kw_only=True)
class Receiver:
    receiver_type: int  # ReceiverType
    organ_id: str


@dataclass(frozen=True, kw_only=True)
class BusinessDocumentInfo:
    """Bussiness/BussinessDocumentInfo: what changed in an update (DocumentInfo, DocumentReceiver, ReceiverList)."""

    document_info: str = ""
    document_receiver: str = ""
    receivers: tuple[Receiver, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ReplacementInfo:
    """A document replaced by this one, and the organisations it was sent to."""

    document_id: str
    organ_ids: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Business:
    """TraceHeaderList/Bussiness: new document, revocation, update or replacement of an earlier one."""

    business_doc_type: BusinessDocType = BusinessDocType.NEW
    document_id: str = ""  # the document revoked, updated or replaced (required unless new)
    business_doc_reason: str = ""
    paper: int = 0  # Paper: 1 when a paper copy is also sent
    staff_info: StaffInfo | None = None
    business_document_info: BusinessDocumentInfo | None = None
    replacement_info: tuple[ReplacementInfo, ...] = ()  # ReplacementInfoList/ReplacementInfo


@dataclass(frozen=True, kw_only=True)
class TraceHeaderList:
    trace_headers: tuple[TraceHeader, ...] = ()
    business: Business = field(default_factory=Business)

    def with_hop(self, *, organ_id: str, at: dt.datetime) -> TraceHeaderList:
        """The same list with one more hop (a sender or a hub that forwards the package)."""
        return replace(self, trace_headers=(*self.trace_headers, TraceHeader(organ_id=organ_id, timestamp=at)))


@dataclass(frozen=True, kw_only=True)
class Attachment:
    """A file to send: its bytes, or the path of a file read in chunks while the package is written.

    ``content_id`` may be left empty: the builder then derives a stable one from the document and the position.
    """

    name: str  # AttachmentName
    content: bytes | Path
    content_type: str = "application/octet-stream"
    description: str = ""
    content_id: str = ""


@dataclass(frozen=True, kw_only=True)
class Package:
    """A document package to build: the header, the trace and the files."""

    header: MessageHeader
    trace: TraceHeaderList = field(default_factory=TraceHeaderList)
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, kw_only=True)
class StatusMessage:
    """A status package: where the receiver is with a document (ResponseFor) and who says so (From)."""

    from_organ: Organ
    response_for: ResponseFor
    status_code: StatusCode
    timestamp: dt.datetime
    description: str = ""
    staff_info: StaffInfo | None = None
