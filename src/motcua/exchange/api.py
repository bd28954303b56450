"""Document exchange API at /api/v1/exchange: everything the officials' pages do.

Drafts are created with ``POST /outgoing`` (JSON), their text and attachments uploaded with ``POST
/outgoing/{id}/files`` (multipart), and every transition is ``POST /outgoing/{id}/<action>`` or ``POST
/incoming/{id}/<action>`` with that action's own body. Errors are core exceptions ({code, message, details}). The
node-to-node protocol is not here: it is ``/exchange/node/`` (signed requests, see docs/exchange.md).

No ``from __future__ import annotations`` here: Ninja reads the real annotation objects.
"""

import uuid
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.pagination import PageNumberPagination, paginate

from motcua.agencies.selectors import organisation_find
from motcua.core.exceptions import PermissionDenied, ValidationFailed
from motcua.exchange import exports, selectors, services
from motcua.exchange.models import IncomingDocument, OutgoingDocument
from motcua.exchange.schemas import (
    AssignIn,
    BookCreateIn,
    BookFilter,
    BookIn,
    BookOut,
    DirectoryOut,
    DraftIn,
    DraftPatchIn,
    ExportFilter,
    FileOut,
    IncomingFilter,
    IncomingListOut,
    IncomingOut,
    NoteIn,
    OutboxOut,
    OutgoingFilter,
    OutgoingListOut,
    OutgoingOut,
    PinIn,
    ReasonIn,
    RecallIn,
    ReturnIn,
    UpdateIn,
)
from motcua.exchange.transport.outbox import outbox_retry

router = Router(tags=["exchange"])


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _organisation(reference: str, field_name: str) -> Any:
    organisation = organisation_find(reference=reference) if reference else None
    if organisation is None:
        raise ValidationFailed(details={field_name: [str(_("There is no organisation with this code."))]})
    return organisation


def _outgoing(request: HttpRequest, document_id: uuid.UUID) -> OutgoingDocument:
    return selectors.outgoing_get(user=_user(request), document_id=document_id)


def _incoming(request: HttpRequest, document_id: uuid.UUID) -> IncomingDocument:
    return selectors.incoming_get(user=_user(request), document_id=document_id)


def _outgoing_detail(request: HttpRequest, document: OutgoingDocument) -> OutgoingDocument:
    document = selectors.outgoing_get(user=_user(request), document_id=document.pk)
    document.allowed_actions = selectors.outgoing_actions(user=_user(request), document=document)  # type: ignore[attr-defined]
    return document


def _incoming_detail(request: HttpRequest, document: IncomingDocument) -> IncomingDocument:
    document = selectors.incoming_get(user=_user(request), document_id=document.pk)
    document.allowed_actions = selectors.incoming_actions(user=_user(request), document=document)  # type: ignore[attr-defined]
    return document


# --- directory, files, books (static paths first) ------------------------------------------------------------------


@router.get("/directory", response=list[DirectoryOut], summary="Organisations a document can be sent to")
def directory(request: HttpRequest, q: str = "") -> Any:
    if not selectors.has_exchange_role(user=_user(request)):
        raise PermissionDenied()
    return [item.__dict__ for item in selectors.directory_search(search=q)]


@router.get("/files/{file_id}", summary="Download a file of a document")
def files_download(request: HttpRequest, file_id: uuid.UUID) -> Any:
    item = selectors.file_get(user=_user(request), file_id=file_id)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.name, content_type=item.content_type)


@router.get("/books", response=list[BookOut], summary="The document books I keep")
def books_list(request: HttpRequest) -> Any:
    return list(selectors.book_list(user=_user(request)))


@router.post("/books", response={201: BookOut}, summary="Open another document book")
def books_create(request: HttpRequest, payload: BookCreateIn) -> Any:
    book = services.book_create(
        actor=_user(request),
        organisation=_organisation(payload.organisation, "organisation"),
        direction=payload.direction,
        code=payload.code,
        name=payload.name,
    )
    return Status(201, book)


@router.get("/books/{book_id}/entries", response=list[Any], summary="The entries of a book in a year")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def books_entries(request: HttpRequest, book_id: uuid.UUID, filters: Query[BookFilter]) -> Any:
    user = _user(request)
    book = selectors.book_get(user=user, book_id=book_id)
    entries = selectors.book_entries(user=user, book=book, year=filters.year, search=filters.q)
    columns, rows = exports.book_rows(book, entries)
    return [dict(zip(columns, row, strict=True)) for row in rows]


@router.get("/books/{book_id}/export", summary="A book as CSV or PDF")
def books_export(request: HttpRequest, book_id: uuid.UUID, filters: Query[ExportFilter]) -> Any:
    user = _user(request)
    book = selectors.book_get(user=user, book_id=book_id)
    year = filters.year or timezone.localdate().year
    entries = selectors.book_entries(user=user, book=book, year=year, search=filters.q)
    name = f"{book.code.lower()}-{(book.organisation.code or '').replace('.', '-')}-{year}"
    if filters.format == "pdf":
        response = HttpResponse(exports.book_pdf(book, entries, year=year), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
        return response
    response = HttpResponse(exports.book_csv(book, entries), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


# --- outgoing ------------------------------------------------------------------------------------------------------


@router.get("/outgoing", response=list[OutgoingListOut], summary="Outgoing documents I may see")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def outgoing_list(request: HttpRequest, filters: Query[OutgoingFilter]) -> Any:
    return selectors.outgoing_list(user=_user(request), status=filters.status, search=filters.q)


@router.post("/outgoing", response={201: OutgoingOut}, summary="Start a draft")
def outgoing_create(request: HttpRequest, payload: DraftIn) -> Any:
    user = _user(request)
    data = payload.dict(exclude={"organisation", "replaces"})
    replaces = selectors.outgoing_get(user=user, document_id=payload.replaces) if payload.replaces else None
    document = services.outgoing_create(
        actor=user, organisation=_organisation(payload.organisation, "organisation"), data=data, replaces=replaces
    )
    return Status(201, _outgoing_detail(request, document))


@router.get("/outgoing/{document_id}", response=OutgoingOut, summary="One outgoing document, its recipients' statuses")
def outgoing_get(request: HttpRequest, document_id: uuid.UUID) -> Any:
    return _outgoing_detail(request, _outgoing(request, document_id))


@router.patch("/outgoing/{document_id}", response=OutgoingOut, summary="Change a draft")
def outgoing_update(request: HttpRequest, document_id: uuid.UUID, payload: DraftPatchIn) -> Any:
    data = payload.dict(exclude_unset=True)
    document = services.outgoing_update(actor=_user(request), document=_outgoing(request, document_id), data=data)
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/files", response={201: FileOut}, summary="Upload the text (PDF) or an attachment")
def outgoing_file_add(
    request: HttpRequest,
    document_id: uuid.UUID,
    file: File[UploadedFile],
    main: Form[bool] = False,
    description: Form[str] = "",
) -> Any:
    item = services.outgoing_file_add(
        actor=_user(request),
        document=_outgoing(request, document_id),
        content=file,
        name=file.name or "",
        size=file.size,
        main=main,
        description=description,
    )
    return Status(201, item)


@router.delete("/outgoing/{document_id}/files/{file_id}", response={204: None}, summary="Remove a file of a draft")
def outgoing_file_remove(request: HttpRequest, document_id: uuid.UUID, file_id: uuid.UUID) -> Any:
    services.outgoing_file_remove(actor=_user(request), document=_outgoing(request, document_id), file_id=file_id)
    return Status(204, None)


@router.post("/outgoing/{document_id}/submit", response=OutgoingOut, summary="Submit the draft for review")
def outgoing_submit(request: HttpRequest, document_id: uuid.UUID, payload: NoteIn) -> Any:
    document = services.outgoing_submit(
        actor=_user(request), document=_outgoing(request, document_id), note=payload.note
    )
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/review", response=OutgoingOut, summary="Approve the review: to the leader")
def outgoing_review(request: HttpRequest, document_id: uuid.UUID, payload: NoteIn) -> Any:
    document = services.outgoing_review(
        actor=_user(request), document=_outgoing(request, document_id), note=payload.note
    )
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/return", response=OutgoingOut, summary="Send the draft back to its drafter")
def outgoing_return(request: HttpRequest, document_id: uuid.UUID, payload: ReturnIn) -> Any:
    document = services.outgoing_return(
        actor=_user(request), document=_outgoing(request, document_id), note=payload.note
    )
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/cancel", response=OutgoingOut, summary="Abandon a draft")
def outgoing_cancel(request: HttpRequest, document_id: uuid.UUID, payload: NoteIn) -> Any:
    document = services.outgoing_cancel(
        actor=_user(request), document=_outgoing(request, document_id), note=payload.note
    )
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/sign", response=OutgoingOut, summary="Approve and sign (leader, PIN)")
def outgoing_sign(request: HttpRequest, document_id: uuid.UUID, payload: PinIn) -> Any:
    document = services.outgoing_approve_and_sign(
        actor=_user(request), document=_outgoing(request, document_id), pin=payload.pin, note=payload.note
    )
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/register", response=OutgoingOut, summary="Number and register (clerk)")
def outgoing_register(request: HttpRequest, document_id: uuid.UUID, payload: BookIn) -> Any:
    document = services.outgoing_register(
        actor=_user(request), document=_outgoing(request, document_id), book_id=payload.book
    )
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/send", response=OutgoingOut, summary="Seal and send (clerk, seal PIN)")
def outgoing_send(request: HttpRequest, document_id: uuid.UUID, payload: PinIn) -> Any:
    document = services.outgoing_send(actor=_user(request), document=_outgoing(request, document_id), pin=payload.pin)
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/recall", response=OutgoingOut, summary="Recall a sent document (seal PIN)")
def outgoing_recall(request: HttpRequest, document_id: uuid.UUID, payload: RecallIn) -> Any:
    document = services.outgoing_recall(
        actor=_user(request), document=_outgoing(request, document_id), pin=payload.pin, reason=payload.reason
    )
    return _outgoing_detail(request, document)


@router.post("/outgoing/{document_id}/update", response=OutgoingOut, summary="Send an update of a sent document")
def outgoing_update_send(request: HttpRequest, document_id: uuid.UUID, payload: UpdateIn) -> Any:
    data = payload.dict(exclude={"pin", "reason"}, exclude_none=True)
    document = services.outgoing_update_send(
        actor=_user(request),
        document=_outgoing(request, document_id),
        pin=payload.pin,
        reason=payload.reason,
        data=data,
    )
    return _outgoing_detail(request, document)


# --- incoming ------------------------------------------------------------------------------------------------------


@router.get("/incoming", response=list[IncomingListOut], summary="Incoming documents: all, to register, mine, due soon")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def incoming_list(request: HttpRequest, filters: Query[IncomingFilter]) -> Any:
    return selectors.incoming_list(user=_user(request), view=filters.view, search=filters.q)


@router.get("/incoming/{document_id}", response=IncomingOut, summary="One incoming document")
def incoming_get(request: HttpRequest, document_id: uuid.UUID) -> Any:
    return _incoming_detail(request, _incoming(request, document_id))


@router.post("/incoming/{document_id}/register", response=IncomingOut, summary="Register in the incoming book (03)")
def incoming_register(request: HttpRequest, document_id: uuid.UUID, payload: BookIn) -> Any:
    document = services.incoming_register(
        actor=_user(request), document=_incoming(request, document_id), book_id=payload.book
    )
    return _incoming_detail(request, document)


@router.post("/incoming/{document_id}/reject", response=IncomingOut, summary="Reject with a reason (02)")
def incoming_reject(request: HttpRequest, document_id: uuid.UUID, payload: ReasonIn) -> Any:
    document = services.incoming_reject(
        actor=_user(request), document=_incoming(request, document_id), reason=payload.reason
    )
    return _incoming_detail(request, document)


@router.post("/incoming/{document_id}/assign", response=IncomingOut, summary="Assign to a unit and an official (04)")
def incoming_assign(request: HttpRequest, document_id: uuid.UUID, payload: AssignIn) -> Any:
    document = services.incoming_assign(
        actor=_user(request),
        document=_incoming(request, document_id),
        unit_id=payload.unit,
        assignee_id=payload.assignee,
        processing_due=payload.processing_due,
        note=payload.note,
    )
    return _incoming_detail(request, document)


@router.post("/incoming/{document_id}/start", response=IncomingOut, summary="Start processing (05)")
def incoming_start(request: HttpRequest, document_id: uuid.UUID) -> Any:
    document = services.incoming_start(actor=_user(request), document=_incoming(request, document_id))
    return _incoming_detail(request, document)


@router.post("/incoming/{document_id}/finish", response=IncomingOut, summary="Finish processing (06)")
def incoming_finish(request: HttpRequest, document_id: uuid.UUID, payload: NoteIn) -> Any:
    document = services.incoming_finish(
        actor=_user(request), document=_incoming(request, document_id), note=payload.note
    )
    return _incoming_detail(request, document)


@router.post(
    "/incoming/{document_id}/changes/{request_id}/accept",
    response=IncomingOut,
    summary="Accept the sender's recall or update (15)",
)
def change_accept(request: HttpRequest, document_id: uuid.UUID, request_id: uuid.UUID, payload: NoteIn) -> Any:
    document = services.change_request_accept(
        actor=_user(request), document=_incoming(request, document_id), request_id=request_id, note=payload.note
    )
    return _incoming_detail(request, document)


@router.post(
    "/incoming/{document_id}/changes/{request_id}/reject",
    response=IncomingOut,
    summary="Refuse the sender's recall or update (16)",
)
def change_reject(request: HttpRequest, document_id: uuid.UUID, request_id: uuid.UUID, payload: ReasonIn) -> Any:
    document = services.change_request_reject(
        actor=_user(request), document=_incoming(request, document_id), request_id=request_id, reason=payload.reason
    )
    return _incoming_detail(request, document)


# --- the outbox (platform administrators) --------------------------------------------------------------------------


@router.get("/outbox", response=list[OutboxOut], summary="Messages of the outbox (platform administrators)")
@paginate(PageNumberPagination, page_size=settings.API_PAGE_SIZE)
def outbox_list(request: HttpRequest, state: str = "") -> Any:
    return selectors.outbox_list(user=_user(request), state=state)


@router.post("/outbox/{message_id}/retry", response={200: dict}, summary="Put a refused or given-up message back")
def outbox_message_retry(request: HttpRequest, message_id: uuid.UUID) -> Any:
    count = outbox_retry(actor=_user(request), message_ids=[message_id])
    return {"queued": count}
