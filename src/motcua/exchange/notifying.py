"""Who is told what, and how: the one door from the exchange app to the people it concerns.

Each function writes a log line (operators' view) and tells the officials concerned through the notifications
app (``notifications.services.notify``: e-mail and in-app inbox, in each official's language); the events are
registered by ``exchange_events_register`` (``ExchangeConfig.ready``), their wording is in
``templates/exchange/notifications/<name>/``. Each is called where the change it reports is written.
"""

from __future__ import annotations

import logging
from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.agencies.models import Role
from motcua.agencies.selectors import organisation_find, position_active_all
from motcua.notifications.events import OFFICIALS, notification_event_register
from motcua.notifications.services import notify

logger = logging.getLogger(__name__)

EVENTS: dict[str, Any] = {
    "exchange.arrived": _("An official document arrived for your organisation"),
    "exchange.assigned": _("An incoming document was assigned to you"),
    "exchange.change_requested": _("A sender asks to recall or update a document"),
    "exchange.rejected": _("A recipient rejected a document or its recall"),
    "exchange.delivery_failed": _("A document could not be delivered"),
    "exchange.delivery_refused": _("A receiving system refused a document"),
}
# Who keeps an organisation's document books (văn thư); its leaders when it has none.
CLERK_ROLES = (Role.DOCUMENT_CLERK,)


def exchange_events_register() -> None:
    for event, label in EVENTS.items():
        notification_event_register(
            event,
            label=label,
            template=f"exchange/notifications/{event.split('.', 1)[1]}",
            channels=("email", "inbox"),
            audience=OFFICIALS,
        )


def _clerks(organisation_code: str) -> list[Any]:
    organisation = organisation_find(reference=organisation_code)
    if organisation is None:
        return []
    positions = position_active_all().filter(organisation=organisation)
    users = {p.user_id: p.user for p in positions.filter(role__in=CLERK_ROLES)}
    if not users:
        users = {p.user_id: p.user for p in positions.filter(role=Role.AGENCY_LEADER)}
    return list(users.values())


def _tell(*, event: str, recipients: list[Any], context: dict[str, Any], link: str, subject_id: str, once: str) -> None:
    if not recipients:
        logger.warning("nobody to tell of %s", event, extra={"event": event, "subject_id": subject_id})
        return
    notify(
        event=event,
        recipients=recipients,
        context=context,
        link=link,
        subject_type="exchange.document",
        subject_id=subject_id,
        dedupe_key=once,
    )


def _outgoing_of(message: Any) -> Any:
    recipient = getattr(message, "recipient", None)
    return recipient.document if recipient is not None else None


def delivery_failed(*, message: Any) -> None:
    """A message was given up after its last attempt: the sending organisation's document clerks must act
    (event ``exchange.delivery_failed``)."""
    from motcua.exchange.models import OutboxMessage

    logger.error(
        "exchange delivery failed: %s %s to %s after %s attempts: %s",
        message.kind,
        message.document_id,
        message.to_code,
        message.attempts,
        message.last_error,
        extra={"message_id": str(message.pk), "document_id": message.document_id, "to": message.to_code},
    )
    alerted = OutboxMessage.objects.filter(pk=message.pk, alerted_at__isnull=True).update(alerted_at=timezone.now())
    if not alerted:
        return
    document = _outgoing_of(message)
    _tell(
        event="exchange.delivery_failed",
        recipients=_clerks(message.from_code),
        context={
            "document_id": message.document_id,
            "subject": document.subject if document is not None else "",
            "to_code": message.to_code,
            "attempts": message.attempts,
            "error": (message.last_error or "")[:500],
        },
        link=reverse("exchange:outgoing_detail", args=[document.pk]) if document is not None else "",
        subject_id=str(document.pk) if document is not None else str(message.pk),
        once=f"exchange.delivery_failed:{message.pk}",
    )


def delivery_refused(*, message: Any, reason: str) -> None:
    """A receiver refused a message (not a status 02 a clerk wrote: a transport-level refusal)."""
    logger.error(
        "exchange message refused: %s %s to %s: %s",
        message.kind,
        message.document_id,
        message.to_code,
        reason,
        extra={"message_id": str(message.pk), "document_id": message.document_id, "to": message.to_code},
    )
    document = _outgoing_of(message)
    _tell(
        event="exchange.delivery_refused",
        recipients=_clerks(message.from_code),
        context={
            "document_id": message.document_id,
            "subject": document.subject if document is not None else "",
            "to_code": message.to_code,
            "reason": (reason or "")[:500],
        },
        link=reverse("exchange:outgoing_detail", args=[document.pk]) if document is not None else "",
        subject_id=str(document.pk) if document is not None else str(message.pk),
        once=f"exchange.delivery_refused:{message.pk}",
    )


def incoming_arrived(*, document: Any) -> None:
    """A document arrived for an organisation: its document clerks register it (event ``exchange.arrived``)."""
    logger.info(
        "incoming document %s from %s for %s waits for registration",
        document.document_id,
        document.sender_code,
        document.organisation_id,
    )
    _tell(
        event="exchange.arrived",
        recipients=_clerks(document.organisation.code),
        context=_incoming_context(document),
        link=reverse("exchange:incoming_detail", args=[document.pk]),
        subject_id=str(document.pk),
        once=f"exchange.arrived:{document.pk}",
    )


def _incoming_context(document: Any) -> dict[str, Any]:
    return {
        "document_id": document.document_id,
        "subject": document.subject,
        "sender_name": document.sender_name,
        "number": "/".join(part for part in (document.code_number, document.code_notation) if part),
        "processing_due": document.processing_due.isoformat() if document.processing_due else "",
    }


def incoming_assigned(*, document: Any) -> None:
    """A document was assigned: the official (or the unit's head) processes it (event ``exchange.assigned``)."""
    logger.info(
        "incoming document %s assigned to %s",
        document.document_id,
        document.assigned_to_id or document.assigned_unit_id,
    )
    if document.assigned_to_id is not None:
        told = [document.assigned_to]
    elif document.assigned_unit_id is not None:
        positions = position_active_all().filter(unit_id=document.assigned_unit_id, role=Role.UNIT_HEAD)
        told = list({p.user_id: p.user for p in positions}.values())
    else:
        told = []
    _tell(
        event="exchange.assigned",
        recipients=told,
        context=_incoming_context(document),
        link=reverse("exchange:incoming_detail", args=[document.pk]),
        subject_id=str(document.pk),
        once=f"exchange.assigned:{document.pk}:{document.assigned_to_id or document.assigned_unit_id}:"
        f"{document.updated_at.isoformat()}",
    )


def change_requested(*, request: Any) -> None:
    """A sender asks to recall or update a document: the clerks decide (event ``exchange.change_requested``)."""
    logger.info("recall or update of %s requested by its sender", request.document_id)
    document = request.document
    _tell(
        event="exchange.change_requested",
        recipients=_clerks(document.organisation.code),
        context={**_incoming_context(document), "kind": int(request.kind), "reason": request.reason},
        link=reverse("exchange:incoming_detail", args=[document.pk]),
        subject_id=str(document.pk),
        once=f"exchange.change_requested:{request.pk}",
    )


def status_refusal_received(*, recipient: Any, code: str, description: str) -> None:
    """A recipient rejected a document (02) or a recall (16): the sending clerks see why
    (event ``exchange.rejected``)."""
    logger.warning(
        "recipient %s answered %s for %s: %s", recipient.organisation_code, code, recipient.document_id, description
    )
    document = recipient.document
    _tell(
        event="exchange.rejected",
        recipients=_clerks(document.organisation.code),
        context={
            "document_id": document.document_id,
            "subject": document.subject,
            "recipient_name": recipient.organisation_name,
            "code": code,
            "description": description[:500],
        },
        link=reverse("exchange:outgoing_detail", args=[document.pk]),
        subject_id=str(document.pk),
        once=f"exchange.rejected:{recipient.pk}:{code}:{recipient.status_at or ''}",
    )
