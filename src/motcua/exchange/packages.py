"""The one place where the exchange app meets the edXML library (``exchange.edxml``, QCVN 102:2016).

Documents become packages here and packages become what the services store; status packages likewise. Who signs
what (ADR 0014):

- a document package is sealed by the sending agency's seal (chữ ký số của cơ quan), unlocked with its PIN by the
  document clerk who sends it; the receiver accepts it only when the seal's certificate names the sending
  organisation (From/OrganId), chains to its trust anchors and is not revoked (``edxml.package_verify``);
- status packages (01 technical receipt, 02–06, 15, 16) are signed without a person, with the node key of the
  node that serves the organisation sending the status; the receiver accepts a status signed by that node's
  certificate (as the signed node directory names it), or sealed by the sending organisation itself (what other
  implementations may do; ``edxml.status_verify``).

The signature is placed where the library places a seal (in ``edXMLHeader``, after ``TraceHeaderList``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone
from lxml import etree

from motcua.agencies.models import Organisation
from motcua.exchange import edxml
from motcua.exchange.identity import NodeKey, node_key_load
from motcua.exchange.trust import trust_get
from motcua.exchange.vocabulary import TYPES, DocumentType, type_by_name
from motcua.signatures.keys import KeySigner
from motcua.signatures.reports import Status
from motcua.signatures.xml import xml_sign, xml_verify_signed_content

logger = logging.getLogger(__name__)

# The document types in Decree 30/2020's order: their position is the edXML Type code Motcua writes.
TYPE_CODES = {key: index for index, key in enumerate(DocumentType.values, start=1)}
TYPE_KEYS = {index: key for key, index in TYPE_CODES.items()}


@dataclass(frozen=True)
class Refusal(Exception):
    """A package that cannot be accepted: a stable code, a reason for the status 02, the field errors, and the
    status 02 itself (signed) when enough of the package could be read to answer its sender."""

    code: str
    reason: str
    details: dict[str, Any] = field(default_factory=dict)
    answer: bytes = b""


@dataclass
class ReceivedAttachment:
    name: str
    content_type: str
    description: str
    size: int
    sha256: str
    path: Path | None


@dataclass
class ReceivedDocument:
    """What a verified document package says (its header as read from the signed bytes)."""

    header: Any  # edxml.MessageHeader
    business: Any  # edxml.Business
    attachments: list[ReceivedAttachment]
    warnings: list[str]
    signer_certificate_sha256: str

    @property
    def sender_code(self) -> str:
        return str(self.header.from_organ.organ_id)

    @property
    def recipient_codes(self) -> list[str]:
        return [str(organ.organ_id) for organ in self.header.to_organs]

    @property
    def type_key(self) -> str:
        document_type = self.header.document_type
        return type_by_name(document_type.type_name) or TYPE_KEYS.get(int(document_type.type_code), "")


@dataclass(frozen=True)
class ReceivedStatus:
    document_id: str
    document_sender: str  # ResponseFor/OrganId: who issued the document, the status's addressee
    from_code: str
    from_name: str
    code: str
    description: str
    timestamp: dt.datetime
    staff: str


def _limits() -> Any:
    return edxml.ParseLimits.from_settings()


def type_code(key: str) -> int:
    return TYPE_CODES.get(key, 0)


def organ_of(organisation: Organisation) -> Any:
    parent = organisation.parent
    return edxml.Organ(
        organ_id=organisation.code or "",
        organization_in_charge=parent.name[:200] if parent is not None and parent.code else "",
        organ_name=organisation.name[:200],
        organ_add=organisation.address[:300],
        email=organisation.email,
        telephone=organisation.phone,
        website=organisation.website,
    )


# --- building ---------------------------------------------------------------------------------------------------


def document_package_build(
    *,
    document: Any,
    recipients: list[tuple[str, str]],
    files: list[Any],
    business_type: int = 0,
    business_document_id: str = "",
    reason: str = "",
    replaced: list[tuple[str, tuple[str, ...]]] | None = None,
    staff: dict[str, str] | None = None,
    at: dt.datetime | None = None,
) -> bytes:
    """The unsigned package of an outgoing document (``OutgoingDocument``) for its recipients (code, name)."""
    at = at or timezone.now()
    organisation = document.organisation
    info = TYPES[document.document_type]
    answers = [
        edxml.ResponseFor(
            organ_id=answer.sender_code,
            code=answer.number_and_notation,
            promulgation_date=answer.issued_on,
            document_id=answer.document_id,
        )
        for answer in document.answers.all()
        if answer.document_id and answer.issued_on and answer.number_and_notation
    ]
    header = edxml.MessageHeader(
        from_organ=organ_of(organisation),
        to_organs=tuple(edxml.Organ(organ_id=code, organ_name=name[:200]) for code, name in recipients),
        document_id=document.document_id,
        code=edxml.Code(code_number=str(document.number), code_notation=document.notation),
        promulgation_info=edxml.PromulgationInfo(place=document.place, promulgation_date=document.issued_on),
        document_type=edxml.DocumentType(type_code=type_code(document.document_type), type_name=info.name_vi),
        subject=document.subject,
        content=document.content_summary,
        signer_info=edxml.SignerInfo(
            competence=document.signer_competence,
            position=document.signer_position,
            full_name=document.signer_name,
        ),
        due_date=document.due_date,
        to_places=tuple(name[:200] for _code, name in recipients),
        other_info=edxml.OtherInfo(priority=edxml.Priority(int(document.priority))),
        response_for=tuple(answers),
        steering_type=edxml.SteeringType(int(document.steering_type)),
    )
    staff_info = edxml.StaffInfo(**staff) if staff else None
    business = edxml.Business(
        business_doc_type=edxml.BusinessDocType(int(business_type)),
        document_id=business_document_id,
        business_doc_reason=reason[:500],
        staff_info=staff_info,
        replacement_info=tuple(
            edxml.ReplacementInfo(document_id=document_id, organ_ids=organ_ids)
            for document_id, organ_ids in replaced or []
        ),
    )
    trace = edxml.TraceHeaderList(
        trace_headers=(edxml.TraceHeader(organ_id=organisation.code or "", timestamp=at),), business=business
    )
    attachments = tuple(
        edxml.Attachment(
            name=item.name,
            content=Path(item.file.path) if _has_path(item) else item.file.open("rb").read(),
            content_type=item.content_type,
            description=item.description,
        )
        for item in files
    )
    return bytes(edxml.package_build(edxml.Package(header=header, trace=trace, attachments=attachments)))


def _has_path(item: Any) -> bool:
    try:
        return bool(item.file.path)
    except NotImplementedError:  # object storage: read the bytes
        return False


def document_package_seal(data: bytes, *, signer: KeySigner, actor: Any) -> bytes:
    """Seal the package with the sending agency's key (opened with the clerk's PIN)."""
    return bytes(edxml.package_sign(data, signer=signer, actor=actor))


def _node_sign(data: bytes, key: NodeKey) -> bytes:
    # Where the edXML library puts a seal: the last child of edXMLHeader (its package_sign insists on an agency
    # seal; a node key names no organisation, see the module docstring).
    return xml_sign(
        data,
        key=key.private_key,
        certificate=key.certificate,
        chain=list(key.chain),
        signature_parent_xpath="//e:edXMLHeader",
        namespaces={"e": edxml.NAMESPACE},
        max_bytes=_limits().max_package_bytes,
    )


def status_package_build(
    *,
    from_organisation_code: str,
    from_organisation_name: str,
    document_id: str,
    document_sender: str,
    document_code: str,
    promulgation_date: dt.date | None,
    code: str,
    description: str = "",
    staff: dict[str, str] | None = None,
    at: dt.datetime | None = None,
) -> bytes:
    """A status package about a received document, signed with this node's key."""
    if promulgation_date is None:
        try:
            promulgation_date = edxml.document_id_parse(document_id).promulgation_date
        except ValueError:
            promulgation_date = timezone.localdate()
    message = edxml.StatusMessage(
        from_organ=edxml.Organ(organ_id=from_organisation_code, organ_name=from_organisation_name[:200]),
        response_for=edxml.ResponseFor(
            organ_id=document_sender,
            code=document_code or "0/0",
            promulgation_date=promulgation_date,
            document_id=document_id,
        ),
        status_code=edxml.StatusCode(code),
        timestamp=at or timezone.now(),
        description=description[:500],
        staff_info=edxml.StaffInfo(**staff) if staff else None,
    )
    return _node_sign(bytes(edxml.status_build(message)), node_key_load())


# --- reading ----------------------------------------------------------------------------------------------------


def _refusal_from(refused: Any, *, answer_from: tuple[str, str] | None) -> Refusal:
    answer = b""
    if answer_from is not None:
        code, name = answer_from
        status = edxml.refusal_status(
            refused, from_organ=edxml.Organ(organ_id=code, organ_name=name[:200]), at=timezone.now()
        )
        if status is not None:
            answer = _node_sign(bytes(edxml.status_build(status)), node_key_load())
    first = refused.errors[0].code if refused.errors else "edxml_refused"
    return Refusal(code=first, reason=refused.reason(), details=dict(refused.details), answer=answer)


@contextmanager
def document_package_read(
    data: bytes, *, received_at: dt.datetime, answer_from: tuple[str, str] | None = None
) -> Iterator[ReceivedDocument]:
    """Parse and verify a document package; the attachments are readable inside the ``with`` block only.

    Raises :class:`Refusal` (with a signed status 02 from ``answer_from`` when the package names its document).
    """
    try:
        parsed = edxml.package_parse(data, limits=_limits())
    except edxml.PackageRefused as refused:
        raise _refusal_from(refused, answer_from=answer_from) from None
    try:
        verification = edxml.package_verify(data, at=received_at, limits=_limits(), trust=trust_get())
        if not verification.accepted or verification.header is None:
            problems = [f"{problem.code}: {problem.message}" for problem in verification.problems]
            reasons = [reason for signature in verification.report.signatures for reason in signature.reasons]
            code = (
                reasons[0].code
                if reasons
                else (verification.problems[0].code if verification.problems else "bad_signature")
            )
            text = "; ".join(
                [reason.message for reason in reasons] + [problem.message for problem in verification.problems]
            )
            seal_refused = edxml.PackageRefused(
                errors=[edxml.FieldIssue("Signature", code, text or "signature not accepted")],
                reference=edxml.RefusedReference(
                    document_id=parsed.header.document_id,
                    from_organ_id=parsed.header.from_organ.organ_id,
                    code=str(parsed.header.code),
                    promulgation_date=parsed.header.promulgation_info.promulgation_date,
                ),
            )
            refusal = _refusal_from(seal_refused, answer_from=answer_from)
            raise Refusal(code=code, reason=refusal.reason, details={"problems": problems}, answer=refusal.answer)
        yield ReceivedDocument(
            header=verification.header,
            business=parsed.trace.business,
            attachments=[
                ReceivedAttachment(
                    name=item.name,
                    content_type=item.detected_content_type or item.content_type,
                    description=item.description,
                    size=item.size,
                    sha256=item.sha256,
                    path=item.path,
                )
                for item in parsed.attachments
            ],
            warnings=[str(issue) for issue in parsed.warnings],
            signer_certificate_sha256=verification.report.signatures[0].signer_certificate_sha256,
        )
    finally:
        parsed.close()


def _node_signed_status(data: bytes, node_fingerprints: frozenset[str] | set[str]) -> Any | None:
    """The status of a package signed by one of the node certificates (None when another key signed it), read
    from the bytes the signature covers. A node key names no organisation, so the library's check of a seal does
    not apply; the rest (one signature over the whole document, a trusted and unrevoked chain) is the same."""
    trust = trust_get()
    verification = xml_verify_signed_content(
        data,
        trust_roots=trust.anchors,
        intermediates=trust.intermediates,
        crls=trust.crls,
        max_bytes=_limits().max_package_bytes,
    )
    report = verification.report
    if len(report.signatures) != 1:
        return None
    signature = report.signatures[0]
    if signature.signer_certificate_sha256.lower() not in {value.lower() for value in node_fingerprints}:
        return None
    signed = verification.signed_elements[0]
    if signature.status != Status.VALID or not signature.covers_whole_document or signed is None:
        reasons = signature.reasons
        raise Refusal(
            code=reasons[0].code if reasons else "bad_signature",
            reason="; ".join(reason.message for reason in reasons) or "status signature not valid",
        )
    try:
        with edxml.status_parse(etree.tostring(signed), limits=_limits()) as parsed:
            return parsed.status
    except edxml.PackageRefused as refused:
        raise _refusal_from(refused, answer_from=None) from None


def status_package_read(
    data: bytes, *, received_at: dt.datetime, node_fingerprints: frozenset[str] | set[str]
) -> ReceivedStatus:
    """Parse and verify a status package: signed by one of ``node_fingerprints`` (the node serving its sender),
    or sealed by its sender organisation. Raises :class:`Refusal`."""
    try:
        edxml.status_parse(data, limits=_limits()).close()
    except edxml.PackageRefused as refused:
        raise _refusal_from(refused, answer_from=None) from None
    status = _node_signed_status(data, node_fingerprints)
    if status is None:
        verification = edxml.status_verify(data, at=received_at, limits=_limits(), trust=trust_get())
        if not verification.accepted or verification.header is None:
            reasons = [reason for item in verification.report.signatures for reason in item.reasons]
            problems = verification.problems
            code = reasons[0].code if reasons else (problems[0].code if problems else "status_signer_unknown")
            text = "; ".join([reason.message for reason in reasons] + [problem.message for problem in problems])
            raise Refusal(code=code, reason=text or "status signature not accepted")
        status = verification.header
    if not isinstance(status, edxml.StatusMessage):
        raise Refusal(code="wrong_kind", reason="not a status package")
    staff = status.staff_info
    return ReceivedStatus(
        document_id=status.response_for.document_id,
        document_sender=status.response_for.organ_id,
        from_code=status.from_organ.organ_id,
        from_name=status.from_organ.organ_name,
        code=str(status.status_code.value),
        description=status.description,
        timestamp=status.timestamp,
        staff=", ".join(part for part in ((staff.staff, staff.department) if staff else ()) if part),
    )


def document_id_make(*, organisation_code: str, issued_on: dt.date, number: int, notation: str) -> str:
    return str(
        edxml.document_id_format(
            organ_id=organisation_code, promulgation_date=issued_on, code_number=str(number), code_notation=notation
        )
    )


def package_max_bytes() -> int:
    return int(getattr(settings, "EDXML_MAX_PACKAGE_BYTES", 64 * 1024 * 1024))
