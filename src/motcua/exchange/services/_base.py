"""Helpers shared by the exchange services: the moment, who acts, history lines, search keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from motcua.accounts.models import User
from motcua.agencies.models import Position
from motcua.agencies.search import search_fold
from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import InvalidState
from motcua.exchange.models import DocumentEvent, IncomingDocument, OutgoingDocument
from motcua.exchange.rules import positions_in

Document = OutgoingDocument | IncomingDocument

AUDITED_OUTGOING = [
    "status",
    "document_type",
    "notation",
    "number",
    "year",
    "book",
    "document_id",
    "subject",
    "priority",
    "confidentiality",
    "signed_by",
    "registered_by",
]
AUDITED_INCOMING = [
    "status",
    "document_id",
    "sender_code",
    "book",
    "year",
    "arrival_number",
    "assigned_unit",
    "assigned_to",
    "rejection_reason",
]


def moment(at: dt.datetime | None = None) -> dt.datetime:
    return at or timezone.now()


def actor_user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    full_name = getattr(actor, "full_name", "") or ""
    return str(full_name or (actor.get_username() if hasattr(actor, "get_username") else actor))[:200]


def acting_position(actor: Any, organisation_id: Any, roles: frozenset[str] | set[str]) -> Position | None:
    positions = positions_in(actor, organisation_id, roles)
    return positions[0] if positions else None


def audited(document: Document) -> dict[str, Any]:
    fields = AUDITED_OUTGOING if isinstance(document, OutgoingDocument) else AUDITED_INCOMING
    return snapshot(document, fields)


def history_add(
    *,
    document: Document,
    action: str,
    from_status: str,
    actor: Any,
    at: dt.datetime,
    before: dict[str, Any] | None = None,
    note: str = "",
    details: dict[str, Any] | None = None,
) -> DocumentEvent:
    """A history line and its audit event, in the caller's transaction."""
    event = DocumentEvent.objects.create(
        outgoing=document if isinstance(document, OutgoingDocument) else None,
        incoming=document if isinstance(document, IncomingDocument) else None,
        action=action,
        from_status=from_status,
        to_status=document.status,
        actor=actor_user(actor),
        actor_label=actor_label(actor),
        at=at,
        note=note[:1000],
        details=details or {},
    )
    audit_record(
        action=f"exchange.{action}",
        instance=document,
        before=before,
        after={**audited(document), **({"note": note} if note else {}), **(details or {})},
        actor=actor,
    )
    return event


def status_require(document: Document, *allowed: str) -> None:
    """A wrong transition is an error naming the current status, never a silent no-op."""
    if document.status not in allowed:
        raise InvalidState(
            details={"status": document.status, "allowed": list(allowed)},
            code="exchange_wrong_status",
        )


def outgoing_search_key(document: OutgoingDocument) -> str:
    parts = [
        document.subject,
        document.content_summary,
        document.notation,
        document.number_and_notation,
        document.signer_name,
    ]
    parts += [recipient.organisation_name for recipient in document.recipients.all()] if document.pk else []
    return search_fold(" ".join(part for part in parts if part))[:1200]


def incoming_search_key(document: IncomingDocument) -> str:
    parts = [
        document.subject,
        document.content_summary,
        document.number_and_notation,
        document.sender_name,
        document.sender_code,
        document.signer_name,
        str(document.arrival_number or ""),
    ]
    return search_fold(" ".join(part for part in parts if part))[:1200]
