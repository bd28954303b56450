"""Reads of the exchange app, with object-level permission (see rules.py for who sees what).

Lists are built from the user's positions so that a page never loads a document the user may not see; single
documents are checked with the same rules the services use, and answer NotFound (never "forbidden") for a
document the user may not see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from motcua.agencies.models import Organisation, Role
from motcua.agencies.search import search_terms
from motcua.agencies.selectors import position_active_list
from motcua.core.exceptions import NotFound
from motcua.core.permissions import user_can
from motcua.exchange.identity import served_organisations
from motcua.exchange.models import (
    ChangeRequest,
    DirectoryEntry,
    DocumentBook,
    DocumentFile,
    IncomingDocument,
    OutboxMessage,
    OutgoingDocument,
)
from motcua.exchange.rules import (
    ASSIGNER_ROLES,
    BOOK_KEEPER_ROLES,
    CLERK_ROLES,
    DRAFTER_ROLES,
    EXCHANGE_ROLES,
    REVIEWER_ROLES,
)

Outgoing = OutgoingDocument.Status
Incoming = IncomingDocument.Status


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (ValueError, TypeError):
        return None


def organisations_with(*, user: Any, roles: frozenset[str] | set[str]) -> list[Organisation]:
    """Organisations where the user holds one of the roles today, by name."""
    seen: dict[Any, Organisation] = {}
    for position in position_active_list(user=user):
        if position.role in roles:
            seen.setdefault(position.organisation_id, position.organisation)
    return sorted(seen.values(), key=lambda organisation: organisation.name)


def _ids(user: Any, roles: frozenset[str] | set[str]) -> list[Any]:
    return [organisation.pk for organisation in organisations_with(user=user, roles=roles)]


def has_exchange_role(*, user: Any) -> bool:
    return bool(_ids(user, EXCHANGE_ROLES))


def _search(queryset: QuerySet[Any], search: str) -> QuerySet[Any]:
    for term in search_terms(search):
        queryset = queryset.filter(search_key__contains=term)
    return queryset


# --- outgoing ------------------------------------------------------------------------------------------------------


def outgoing_list(
    *, user: Any, status: str = "", search: str = "", organisation: Organisation | None = None
) -> QuerySet[OutgoingDocument]:
    """Outgoing documents the user may see, newest first."""
    visible = (
        Q(drafted_by_id=getattr(user, "pk", None))
        | Q(organisation_id__in=_ids(user, REVIEWER_ROLES | CLERK_ROLES))
        | Q(organisation_id__in=_ids(user, EXCHANGE_ROLES), number__isnull=False)
    )
    documents = OutgoingDocument.objects.filter(visible).select_related("organisation", "drafted_by")
    if status:
        documents = documents.filter(status=status)
    if organisation is not None:
        documents = documents.filter(organisation=organisation)
    return _search(documents, search).order_by("-updated_at")


def outgoing_get(*, user: Any, document_id: Any) -> OutgoingDocument:
    pk = _uuid(document_id)
    document = (
        OutgoingDocument.objects.select_related("organisation", "drafting_unit", "drafted_by", "book", "replaces")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if document is None or not user_can(user, "exchange.view_outgoing", document):
        raise NotFound()
    return document


def outgoing_waiting_for(*, user: Any) -> dict[str, QuerySet[OutgoingDocument]]:
    """What waits for the user among outgoing documents: drafts to review, to sign, to register and send."""
    reviewer_orgs = _ids(user, REVIEWER_ROLES)
    in_review = OutgoingDocument.objects.filter(status=Outgoing.IN_REVIEW, organisation_id__in=reviewer_orgs)
    to_review = [d.pk for d in in_review.select_related("drafting_unit") if user_can(user, "exchange.review", d)]
    to_sign = [
        d.pk
        for d in OutgoingDocument.objects.filter(
            status=Outgoing.AWAITING_SIGNATURE, organisation_id__in=_ids(user, {Role.AGENCY_LEADER})
        )
        if user_can(user, "exchange.sign", d)
    ]
    clerk_orgs = _ids(user, CLERK_ROLES)
    return {
        "my_drafts": OutgoingDocument.objects.filter(drafted_by_id=getattr(user, "pk", None), status=Outgoing.DRAFT),
        "to_review": OutgoingDocument.objects.filter(pk__in=to_review),
        "to_sign": OutgoingDocument.objects.filter(pk__in=to_sign),
        "to_register": OutgoingDocument.objects.filter(status=Outgoing.SIGNED, organisation_id__in=clerk_orgs),
        "to_send": OutgoingDocument.objects.filter(status=Outgoing.REGISTERED, organisation_id__in=clerk_orgs),
    }


OUTGOING_ACTIONS = {
    Outgoing.DRAFT: ("edit", "submit", "cancel"),
    Outgoing.IN_REVIEW: ("review", "return"),
    Outgoing.AWAITING_SIGNATURE: ("sign", "return"),
    Outgoing.SIGNED: ("register",),
    Outgoing.REGISTERED: ("send",),
    Outgoing.SENT: ("recall", "update", "replace"),
}
_ACTION_RULES = {
    "edit": "exchange.edit_draft",
    "submit": "exchange.submit",
    "cancel": "exchange.cancel",
    "review": "exchange.review",
    "return": "exchange.return",
    "sign": "exchange.sign",
    "register": "exchange.register_outgoing",
    "send": "exchange.send",
    "recall": "exchange.recall",
    "update": "exchange.recall",
}


def outgoing_actions(*, user: Any, document: OutgoingDocument) -> list[str]:
    """The actions open to the user on the document now."""
    actions = []
    for action in OUTGOING_ACTIONS.get(Outgoing(document.status), ()):
        if action == "replace":
            if user_can(user, "exchange.draft", document.organisation):
                actions.append(action)
            continue
        if action in ("recall", "update") and document.recalled_at is not None:
            continue
        if action == "send" and document.confidentiality != "normal":
            continue
        if user_can(user, _ACTION_RULES[action], document):
            actions.append(action)
    return actions


# --- incoming ------------------------------------------------------------------------------------------------------


def _incoming_visible(user: Any) -> Q:
    user_id = getattr(user, "pk", None)
    head_units = [p.unit_id for p in position_active_list(user=user) if p.role == Role.UNIT_HEAD and p.unit_id]
    not_waiting = ~Q(status__in=[Incoming.ARRIVED, Incoming.REJECTED])
    return (
        Q(organisation_id__in=_ids(user, ASSIGNER_ROLES))
        | (Q(assigned_to_id=user_id) & not_waiting)
        | (Q(assigned_unit_id__in=head_units) & not_waiting)
    )


INCOMING_VIEWS = ("to_register", "mine", "due_soon", "all")


def incoming_list(
    *, user: Any, view: str = "all", search: str = "", organisation: Organisation | None = None
) -> QuerySet[IncomingDocument]:
    """Incoming documents the user may see: all, those to register (clerks), those assigned to the user (or to
    the unit they head), or those due within the next working days and not finished."""
    documents = IncomingDocument.objects.filter(_incoming_visible(user)).select_related(
        "organisation", "assigned_unit", "assigned_to"
    )
    if view == "to_register":
        documents = documents.filter(status=Incoming.ARRIVED, organisation_id__in=_ids(user, CLERK_ROLES))
    elif view == "mine":
        user_id = getattr(user, "pk", None)
        head_units = [p.unit_id for p in position_active_list(user=user) if p.role == Role.UNIT_HEAD and p.unit_id]
        documents = documents.filter(status__in=[Incoming.ASSIGNED, Incoming.PROCESSING]).filter(
            Q(assigned_to_id=user_id) | Q(assigned_unit_id__in=head_units, assigned_to__isnull=True)
        )
    elif view == "due_soon":
        from motcua.exchange.services.receiving import incoming_due_soon_horizon

        horizon = incoming_due_soon_horizon()
        documents = documents.exclude(status__in=[Incoming.FINISHED, Incoming.REJECTED, Incoming.RECALLED]).filter(
            Q(processing_due__lte=horizon) | Q(processing_due__isnull=True, due_date__lte=horizon)
        )
    if organisation is not None:
        documents = documents.filter(organisation=organisation)
    documents = _search(documents, search)
    if view == "due_soon":
        return documents.order_by("processing_due", "due_date")
    return documents.order_by("-arrived_at")


def incoming_get(*, user: Any, document_id: Any) -> IncomingDocument:
    pk = _uuid(document_id)
    document = (
        IncomingDocument.objects.select_related("organisation", "assigned_unit", "assigned_to", "book", "replaces")
        .filter(pk=pk)
        .first()
        if pk
        else None
    )
    if document is None or not user_can(user, "exchange.view_incoming", document):
        raise NotFound()
    return document


INCOMING_ACTIONS = {
    Incoming.ARRIVED: (("register", "exchange.register_incoming"), ("reject", "exchange.reject_incoming")),
    Incoming.REGISTERED: (("assign", "exchange.assign"),),
    Incoming.ASSIGNED: (("assign", "exchange.assign"), ("start", "exchange.process"), ("finish", "exchange.process")),
    Incoming.PROCESSING: (("finish", "exchange.process"),),
}


def incoming_actions(*, user: Any, document: IncomingDocument) -> list[str]:
    actions = [
        name for name, rule in INCOMING_ACTIONS.get(Incoming(document.status), ()) if user_can(user, rule, document)
    ]
    if ChangeRequest.objects.filter(document=document, state=ChangeRequest.State.PENDING).exists() and user_can(
        user, "exchange.decide_change", document
    ):
        actions.append("decide_change")
    return actions


def incoming_counts(*, user: Any) -> dict[str, int]:
    return {view: incoming_list(user=user, view=view).count() for view in ("to_register", "mine", "due_soon")}


# --- files, books, directory, outbox -------------------------------------------------------------------------------


def file_get(*, user: Any, file_id: Any) -> DocumentFile:
    pk = _uuid(file_id)
    item = DocumentFile.objects.select_related("outgoing", "incoming").filter(pk=pk).first() if pk else None
    if item is None:
        raise NotFound()
    if item.outgoing is not None and user_can(user, "exchange.view_outgoing", item.outgoing):
        return item
    if item.incoming is not None and user_can(user, "exchange.view_incoming", item.incoming):
        return item
    raise NotFound()


def book_list(*, user: Any) -> QuerySet[DocumentBook]:
    """The books of the organisations where the user keeps books (clerks and leaders)."""
    return DocumentBook.objects.filter(
        organisation_id__in=_ids(user, BOOK_KEEPER_ROLES), is_active=True
    ).select_related("organisation")


def book_get(*, user: Any, book_id: Any) -> DocumentBook:
    pk = _uuid(book_id)
    book = DocumentBook.objects.select_related("organisation").filter(pk=pk).first() if pk else None
    if book is None or not user_can(user, "exchange.keep_books", book.organisation):
        raise NotFound()
    return book


def book_entries(*, user: Any, book: DocumentBook, year: int | None = None, search: str = "") -> QuerySet[Any]:
    """The registered documents of a book in a year, in number order (searchable without diacritics)."""
    if not user_can(user, "exchange.keep_books", book.organisation):
        raise NotFound()
    year = year or timezone.localdate().year
    if book.direction == DocumentBook.Direction.OUTGOING:
        entries: QuerySet[Any] = OutgoingDocument.objects.filter(book=book, year=year).order_by("number")
    else:
        entries = IncomingDocument.objects.filter(book=book, year=year).order_by("arrival_number")
    return _search(entries.prefetch_related("recipients") if book.direction == "outgoing" else entries, search)


@dataclass(frozen=True)
class Reachable:
    code: str
    name: str
    node: str  # "" for an agency of this node


def directory_search(*, search: str = "", limit: int = 50) -> list[Reachable]:
    """Organisations a document can be sent to: this node's, and every other node's from the directory."""
    terms = search_terms(search)
    local = served_organisations()
    for term in terms:
        local = local.filter(Q(search_key__contains=term) | Q(code__icontains=term))
    found = [Reachable(code=o.code or "", name=o.name, node="") for o in local[:limit]]
    local_codes = {item.code for item in found} | set(served_organisations().values_list("code", flat=True))
    entries = DirectoryEntry.objects.select_related("node")
    for term in terms:
        entries = entries.filter(Q(search_key__contains=term) | Q(organisation_code__icontains=term))
    for entry in entries.order_by("organisation_code")[:limit]:
        if entry.organisation_code not in local_codes:
            found.append(Reachable(code=entry.organisation_code, name=entry.organisation_name, node=entry.node.node_id))
    return found[:limit]


def outbox_list(*, user: Any, state: str = "") -> QuerySet[OutboxMessage]:
    from motcua.core.exceptions import PermissionDenied

    if not user_can(user, "exchange.run_delivery"):
        raise PermissionDenied()
    messages = OutboxMessage.objects.all()
    if state:
        messages = messages.filter(state=state)
    return messages.order_by("-created_at")


def drafting_organisations(*, user: Any) -> list[Organisation]:
    return organisations_with(user=user, roles=DRAFTER_ROLES)
