"""Outgoing documents from the leader's signature to their receivers (Decree 30/2020, Articles 15 to 19).

signed ──register──► registered ──send (seal PIN)──► sent ──recall / update (seal PIN)──► sent

The document clerk numbers the signed document in the outgoing book (number and notation unique per agency and
year; numbers restart on 1 January) and registers it the same or the next working day (a later registration is
flagged); then sends it: the clerk's seal PIN opens the agency seal, which goes on the PDF (visible stamp beside the
leader's signature) and on the edXML package; one message per recipient is queued in the outbox with the same signed
bytes, which every retry sends again. Confidential documents (mật, tối mật, tuyệt mật) are not sent electronically.
The clerk may later recall the document (BussinessDocType 1) or send an update (2) with a reason; a replacement (3)
is a new document drafted with ``replaces`` set, sent like any other.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping
from typing import IO, Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.accounts.models import User
from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.exchange.identity import node_id
from motcua.exchange.models import DocumentBook, DocumentFile, OutgoingDocument, Recipient
from motcua.exchange.models.delivery import MessageKind
from motcua.exchange.routing import Route, route_for
from motcua.exchange.services._base import (
    audited,
    history_add,
    moment,
    outgoing_search_key,
    status_require,
)
from motcua.exchange.services.books import book_for, number_take, registration_is_late
from motcua.exchange.services.drafting import (
    _fresh,
    file_replace,
    main_file,
    pdf_stamp,
    signing_key_of,
)
from motcua.exchange.services.files import file_check, file_store, stored_files_remove
from motcua.exchange.services.statuses import staff_of
from motcua.exchange.vocabulary import BusinessType, Confidentiality, StatusCode
from motcua.signatures.keys import KeySigner, signing_key_unlock
from motcua.signatures.pdf import StampText

logger = logging.getLogger(__name__)

Status = OutgoingDocument.Status
Direction = DocumentBook.Direction
UPDATE_FIELDS = ("subject", "content_summary", "due_date")


def _locked(document: OutgoingDocument) -> OutgoingDocument:
    return OutgoingDocument.objects.select_for_update().select_related("organisation").get(pk=document.pk)


@transaction.atomic
def outgoing_register(
    *, actor: Any, document: OutgoingDocument, book_id: Any = None, at: dt.datetime | None = None
) -> OutgoingDocument:
    """Number the signed document in an outgoing book and register it (the document clerk)."""
    from motcua.exchange.packages import document_id_make

    document = _locked(document)
    permission_require(actor, "exchange.register_outgoing", document)
    status_require(document, Status.SIGNED)
    organisation = document.organisation
    if not organisation.code:
        raise InvalidState(
            _("The organisation has no electronic code to number documents under."), code="organisation_code_missing"
        )
    at = moment(at)
    book = book_for(organisation=organisation, direction=Direction.OUTGOING, book_id=book_id)
    before, from_status = audited(document), document.status
    document.year, document.number = number_take(book=book, at=at)
    document.book = book
    document.issued_on = timezone.localdate(at)
    document.document_id = document_id_make(
        organisation_code=organisation.code,
        issued_on=document.issued_on,
        number=document.number,
        notation=document.notation,
    )
    document.status = Status.REGISTERED
    document.registered_at, document.registered_by = at, actor if isinstance(actor, User) else None
    document.registered_late = registration_is_late(since=document.signed_at or at, registered_at=at)
    document.search_key = outgoing_search_key(document)
    document.save()
    history_add(
        document=document,
        action="outgoing_registered",
        from_status=from_status,
        actor=actor,
        at=at,
        before=before,
        details={"number": document.number_and_notation, "book": book.code, "late": document.registered_late},
    )
    return document


def _routes(document: OutgoingDocument, recipients: list[Recipient]) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    unreachable = []
    for recipient in recipients:
        route = route_for(recipient.organisation_code)
        if route is None:
            unreachable.append(recipient.organisation_code)
        else:
            routes[recipient.organisation_code] = route
    if unreachable:
        raise ValidationFailed(
            _("These recipients cannot be reached: %(codes)s.") % {"codes": ", ".join(unreachable)},
            code="exchange_recipient_unreachable",
            details={"recipients": unreachable},
        )
    return routes


def _staff(actor: Any, document: OutgoingDocument) -> dict[str, str]:
    return staff_of(actor, document.organisation_id)


def _seal(*, actor: Any, document: OutgoingDocument, pin: str) -> KeySigner:
    if not pin:
        raise ValidationFailed(details={"pin": [str(_("Enter the PIN of the agency seal."))]})
    return signing_key_unlock(
        signing_key=signing_key_of(actor=actor, personal=False, organisation=document.organisation),
        pin=pin,
        actor=actor,
    )


def _package(
    *,
    document: OutgoingDocument,
    recipients: list[Recipient],
    files: list[DocumentFile],
    signer: KeySigner,
    actor: Any,
    business_type: int,
    reason: str = "",
    main_data: bytes | None = None,
) -> bytes:
    """The sealed package: built from the document and its files (the main one from ``main_data`` when given)."""
    from motcua.exchange.packages import document_package_build, document_package_seal

    replaced: list[tuple[str, tuple[str, ...]]] = []
    business_document_id = ""
    if business_type == BusinessType.REPLACEMENT and document.replaces is not None:
        old = document.replaces
        replaced = [(old.document_id, tuple(old.recipients.values_list("organisation_code", flat=True)))]
        business_document_id = old.document_id
        # The standard asks a replacement for its reason; the package is read by the receiver's software.
        reason = reason or f"Thay thế văn bản số {old.number_and_notation}"
    elif business_type in (BusinessType.REVOCATION, BusinessType.UPDATE):
        business_document_id = document.document_id
    sources: list[Any] = []
    for item in files:
        if main_data is not None and item.purpose == DocumentFile.Purpose.MAIN:
            sources.append(_InMemoryFile(item, main_data))
        else:
            sources.append(item)
    data = document_package_build(
        document=document,
        recipients=[(r.organisation_code, r.organisation_name) for r in recipients],
        files=sources,
        business_type=business_type,
        business_document_id=business_document_id,
        reason=reason,
        replaced=replaced,
        staff=_staff(actor, document),
    )
    return document_package_seal(data, signer=signer, actor=actor)


class _InMemoryFile:
    """A document file whose bytes are given (the sealed PDF not yet stored)."""

    def __init__(self, item: DocumentFile, data: bytes) -> None:
        self.name, self.content_type, self.description, self.purpose = (
            item.name,
            item.content_type,
            item.description,
            item.purpose,
        )
        self.file = _Bytes(data)


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._data = data

    @property
    def path(self) -> str:
        raise NotImplementedError

    def open(self, mode: str = "rb") -> Any:
        import io

        return io.BytesIO(self._data)


def _queue(
    *,
    document: OutgoingDocument,
    recipients: list[Recipient],
    routes: Mapping[str, Route],
    body: bytes,
) -> None:
    from motcua.exchange.transport.outbox import outbox_add

    for recipient in recipients:
        outbox_add(
            kind=MessageKind.PACKAGE,
            from_code=document.organisation.code or "",
            to_code=recipient.organisation_code,
            document_id=document.document_id,
            body=body,
            route=routes[recipient.organisation_code],
            order_group=f"package:{document.document_id}:{recipient.organisation_code}",
            recipient=recipient,
            origin_node=node_id(),
        )


def current_files(document: OutgoingDocument) -> list[DocumentFile]:
    return list(document.files.filter(is_current=True).order_by("purpose", "created_at"))


def outgoing_send(
    *, actor: Any, document: OutgoingDocument, pin: str, at: dt.datetime | None = None
) -> OutgoingDocument:
    """Seal and send a registered document to its recipients, through the outbox (the document clerk)."""
    document = _fresh(document)
    permission_require(actor, "exchange.send", document)
    status_require(document, Status.REGISTERED)
    if document.confidentiality != Confidentiality.NORMAL:
        raise InvalidState(
            _("Confidential documents are not sent electronically: send them on paper by the confidential channel."),
            code="exchange_confidential",
        )
    recipients = list(document.recipients.filter(delivery=Recipient.Delivery.NOT_SENT))
    if not recipients:
        raise InvalidState(_("The document has no recipient to send it to."), code="exchange_no_recipient")
    routes = _routes(document, recipients)
    signer = _seal(actor=actor, document=document, pin=pin)
    at = moment(at)
    item = main_file(document)
    if item is None:
        raise InvalidState(_("The document has no text to send."), code="exchange_main_file_missing")
    with item.file.open("rb") as handle:
        sealed_pdf = pdf_stamp(
            data=handle.read(),
            signer=signer,
            stamp=StampText(
                signer_name=document.organisation.name, agency=document.organisation.code or "", signed_at=at
            ),
            seal=True,
            reason=f"Phát hành văn bản số {document.number_and_notation}",
            location=document.organisation.name,
            actor=actor,
        )
    business_type = BusinessType.REPLACEMENT if document.replaces_id else BusinessType.NEW
    body = _package(
        document=document,
        recipients=recipients,
        files=current_files(document),
        signer=signer,
        actor=actor,
        business_type=business_type,
        main_data=sealed_pdf,
    )
    stored: list[DocumentFile] = []
    try:
        with transaction.atomic():
            document = _locked(document)
            permission_require(actor, "exchange.send", document)
            status_require(document, Status.REGISTERED)
            item = main_file(document)
            assert item is not None
            file_replace(item, sealed_pdf)
            stored.append(item)
            recipients = list(Recipient.objects.select_for_update().filter(pk__in=[r.pk for r in recipients]))
            _queue(document=document, recipients=recipients, routes=routes, body=body)
            Recipient.objects.filter(pk__in=[r.pk for r in recipients]).update(
                delivery=Recipient.Delivery.QUEUED, updated_at=timezone.now()
            )
            before, from_status = audited(document), document.status
            document.status, document.sent_at = Status.SENT, at
            document.save(update_fields=["status", "sent_at", "updated_at"])
            history_add(
                document=document,
                action="outgoing_sent",
                from_status=from_status,
                actor=actor,
                at=at,
                before=before,
                details={
                    "recipients": [r.organisation_code for r in recipients],
                    "package_sha256": hashlib.sha256(body).hexdigest(),
                    "seal_certificate": signer.signing_key.certificate.serial_number,
                },
            )
            return document
    except Exception:
        stored_files_remove(stored)
        raise


def _active_recipients(document: OutgoingDocument) -> list[Recipient]:
    return list(
        document.recipients.exclude(delivery__in=[Recipient.Delivery.NOT_SENT, Recipient.Delivery.REFUSED]).exclude(
            status_code=StatusCode.REJECTED
        )
    )


def outgoing_recall(
    *, actor: Any, document: OutgoingDocument, pin: str, reason: str, at: dt.datetime | None = None
) -> OutgoingDocument:
    """Ask every recipient to recall a sent document (BussinessDocType 1), with the reason; each answers 15 or 16."""
    document = _fresh(document)
    permission_require(actor, "exchange.recall", document)
    status_require(document, Status.SENT)
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed(details={"reason": [str(_("Say why the document is recalled."))]})
    if document.recalled_at is not None:
        raise InvalidState(_("This document was already recalled."), code="exchange_already_recalled")
    recipients = _active_recipients(document)
    if not recipients:
        raise InvalidState(_("No recipient holds this document."), code="exchange_no_recipient")
    routes = _routes(document, recipients)
    signer = _seal(actor=actor, document=document, pin=pin)
    at = moment(at)
    body = _package(
        document=document,
        recipients=recipients,
        # The package names the document it recalls and carries it again (a package has at least one file).
        files=current_files(document),
        signer=signer,
        actor=actor,
        business_type=BusinessType.REVOCATION,
        reason=reason,
    )
    with transaction.atomic():
        document = _locked(document)
        if document.recalled_at is not None:
            raise InvalidState(_("This document was already recalled."), code="exchange_already_recalled")
        _queue(document=document, recipients=recipients, routes=routes, body=body)
        Recipient.objects.filter(pk__in=[r.pk for r in recipients]).update(
            change_status_code=StatusCode.RECALLED,
            change_status_at=at.replace(microsecond=0),
            updated_at=timezone.now(),
        )
        before = audited(document)
        document.recalled_at, document.recall_reason = at, reason[:500]
        document.save(update_fields=["recalled_at", "recall_reason", "updated_at"])
        history_add(
            document=document,
            action="outgoing_recalled",
            from_status=document.status,
            actor=actor,
            at=at,
            before=before,
            note=reason,
        )
        return document


def outgoing_update_send(
    *,
    actor: Any,
    document: OutgoingDocument,
    pin: str,
    reason: str,
    data: Mapping[str, Any] | None = None,
    new_files: list[tuple[IO[bytes], str, int | None]] | None = None,
    at: dt.datetime | None = None,
) -> OutgoingDocument:
    """Correct a sent document (its subject, summary, due date; added attachments) and send the update
    (BussinessDocType 2) with the reason; each recipient's clerk accepts (15) or refuses (16) it."""
    document = _fresh(document)
    permission_require(actor, "exchange.recall", document)
    status_require(document, Status.SENT)
    reason = " ".join((reason or "").split())
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [str(_("Say what the update changes."))]
    data = dict(data or {})
    unknown = sorted(set(data) - set(UPDATE_FIELDS))
    for name in unknown:
        errors[name] = [str(_("Unknown field."))]
    if errors:
        raise ValidationFailed(details=errors)
    recipients = _active_recipients(document)
    if not recipients:
        raise InvalidState(_("No recipient holds this document."), code="exchange_no_recipient")
    routes = _routes(document, recipients)
    checked = [
        (content, name, size, file_check(content=content, name=name, size=size, main=False))
        for content, name, size in new_files or []
    ]
    signer = _seal(actor=actor, document=document, pin=pin)
    at = moment(at)
    stored: list[DocumentFile] = []
    try:
        with transaction.atomic():
            document = _locked(document)
            status_require(document, Status.SENT)
            before = audited(document)
            from motcua.exchange.services.drafting import _draft_apply

            _draft_apply(document, data, creating=False)
            document.search_key = outgoing_search_key(document)
            document.save()
            for content, name, _size, (content_type, sha256, total) in checked:
                stored.append(
                    file_store(
                        content=content,
                        name=name,
                        content_type=content_type,
                        sha256=sha256,
                        size=total,
                        purpose=DocumentFile.Purpose.ATTACHMENT,
                        uploaded_by=actor if isinstance(actor, User) else None,
                        outgoing=document,
                    )
                )
            body = _package(
                document=document,
                recipients=recipients,
                files=current_files(document),
                signer=signer,
                actor=actor,
                business_type=BusinessType.UPDATE,
                reason=reason,
            )
            _queue(document=document, recipients=recipients, routes=routes, body=body)
            history_add(
                document=document,
                action="outgoing_update_sent",
                from_status=document.status,
                actor=actor,
                at=at,
                before=before,
                note=reason,
                details={"files": [item.name for item in stored]},
            )
            return document
    except Exception:
        stored_files_remove(stored)
        raise
