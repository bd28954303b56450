"""Status packages: the receiver tells the sender where it is with a document, and the sender keeps track.

Sending (the receiving agency): every transition of an incoming document that the standard names queues a
status package in the same transaction (03 registered, 02 rejected, 04 assigned, 05 processing, 06 finished, 15/16
for a recall or update), signed with the node key, addressed to the document's sender, in sequence (one waits for
the earlier ones of its document).

Applying (the sending agency): a status updates the sender's view of that recipient only when it is newer than
what the sender shows: statuses carry the receiver's time (to the second); at the same second the later step of
the progress (01 < 03 < 04 < 05 < 06 < 02) wins. An older status arriving late is kept in the history, marked as
not applied, and never overwrites a newer one. A status delivered twice is recorded once.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from motcua.core.exceptions import NotFound
from motcua.exchange.models import IncomingDocument, OutgoingDocument, Recipient, RecipientStatus
from motcua.exchange.models.delivery import MessageKind
from motcua.exchange.routing import route_for
from motcua.exchange.rules import EXCHANGE_ROLES, positions_in
from motcua.exchange.services._base import actor_label, actor_user
from motcua.exchange.vocabulary import CHANGE_RANK, PROGRESS_RANK, StatusCode

logger = logging.getLogger(__name__)


def staff_of(actor: Any, organisation_id: Any) -> dict[str, str]:
    """StaffInfo of a status: the official's name, unit, e-mail (empty for the system)."""
    user = actor_user(actor)
    if user is None:
        return {}
    positions = positions_in(user, organisation_id, EXCHANGE_ROLES)
    unit = positions[0].unit.name if positions and positions[0].unit is not None else ""
    return {"staff": actor_label(user)[:200], "department": unit[:200], "email": user.email[:200]}


def status_emit(
    *,
    document: IncomingDocument,
    code: str,
    description: str = "",
    actor: Any = None,
    at: dt.datetime | None = None,
) -> None:
    """Queue a status package about a received document for its sender (in the caller's transaction)."""
    from motcua.exchange.packages import status_package_build
    from motcua.exchange.transport.outbox import outbox_add

    route = route_for(document.sender_code)
    if route is None:
        logger.warning("status %s of %s not sent: no node serves %s", code, document.document_id, document.sender_code)
        return
    organisation = document.organisation
    body = status_package_build(
        from_organisation_code=organisation.code or "",
        from_organisation_name=organisation.name,
        document_id=document.document_id,
        document_sender=document.sender_code,
        document_code=document.number_and_notation,
        promulgation_date=document.issued_on,
        code=code,
        description=description,
        staff=staff_of(actor, organisation.pk),
        at=at or timezone.now(),
    )
    outbox_add(
        kind=MessageKind.STATUS,
        from_code=organisation.code or "",
        to_code=document.sender_code,
        document_id=document.document_id,
        body=body,
        route=route,
        order_group=f"status:{document.pk}",
    )


def _rank(code: str) -> int:
    return PROGRESS_RANK.get(StatusCode(code), 0) if code in StatusCode.values else 0


def _newer(*, at: dt.datetime, rank: int, current_at: dt.datetime | None, current_rank: int) -> bool:
    if current_at is None:
        return True
    return (at, rank) > (current_at, current_rank)


def recipient_find(*, document_id: str, document_sender: str, recipient_code: str) -> Recipient:
    document = OutgoingDocument.objects.filter(document_id=document_id, organisation__code=document_sender).first()
    recipient = (
        Recipient.objects.select_for_update().filter(document=document, organisation_code=recipient_code).first()
        if document is not None
        else None
    )
    if recipient is None:
        raise NotFound(
            _("No document sent to this organisation has this identifier."), code="exchange_unknown_document"
        )
    return recipient


@transaction.atomic
def status_apply(
    *,
    document_id: str,
    document_sender: str,
    from_code: str,
    code: str,
    timestamp: dt.datetime,
    description: str = "",
    staff: str = "",
    package: bytes = b"",
    message_id: uuid.UUID | None = None,
    refused_in_transit: bool = False,
) -> RecipientStatus | None:
    """Record a status a recipient sent back, and apply it when it is newer (see the module docstring).

    Returns None when this message was recorded already. ``refused_in_transit`` marks a 02 that answered the
    delivery itself (the package was refused on arrival).
    """
    recipient = recipient_find(document_id=document_id, document_sender=document_sender, recipient_code=from_code)
    if message_id is not None and RecipientStatus.objects.filter(recipient=recipient, message_id=message_id).exists():
        return None
    timestamp = timestamp.replace(microsecond=0)
    change = code in {StatusCode.RECALLED, StatusCode.RECALL_ACCEPTED, StatusCode.RECALL_REFUSED}
    if change:
        applied = _newer(
            at=timestamp,
            rank=CHANGE_RANK[StatusCode(code)],
            current_at=recipient.change_status_at,
            current_rank=CHANGE_RANK.get(StatusCode(recipient.change_status_code), 0)
            if recipient.change_status_code
            else 0,
        )
    else:
        applied = _newer(
            at=timestamp,
            rank=_rank(code),
            current_at=recipient.status_at,
            current_rank=_rank(recipient.status_code) if recipient.status_code else 0,
        )
    try:
        with transaction.atomic():
            row = RecipientStatus.objects.create(
                recipient=recipient,
                status_code=code,
                description=description[:500],
                staff=staff[:200],
                occurred_at=timestamp,
                applied=applied,
                message_id=message_id,
                package=package,
            )
    except IntegrityError:  # the same message, recorded by a concurrent delivery
        return None
    fields: list[str] = []
    if code == StatusCode.ARRIVED and not recipient.receipt:
        # The proof of delivery is kept even when a later status arrived first (relayed along another path).
        recipient.delivery = Recipient.Delivery.DELIVERED
        recipient.delivered_at = timestamp
        recipient.receipt = package
        fields += ["delivery", "delivered_at", "receipt"]
    if code == StatusCode.REJECTED and refused_in_transit:
        recipient.delivery = Recipient.Delivery.REFUSED
        fields.append("delivery")
    if applied and change:
        recipient.change_status_code, recipient.change_status_at = code, timestamp
        fields += ["change_status_code", "change_status_at"]
    elif applied:
        recipient.status_code, recipient.status_at = code, timestamp
        recipient.status_description, recipient.status_staff = description[:500], staff[:200]
        fields += ["status_code", "status_at", "status_description", "status_staff"]
        if recipient.delivery in (Recipient.Delivery.QUEUED, Recipient.Delivery.IN_TRANSIT, Recipient.Delivery.FAILED):
            # A status from the receiver proves the document arrived, whatever became of the receipt.
            recipient.delivery = Recipient.Delivery.DELIVERED
            recipient.delivered_at = recipient.delivered_at or timestamp
            fields += ["delivery", "delivered_at"]
    if fields:
        recipient.save(update_fields=[*dict.fromkeys(fields), "updated_at"])
    if not applied:
        logger.info(
            "status %s of %s for %s arrived after a newer one; kept in the history only",
            code,
            document_id,
            from_code,
        )
    if code in (StatusCode.REJECTED, StatusCode.RECALL_REFUSED):
        from motcua.exchange.notifying import status_refusal_received

        status_refusal_received(recipient=recipient, code=code, description=description)
    return row
