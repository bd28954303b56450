"""Incoming documents, from their arrival to the end of their processing (Decree 30/2020, Articles 20 to 24).

arrived ──register (03)──► registered ──assign (04)──► assigned ──start (05)──► processing ──finish (06)──► finished
   │                                                      │                                   ▲
   └──reject (02, reason)──► rejected                      └────────────finish (06)────────────┘

A package that arrives makes the document ("arrived": the node answered 01 at once); the document clerk registers
it in the incoming book the same or the next working day (a later registration is flagged) or rejects it with a
reason; the leader's assignment (to a unit and, maybe, an official, with a processing deadline) is recorded by the
leader or the clerk; the official processes and finishes it. Each step queues the status package the standard names
for the sender. A sender's recall (BussinessDocType 1) or update (2) waits for the clerk's decision (15 accepted,
16 rejected); a replacement (3) arrives as a new document that names the one it replaces.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.agencies.models import Organisation, Unit
from motcua.core.exceptions import InvalidState, NotFound, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.exchange.models import ChangeRequest, DocumentBook, DocumentFile, InboundMessage, IncomingDocument
from motcua.exchange.rules import ASSIGNER_ROLES, EXCHANGE_ROLES, has_role_in
from motcua.exchange.services._base import audited, history_add, incoming_search_key, moment, status_require
from motcua.exchange.services.books import book_for, number_take, registration_is_late
from motcua.exchange.services.files import file_store, safe_name, sniffed_type, stored_files_remove
from motcua.exchange.services.statuses import status_emit
from motcua.exchange.vocabulary import BusinessType, Priority, SignerCompetence, StatusCode, SteeringType

logger = logging.getLogger(__name__)

Status = IncomingDocument.Status
Direction = DocumentBook.Direction


# --- arrival -----------------------------------------------------------------------------------------------------


def _header_fields(received: Any) -> dict[str, Any]:
    """The document's fields from a verified package header (edxml.MessageHeader)."""
    header = received.header
    signer = header.signer_info
    competence = str(signer.competence or "").strip() if signer else ""
    return {
        "document_id": header.document_id[:100],
        "code_number": str(header.code.code_number)[:11],
        "code_notation": str(header.code.code_notation)[:30],
        "document_type": received.type_key,
        "type_name": str(header.document_type.type_name)[:100],
        "issued_on": header.promulgation_info.promulgation_date,
        "place": str(header.promulgation_info.place)[:50],
        "subject": str(header.subject)[:500],
        "content_summary": str(header.content or "")[:500],
        "signer_name": str(signer.full_name if signer else "")[:100],
        "signer_position": str(signer.position if signer else "")[:200],
        "signer_competence": competence if competence in SignerCompetence.values else "",
        "priority": int(header.other_info.priority) if int(header.other_info.priority) in Priority.values else 0,
        "steering_type": int(header.steering_type) if int(header.steering_type) in SteeringType.values else 0,
        "due_date": header.due_date,
    }


def _files_store(received: Any, **owner: Any) -> list[DocumentFile]:
    stored: list[DocumentFile] = []
    for index, attachment in enumerate(received.attachments):
        if attachment.path is None:
            continue
        with attachment.path.open("rb") as handle:
            head = handle.read(8192)
            handle.seek(0)
            stored.append(
                file_store(
                    content=handle,
                    name=safe_name(attachment.name),
                    content_type=sniffed_type(head) if head else attachment.content_type,
                    sha256=attachment.sha256,
                    size=attachment.size,
                    purpose=DocumentFile.Purpose.MAIN if index == 0 else DocumentFile.Purpose.ATTACHMENT,
                    description=attachment.description,
                    **owner,
                )
            )
    return stored


def incoming_from_package(
    *, organisation: Organisation, received: Any, inbound: InboundMessage, at: dt.datetime
) -> tuple[str, IncomingDocument | ChangeRequest]:
    """Store what a verified package brings to ``organisation`` (in the caller's transaction, with ``inbound``).

    Returns ("accepted" | "duplicate", the document or the recall/update request). A new document already
    received (under any message id) is a duplicate: nothing new is stored.
    """
    business = received.business
    business_type = int(business.business_doc_type)
    fields = _header_fields(received)
    stored: list[DocumentFile] = []
    try:
        if business_type in (BusinessType.NEW, BusinessType.REPLACEMENT):
            existing = IncomingDocument.objects.filter(
                organisation=organisation, document_id=fields["document_id"]
            ).first()
            if existing is not None:
                return "duplicate", existing
            replaced = None
            if business_type == BusinessType.REPLACEMENT:
                replaced_ids = [item.document_id for item in business.replacement_info] or [business.document_id]
                replaced = IncomingDocument.objects.filter(
                    organisation=organisation, document_id__in=replaced_ids
                ).first()
            document = IncomingDocument(
                organisation=organisation,
                status=Status.ARRIVED,
                sender_code=received.sender_code,
                sender_name=str(received.header.from_organ.organ_name or received.sender_code)[:200],
                business_type=business_type,
                replaces=replaced,
                arrived_at=at,
                inbound=inbound,
                **fields,
            )
            document.search_key = incoming_search_key(document)
            document.save()
            stored = _files_store(received, incoming=document)
            history_add(
                document=document,
                action="incoming_arrived",
                from_status="",
                actor=None,
                at=at,
                details={"message_id": str(inbound.message_id), "warnings": received.warnings[:20]},
            )
            from motcua.exchange.notifying import incoming_arrived

            incoming_arrived(document=document)
            return "accepted", document
        target_id = business.document_id or fields["document_id"]
        target = (
            IncomingDocument.objects.select_for_update()
            .filter(organisation=organisation, document_id=target_id)
            .first()
        )
        if target is None:
            raise NotFound(
                _("This organisation has not received the document to recall or update."),
                code="exchange_unknown_document",
            )
        changes: dict[str, Any] = {}
        if business_type == BusinessType.UPDATE:
            changes = {
                key: (value.isoformat() if isinstance(value, dt.date) else value)
                for key, value in fields.items()
                if key
                in ("subject", "content_summary", "due_date", "priority", "signer_name", "signer_position", "place")
            }
        request = ChangeRequest.objects.create(
            document=target,
            kind=business_type,
            reason=str(business.business_doc_reason or "")[:500],
            changes=changes,
            inbound=inbound,
        )
        if business_type == BusinessType.UPDATE:
            stored = _files_store(received, incoming=target, change_request=request, is_current=False)
        history_add(
            document=target,
            action="incoming_recall_requested"
            if business_type == BusinessType.REVOCATION
            else "incoming_update_requested",
            from_status=target.status,
            actor=None,
            at=at,
            note=request.reason,
            details={"request": str(request.pk), "message_id": str(inbound.message_id)},
        )
        from motcua.exchange.notifying import change_requested

        change_requested(request=request)
        return "accepted", request
    except Exception:
        stored_files_remove(stored)
        raise


# --- the clerk, the leader, the official -------------------------------------------------------------------------


def _locked(document: IncomingDocument) -> IncomingDocument:
    return IncomingDocument.objects.select_for_update().select_related("organisation").get(pk=document.pk)


def _emit(document: IncomingDocument, code: str, *, actor: Any, at: dt.datetime, description: str = "") -> None:
    document.status_sequence += 1
    IncomingDocument.objects.filter(pk=document.pk).update(status_sequence=document.status_sequence)
    status_emit(document=document, code=code, description=description, actor=actor, at=at)


@transaction.atomic
def incoming_register(
    *, actor: Any, document: IncomingDocument, book_id: Any = None, at: dt.datetime | None = None
) -> IncomingDocument:
    """The document clerk registers an arrived document in the incoming book (arrival number; status 03)."""
    document = _locked(document)
    permission_require(actor, "exchange.register_incoming", document)
    status_require(document, Status.ARRIVED)
    at = moment(at)
    book = book_for(organisation=document.organisation, direction=Direction.INCOMING, book_id=book_id)
    before, from_status = audited(document), document.status
    document.year, document.arrival_number = number_take(book=book, at=at)
    document.book = book
    document.status = Status.REGISTERED
    document.registered_at, document.registered_by = at, actor if isinstance(actor, User) else None
    document.registered_late = registration_is_late(since=document.arrived_at, registered_at=at)
    document.search_key = incoming_search_key(document)
    document.save()
    history_add(
        document=document,
        action="incoming_registered",
        from_status=from_status,
        actor=actor,
        at=at,
        before=before,
        details={"arrival_number": document.arrival_number, "late": document.registered_late},
    )
    _emit(document, StatusCode.ACCEPTED, actor=actor, at=at)
    return document


@transaction.atomic
def incoming_reject(
    *, actor: Any, document: IncomingDocument, reason: str, at: dt.datetime | None = None
) -> IncomingDocument:
    """The document clerk refuses an arrived document (wrong recipient, incomplete...) and says why (status 02)."""
    document = _locked(document)
    permission_require(actor, "exchange.reject_incoming", document)
    status_require(document, Status.ARRIVED)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(details={"reason": [str(_("Say why the document is rejected."))]})
    if len(reason) > 500:
        raise ValidationFailed(details={"reason": [str(_("Use at most %(limit)s characters.") % {"limit": 500})]})
    at = moment(at)
    before, from_status = audited(document), document.status
    document.status, document.rejection_reason = Status.REJECTED, reason
    document.save(update_fields=["status", "rejection_reason", "updated_at"])
    history_add(
        document=document,
        action="incoming_rejected",
        from_status=from_status,
        actor=actor,
        at=at,
        before=before,
        note=reason,
    )
    _emit(document, StatusCode.REJECTED, actor=actor, at=at, description=reason)
    return document


@transaction.atomic
def incoming_assign(
    *,
    actor: Any,
    document: IncomingDocument,
    unit_id: Any,
    assignee_id: Any = None,
    processing_due: dt.date | None = None,
    note: str = "",
    at: dt.datetime | None = None,
) -> IncomingDocument:
    """Record the assignment (phân công xử lý): the unit in charge, maybe the official, the deadline (status 04).
    A unit head may hand a document given to their unit to one of its officials."""
    document = _locked(document)
    permission_require(actor, "exchange.assign", document)
    status_require(document, Status.REGISTERED, Status.ASSIGNED)
    errors: dict[str, list[str]] = {}
    unit = None
    try:
        unit = (
            Unit.objects.filter(pk=unit_id, organisation_id=document.organisation_id, is_active=True).first()
            if unit_id
            else None
        )
    except (ValueError, TypeError, Exception):  # a malformed id is an unknown unit
        unit = None
    if unit is None:
        errors["unit"] = [str(_("Choose a unit of the organisation."))]
    assignee = None
    if assignee_id:
        try:
            assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
        except Exception:
            assignee = None
        if assignee is None or not has_role_in(assignee, document.organisation_id, EXCHANGE_ROLES):
            errors["assignee"] = [str(_("Choose an official of the organisation."))]
    note = " ".join((note or "").split())
    if len(note) > 1000:
        errors["note"] = [str(_("Use at most %(limit)s characters.") % {"limit": 1000})]
    if errors:
        raise ValidationFailed(details=errors)
    if (
        document.status == Status.ASSIGNED
        and not has_role_in(actor, document.organisation_id, ASSIGNER_ROLES)
        and unit is not None
        and unit.pk != document.assigned_unit_id
    ):
        raise ValidationFailed(details={"unit": [str(_("A unit head hands the document on within their unit."))]})
    at = moment(at)
    before, from_status = audited(document), document.status
    document.status = Status.ASSIGNED
    document.assigned_unit, document.assigned_to = unit, assignee
    document.assigned_by = actor if isinstance(actor, User) else None
    document.assigned_at, document.assignment_note = at, note
    document.processing_due = processing_due or document.due_date
    document.save()
    history_add(
        document=document,
        action="incoming_assigned",
        from_status=from_status,
        actor=actor,
        at=at,
        before=before,
        note=note,
    )
    _emit(document, StatusCode.ASSIGNED, actor=actor, at=at, description=unit.name if unit else "")
    from motcua.exchange.notifying import incoming_assigned

    incoming_assigned(document=document)
    return document


@transaction.atomic
def incoming_start(*, actor: Any, document: IncomingDocument, at: dt.datetime | None = None) -> IncomingDocument:
    """The official in charge starts processing (status 05)."""
    document = _locked(document)
    permission_require(actor, "exchange.process", document)
    status_require(document, Status.ASSIGNED)
    at = moment(at)
    before, from_status = audited(document), document.status
    document.status, document.started_at = Status.PROCESSING, at
    document.save(update_fields=["status", "started_at", "updated_at"])
    history_add(
        document=document, action="incoming_started", from_status=from_status, actor=actor, at=at, before=before
    )
    _emit(document, StatusCode.PROCESSING, actor=actor, at=at)
    return document


@transaction.atomic
def incoming_finish(
    *, actor: Any, document: IncomingDocument, note: str = "", at: dt.datetime | None = None
) -> IncomingDocument:
    """The official in charge (or the unit's head, or a leader) finishes the document, saying how (status 06)."""
    document = _locked(document)
    permission_require(actor, "exchange.process", document)
    status_require(document, Status.ASSIGNED, Status.PROCESSING)
    note = " ".join((note or "").split())
    if len(note) > 1000:
        raise ValidationFailed(details={"note": [str(_("Use at most %(limit)s characters.") % {"limit": 1000})]})
    at = moment(at)
    before, from_status = audited(document), document.status
    document.status, document.finished_at, document.finish_note = Status.FINISHED, at, note
    document.started_at = document.started_at or at
    document.save(update_fields=["status", "finished_at", "finish_note", "started_at", "updated_at"])
    history_add(
        document=document,
        action="incoming_finished",
        from_status=from_status,
        actor=actor,
        at=at,
        before=before,
        note=note,
    )
    _emit(document, StatusCode.FINISHED, actor=actor, at=at, description=note[:500])
    return document


def _uuid_or_none(value: Any) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except ValueError:
        return None


def _request_locked(document: IncomingDocument, request_id: Any) -> ChangeRequest:
    pk = _uuid_or_none(request_id)
    request = ChangeRequest.objects.select_for_update().filter(pk=pk, document=document).first() if pk else None
    if request is None:
        raise NotFound()
    if request.state != ChangeRequest.State.PENDING:
        raise InvalidState(_("This request was already decided."), code="exchange_change_decided")
    return request


@transaction.atomic
def change_request_accept(
    *, actor: Any, document: IncomingDocument, request_id: Any, note: str = "", at: dt.datetime | None = None
) -> IncomingDocument:
    """Accept the sender's recall (the document is withdrawn) or update (its new content applies); status 15."""
    document = _locked(document)
    permission_require(actor, "exchange.decide_change", document)
    request = _request_locked(document, request_id)
    at = moment(at)
    before, from_status = audited(document), document.status
    if request.kind == ChangeRequest.Kind.RECALL:
        document.status, document.recalled_at = Status.RECALLED, at
    else:
        for key, value in request.changes.items():
            if key == "due_date":
                value = dt.date.fromisoformat(value) if value else None
            setattr(document, key, value)
        new_files = list(request.files.all())
        if new_files:
            document.files.filter(change_request__isnull=True).update(is_current=False)
            document.files.exclude(change_request=request).exclude(change_request__isnull=True).update(is_current=False)
            request.files.update(is_current=True)
        document.search_key = incoming_search_key(document)
    document.save()
    request.state, request.decided_at, request.decision_note = ChangeRequest.State.ACCEPTED, at, note[:500]
    request.decided_by = actor if isinstance(actor, User) else None
    request.save()
    history_add(
        document=document,
        action="incoming_change_accepted",
        from_status=from_status,
        actor=actor,
        at=at,
        before=before,
        note=note,
        details={"request": str(request.pk), "kind": request.kind},
    )
    _emit(document, StatusCode.RECALL_ACCEPTED, actor=actor, at=at, description=note)
    return document


@transaction.atomic
def change_request_reject(
    *, actor: Any, document: IncomingDocument, request_id: Any, reason: str, at: dt.datetime | None = None
) -> IncomingDocument:
    """Refuse the sender's recall or update, saying why (status 16); the document stays as it is."""
    document = _locked(document)
    permission_require(actor, "exchange.decide_change", document)
    request = _request_locked(document, request_id)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(details={"reason": [str(_("Say why the request is refused."))]})
    at = moment(at)
    request.state, request.decided_at, request.decision_note = ChangeRequest.State.REJECTED, at, reason[:500]
    request.decided_by = actor if isinstance(actor, User) else None
    request.save()
    history_add(
        document=document,
        action="incoming_change_rejected",
        from_status=document.status,
        actor=actor,
        at=at,
        note=reason,
        details={"request": str(request.pk), "kind": request.kind},
    )
    _emit(document, StatusCode.RECALL_REFUSED, actor=actor, at=at, description=reason)
    return document


def incoming_due_soon_horizon(*, today: dt.date | None = None) -> dt.date:
    """The last day counted as "due soon": today plus the configured number of working days."""
    from django.conf import settings

    from motcua.core.calendar import calendar_get

    start = (
        timezone.now()
        if today is None
        else dt.datetime.combine(today, dt.time(9), tzinfo=timezone.get_current_timezone())
    )
    return calendar_get().add_working_days(start, int(settings.EXCHANGE_DUE_SOON_WORKING_DAYS)).date()
