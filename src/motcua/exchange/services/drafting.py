"""Outgoing documents from their draft to the leader's signature (Decree 30/2020, Articles 10 to 13).

draft ──submit──► in_review ──review──► awaiting_signature ──approve_and_sign (PIN)──► signed
  ▲  │                │                        │
  │  └──cancel──► cancelled                    │
  └──────return───────┴────────return──────────┘

The drafter writes the draft and uploads its text as a PDF with its attachments; the head of the drafting unit
(or a leader) checks it (thẩm định); the leader who has the competence approves it and signs the PDF with their
personal certificate (chữ ký số của người có thẩm quyền), PIN asked: a wrong PIN changes nothing. The document
clerk then numbers and registers it and sends it with the agency seal (``issuing``).
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import IO, Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Role, Unit
from motcua.core.exceptions import InvalidState, NotFound, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.dossiers.documents_mapping import agency_of
from motcua.exchange.models import DocumentFile, IncomingDocument, OutgoingDocument, Recipient
from motcua.exchange.routing import route_for
from motcua.exchange.rules import DRAFTER_ROLES, SIGNER_ROLES, has_role_in
from motcua.exchange.services._base import (
    acting_position,
    actor_label,
    actor_user,
    audited,
    history_add,
    moment,
    outgoing_search_key,
    status_require,
)
from motcua.exchange.services.files import PDF, file_check, file_store, stored_files_remove
from motcua.exchange.vocabulary import (
    Confidentiality,
    DocumentType,
    Priority,
    SignerCompetence,
    SteeringType,
    notation_default,
)
from motcua.signatures.keys import KeySigner, pdf_sign_with, signing_key_find, signing_key_unlock
from motcua.signatures.models import Certificate
from motcua.signatures.pdf import StampText

logger = logging.getLogger(__name__)

Status = OutgoingDocument.Status
NOTATION_PATTERN = re.compile(r"^[0-9A-Za-zÀ-ỹĐđ.&-]{1,30}$")
SIGNATURE_FIELD = "ChuKyNguoiCoThamQuyen"
SEAL_FIELD = "ChuKyCoQuan"
DRAFT_FIELDS = (
    "document_type",
    "subject",
    "content_summary",
    "notation",
    "drafting_unit",
    "intended_signer",
    "priority",
    "confidentiality",
    "steering_type",
    "due_date",
    "place",
    "signer_competence",
    "recipients",
    "answers",
)

Errors = dict[str, list[str]]


def _error(errors: Errors, name: str, message: Any) -> None:
    errors.setdefault(name, []).append(str(message))


def _as_uuid(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    if hasattr(value, "pk"):
        return uuid.UUID(str(value.pk))
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _choice(errors: Errors, name: str, value: Any, allowed: Iterable[Any], cast: type) -> Any:
    try:
        converted = cast(value)
    except (TypeError, ValueError):
        _error(errors, name, _("Choose one of the allowed values."))
        return None
    if converted not in list(allowed):
        _error(errors, name, _("Choose one of the allowed values."))
        return None
    return converted


def _text(errors: Errors, name: str, value: Any, limit: int, *, required: bool = False) -> str:
    text = " ".join(str(value or "").split())
    if required and not text:
        _error(errors, name, _("This field is required."))
    if len(text) > limit:
        _error(errors, name, _("Use at most %(limit)s characters.") % {"limit": limit})
    return text


def _recipients_resolve(errors: Errors, organisation: Organisation, codes: Iterable[Any]) -> list[tuple[str, str]]:
    resolved: list[tuple[str, str]] = []
    seen: set[str] = set()
    for raw in codes:
        code = str(raw or "").strip().upper()
        if not code or code in seen:
            continue
        seen.add(code)
        if code == organisation.code:
            _error(errors, "recipients", _("An agency does not send a document to itself."))
            continue
        route = route_for(code)
        if route is None:
            _error(errors, "recipients", _("No agency with code %(code)s can be reached.") % {"code": code})
            continue
        resolved.append((code, route.organisation_name))
    return resolved


def _draft_apply(
    document: OutgoingDocument, data: Mapping[str, Any], *, creating: bool
) -> list[tuple[str, str]] | None:
    """Validate ``data`` and set it on the draft; returns the recipients to keep (None: unchanged)."""
    errors: Errors = {}
    unknown = sorted(set(data) - set(DRAFT_FIELDS))
    if unknown:
        raise ValidationFailed(details={name: [str(_("Unknown field."))] for name in unknown})
    organisation = document.organisation

    def given(name: str) -> bool:
        return creating or name in data

    if given("document_type"):
        document.document_type = (
            _choice(errors, "document_type", data.get("document_type"), DocumentType.values, str) or ""
        )
    if given("subject"):
        document.subject = _text(errors, "subject", data.get("subject"), 500, required=True)
    if given("content_summary"):
        document.content_summary = _text(errors, "content_summary", data.get("content_summary"), 500)
    if given("drafting_unit"):
        unit_id = _as_uuid(data.get("drafting_unit"))
        document.drafting_unit = None
        if unit_id is not None:
            unit = Unit.objects.filter(pk=unit_id, organisation=organisation, is_active=True).first()
            if unit is None:
                _error(errors, "drafting_unit", _("Choose a unit of the organisation."))
            document.drafting_unit = unit
        elif data.get("drafting_unit"):
            _error(errors, "drafting_unit", _("Choose a unit of the organisation."))
    if given("intended_signer"):
        signer_id = _as_uuid(data.get("intended_signer"))
        document.intended_signer = None
        if signer_id is not None:
            signer = User.objects.filter(pk=signer_id, is_active=True).first()
            if signer is None or not has_role_in(signer, organisation.pk, SIGNER_ROLES):
                _error(errors, "intended_signer", _("Choose a leader of the organisation."))
            document.intended_signer = signer
        elif data.get("intended_signer"):
            _error(errors, "intended_signer", _("Choose a leader of the organisation."))
    if given("priority"):
        document.priority = _choice(errors, "priority", data.get("priority") or 0, Priority.values, int) or 0
    if given("confidentiality"):
        document.confidentiality = (
            _choice(errors, "confidentiality", data.get("confidentiality") or "normal", Confidentiality.values, str)
            or Confidentiality.NORMAL
        )
    if given("steering_type"):
        document.steering_type = (
            _choice(errors, "steering_type", data.get("steering_type") or 0, SteeringType.values, int) or 0
        )
    if given("signer_competence"):
        document.signer_competence = (
            _choice(errors, "signer_competence", data.get("signer_competence") or "", SignerCompetence.values, str)
            or ""
        )
    if given("due_date"):
        due = data.get("due_date")
        if due in (None, ""):
            document.due_date = None
        elif isinstance(due, dt.date):
            document.due_date = due
        else:
            try:
                document.due_date = dt.date.fromisoformat(str(due))
            except ValueError:
                _error(errors, "due_date", _("Enter a valid date."))
    if given("place"):
        document.place = _text(errors, "place", data.get("place"), 50) or agency_of(organisation).place[:50]
    if given("notation") or given("document_type") or given("drafting_unit"):
        notation = str(data.get("notation") or "").strip() if "notation" in data else ""
        if not notation and document.document_type:
            unit_abbreviation = document.drafting_unit.abbreviation if document.drafting_unit else ""
            notation = notation_default(
                document_type=document.document_type,
                organisation_abbreviation=organisation.abbreviation,
                unit_abbreviation=unit_abbreviation,
            )
        if notation or "notation" in data or creating:
            if not NOTATION_PATTERN.match(notation):
                _error(errors, "notation", _("Use letters, digits, dots and hyphens, at most 30 characters (QĐ-UBND)."))
            document.notation = notation
    recipients = None
    if given("recipients"):
        recipients = _recipients_resolve(errors, organisation, data.get("recipients") or [])
    answers: list[IncomingDocument] | None = None
    if given("answers"):
        ids = [_as_uuid(value) for value in data.get("answers") or []]
        answers = list(IncomingDocument.objects.filter(pk__in=[i for i in ids if i], organisation=organisation))
        if len(answers) != len({i for i in ids if i}) or None in ids:
            _error(errors, "answers", _("Choose documents your organisation received."))
    if errors:
        raise ValidationFailed(details=errors)
    document._answers = answers  # type: ignore[attr-defined]
    return recipients


def _recipients_set(document: OutgoingDocument, recipients: list[tuple[str, str]]) -> None:
    codes = [code for code, _name in recipients]
    document.recipients.exclude(organisation_code__in=codes).delete()
    existing = set(document.recipients.values_list("organisation_code", flat=True))
    Recipient.objects.bulk_create(
        [
            Recipient(document=document, organisation_code=code, organisation_name=name[:200])
            for code, name in recipients
            if code not in existing
        ]
    )


def _finish_write(document: OutgoingDocument, recipients: list[tuple[str, str]] | None) -> None:
    if recipients is not None:
        _recipients_set(document, recipients)
    answers = getattr(document, "_answers", None)
    if answers is not None:
        document.answers.set(answers)
    document.search_key = outgoing_search_key(document)
    document.save(update_fields=["search_key", "updated_at"])


@transaction.atomic
def outgoing_create(
    *, actor: Any, organisation: Organisation, data: Mapping[str, Any], replaces: OutgoingDocument | None = None
) -> OutgoingDocument:
    """Start a draft of the organisation (its specialists, unit heads and leaders draft). ``replaces`` names a
    sent document this one will replace (BussinessDocType 3): it must be the organisation's and sent."""
    permission_require(actor, "exchange.draft", organisation)
    if replaces is not None and (replaces.organisation_id != organisation.pk or replaces.status != Status.SENT):
        raise ValidationFailed(
            details={"replaces": [str(_("Only a document your organisation sent can be replaced."))]}
        )
    position = acting_position(actor, organisation.pk, DRAFTER_ROLES)
    document = OutgoingDocument(organisation=organisation, drafted_by=actor, status=Status.DRAFT, replaces=replaces)
    data = dict(data)
    if not data.get("drafting_unit") and position is not None and position.unit_id is not None:
        data["drafting_unit"] = position.unit_id
    recipients = _draft_apply(document, data, creating=True)
    document.save()
    _finish_write(document, recipients)
    history_add(document=document, action="outgoing_created", from_status="", actor=actor, at=moment())
    return document


def _fresh(document: OutgoingDocument) -> OutgoingDocument:
    """The document as stored now (checks made before a PIN is asked must not trust the caller's copy)."""
    return OutgoingDocument.objects.select_related("organisation").get(pk=document.pk)


def _locked(document: OutgoingDocument) -> OutgoingDocument:
    return OutgoingDocument.objects.select_for_update().select_related("organisation").get(pk=document.pk)


@transaction.atomic
def outgoing_update(*, actor: Any, document: OutgoingDocument, data: Mapping[str, Any]) -> OutgoingDocument:
    """Change a draft (its drafter, while it is a draft)."""
    document = _locked(document)
    permission_require(actor, "exchange.edit_draft", document)
    status_require(document, Status.DRAFT)
    before = audited(document)
    recipients = _draft_apply(document, data, creating=False)
    document.save()
    _finish_write(document, recipients)
    history_add(
        document=document,
        action="outgoing_updated",
        from_status=document.status,
        actor=actor,
        at=moment(),
        before=before,
    )
    return document


def outgoing_file_add(
    *,
    actor: Any,
    document: OutgoingDocument,
    content: IO[bytes],
    name: str,
    size: int | None = None,
    main: bool = False,
    description: str = "",
) -> DocumentFile:
    """Add the document's text (a PDF; it replaces the earlier one) or an attachment to a draft."""
    stored: list[DocumentFile] = []
    try:
        with transaction.atomic():
            document = _locked(document)
            permission_require(actor, "exchange.edit_draft", document)
            status_require(document, Status.DRAFT)
            content_type, sha256, total = file_check(content=content, name=name, size=size, main=main)
            purpose = DocumentFile.Purpose.MAIN if main else DocumentFile.Purpose.ATTACHMENT
            if main:
                for old in document.files.filter(purpose=DocumentFile.Purpose.MAIN):
                    _file_delete_on_commit(old)
                    old.delete()
            item = file_store(
                content=content,
                name=name,
                content_type=content_type,
                sha256=sha256,
                size=total,
                purpose=purpose,
                uploaded_by=actor_user(actor),
                description=description,
                outgoing=document,
            )
            stored.append(item)
            history_add(
                document=document,
                action="outgoing_file_added",
                from_status=document.status,
                actor=actor,
                at=moment(),
                details={"file": str(item.pk), "name": item.name, "sha256": sha256, "main": main},
            )
            return item
    except Exception:
        stored_files_remove(stored)
        raise


def _file_delete_on_commit(item: DocumentFile) -> None:
    storage, name = item.file.storage, item.file.name
    transaction.on_commit(lambda: storage.delete(name) if name and storage.exists(name) else None)


@transaction.atomic
def outgoing_file_remove(*, actor: Any, document: OutgoingDocument, file_id: Any) -> None:
    document = _locked(document)
    permission_require(actor, "exchange.edit_draft", document)
    status_require(document, Status.DRAFT)
    identifier = _as_uuid(file_id)
    item = document.files.filter(pk=identifier).first() if identifier else None
    if item is None:
        raise NotFound()
    _file_delete_on_commit(item)
    item.delete()
    history_add(
        document=document,
        action="outgoing_file_removed",
        from_status=document.status,
        actor=actor,
        at=moment(),
        details={"name": item.name, "sha256": item.sha256},
    )


def main_file(document: OutgoingDocument) -> DocumentFile | None:
    return document.files.filter(purpose=DocumentFile.Purpose.MAIN, is_current=True).first()


def _status_move(
    document: OutgoingDocument, *, to: str, action: str, actor: Any, at: dt.datetime | None, note: str
) -> OutgoingDocument:
    """Move a locked draft, already checked, to its next status, with its history line and audit event."""
    before, from_status = audited(document), document.status
    document.status = to
    document.save(update_fields=["status", "updated_at"])
    history_add(
        document=document, action=action, from_status=from_status, actor=actor, at=moment(at), before=before, note=note
    )
    return document


@transaction.atomic
def outgoing_submit(
    *, actor: Any, document: OutgoingDocument, note: str = "", at: dt.datetime | None = None
) -> OutgoingDocument:
    """The drafter submits the draft for review; it needs its text as a PDF."""
    document = _locked(document)
    permission_require(actor, "exchange.submit", document)
    status_require(document, Status.DRAFT)
    if main_file(document) is None:
        raise InvalidState(
            _("Upload the document's text as a PDF before submitting it."), code="exchange_main_file_missing"
        )
    return _status_move(document, to=Status.IN_REVIEW, action="outgoing_submitted", actor=actor, at=at, note=note)


@transaction.atomic
def outgoing_review(
    *, actor: Any, document: OutgoingDocument, note: str = "", at: dt.datetime | None = None
) -> OutgoingDocument:
    """The head of the drafting unit (or a leader) has checked the draft: it goes to the leader to sign."""
    document = _locked(document)
    permission_require(actor, "exchange.review", document)
    status_require(document, Status.IN_REVIEW)
    return _status_move(
        document, to=Status.AWAITING_SIGNATURE, action="outgoing_reviewed", actor=actor, at=at, note=note
    )


@transaction.atomic
def outgoing_return(
    *, actor: Any, document: OutgoingDocument, note: str, at: dt.datetime | None = None
) -> OutgoingDocument:
    """Send a draft back to its drafter with what to change (the reviewer, or the leader asked to sign)."""
    document = _locked(document)
    status_require(document, Status.IN_REVIEW, Status.AWAITING_SIGNATURE)
    permission_require(actor, "exchange.return", document)
    note = " ".join((note or "").split())
    if not note:
        raise ValidationFailed(details={"note": [str(_("Say what the drafter should change."))]})
    return _status_move(document, to=Status.DRAFT, action="outgoing_returned", actor=actor, at=at, note=note)


@transaction.atomic
def outgoing_cancel(
    *, actor: Any, document: OutgoingDocument, note: str = "", at: dt.datetime | None = None
) -> OutgoingDocument:
    """The drafter abandons a draft."""
    document = _locked(document)
    permission_require(actor, "exchange.cancel", document)
    status_require(document, Status.DRAFT)
    return _status_move(document, to=Status.CANCELLED, action="outgoing_cancelled", actor=actor, at=at, note=note)


def _page_box(data: bytes, *, left_of_signature: bool) -> tuple[int, tuple[int, int, int, int]]:
    """The last page and the stamp's box at its bottom right (the seal's just left of the signature's)."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    pages = int(reader.root["/Pages"]["/Count"])
    page = max(pages - 1, 0)
    media_box = reader.root["/Pages"]["/Kids"][0].get_object().get("/MediaBox") if pages else None
    right = int(float(media_box[2])) if media_box is not None else 595
    bottom = int(float(media_box[1])) if media_box is not None else 0
    if left_of_signature:
        return page, (right - 36 - 230 - 210, bottom + 36, right - 36 - 240, bottom + 36 + 70)
    return page, (right - 36 - 230, bottom + 36, right - 36, bottom + 36 + 70)


def signing_key_of(*, actor: Any, personal: bool, organisation: Organisation | None = None) -> Any:
    """The actor's personal key, or the organisation's seal; InvalidState when there is none."""
    if personal:
        key = signing_key_find(holder=actor, kind=Certificate.Kind.PERSONAL) if isinstance(actor, User) else None
        missing = _("You have no valid signing certificate. Ask your agency's administrator to register one.")
    else:
        code = organisation.code if organisation is not None else ""
        key = signing_key_find(organisation_code=code or "", kind=Certificate.Kind.AGENCY_SEAL) if code else None
        missing = _("This agency has no valid seal certificate. Ask its administrator to register one.")
    if key is None:
        raise InvalidState(missing, code="signing_key_missing")
    return key


def pdf_stamp(
    *, data: bytes, signer: KeySigner, stamp: StampText, seal: bool, reason: str, location: str, actor: Any
) -> bytes:
    page, box = _page_box(data, left_of_signature=seal)
    return pdf_sign_with(
        data=data,
        signer=signer,
        field_name=SEAL_FIELD if seal else SIGNATURE_FIELD,
        stamp=stamp,
        box=box,
        page=page,
        reason=reason,
        location=location,
        actor=actor,
    )


def file_replace(item: DocumentFile, data: bytes) -> None:
    """Put the signed copy in place of a file (the old one is removed after the commit)."""
    import hashlib

    old_name, storage = item.file.name, item.file.storage
    item.file.save(item.name, ContentFile(data), save=False)
    item.size, item.sha256, item.content_type = len(data), hashlib.sha256(data).hexdigest(), PDF
    item.save(update_fields=["file", "size", "sha256", "content_type", "updated_at"])
    transaction.on_commit(lambda: storage.delete(old_name) if old_name and storage.exists(old_name) else None)


def outgoing_approve_and_sign(
    *, actor: Any, document: OutgoingDocument, pin: str, note: str = "", at: dt.datetime | None = None
) -> OutgoingDocument:
    """The competent leader approves the document and signs its PDF with their personal certificate (PAdES,
    visible stamp on the last page), all or nothing: a wrong PIN, a TSA down, leaves the document as it was."""
    if not pin:
        raise ValidationFailed(details={"pin": [str(_("Enter the PIN of your signing key."))]})
    document = _fresh(document)
    permission_require(actor, "exchange.sign", document)
    status_require(document, Status.AWAITING_SIGNATURE)
    # The key is opened before anything is written: a wrong PIN is counted in its own transaction.
    signer = signing_key_unlock(signing_key=signing_key_of(actor=actor, personal=True), pin=pin, actor=actor)
    at = moment(at)
    stored: list[DocumentFile] = []
    try:
        with transaction.atomic():
            document = _locked(document)
            permission_require(actor, "exchange.sign", document)
            status_require(document, Status.AWAITING_SIGNATURE)
            item = main_file(document)
            if item is None:
                raise InvalidState(_("The document has no text to sign."), code="exchange_main_file_missing")
            position = acting_position(actor, document.organisation_id, SIGNER_ROLES)
            title = position.title if position is not None and position.title else str(Role.AGENCY_LEADER.label)
            with item.file.open("rb") as handle:
                data = handle.read()
            signed = pdf_stamp(
                data=data,
                signer=signer,
                stamp=StampText(
                    signer_name=actor_label(actor), position=title, agency=document.organisation.name, signed_at=at
                ),
                seal=False,
                reason="Ký ban hành văn bản",
                location=document.organisation.name,
                actor=actor,
            )
            file_replace(item, signed)
            stored.append(item)
            before, from_status = audited(document), document.status
            document.status = Status.SIGNED
            document.signed_by = actor
            document.signed_at = at
            document.signer_name = actor_label(actor)[:100]
            document.signer_position = title[:200]
            document.search_key = outgoing_search_key(document)
            document.save()
            history_add(
                document=document,
                action="outgoing_signed",
                from_status=from_status,
                actor=actor,
                at=at,
                before=before,
                note=note,
                details={"sha256": item.sha256, "certificate_serial": signer.signing_key.certificate.serial_number},
            )
            return document
    except Exception:
        stored_files_remove(stored)
        raise
