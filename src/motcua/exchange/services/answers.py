"""What the next node answered to a message of the outbox, and what it changes.

- 200 with a status package (XML): the receiver's signed technical receipt (01); the sender keeps it as proof of
  delivery. A hub relaying the message passes the receipt back to the message's origin.
- 202 (JSON): a hub took the message to relay it; the receipt comes later as a status package.
- 200 (JSON) for a status package: applied.
- 422 with a status package (XML): the receiver refused the package and answered with a signed 02 saying why.
- any other 4xx: refused without a status (unknown recipient, a package for another node...), final.
"""

from __future__ import annotations

import json
import logging
import uuid

from django.db import transaction
from django.utils import timezone

from motcua.core.exceptions import MotcuaError
from motcua.exchange.identity import node_id
from motcua.exchange.models import OutboxMessage, Recipient
from motcua.exchange.models.delivery import MessageKind
from motcua.exchange.routing import route_for
from motcua.exchange.transport.wire import Answer

logger = logging.getLogger(__name__)

State = OutboxMessage.State
RECEIPT_NAMESPACE = uuid.UUID("3b0f6c1e-4f55-4d7e-9a57-5d2f0b8c9e11")


def _error_text(answer: Answer) -> str:
    try:
        data = json.loads(answer.body)
        return f"HTTP {answer.status} {data.get('code', '')}: {data.get('message', '')}"[:1000]
    except (ValueError, AttributeError):
        return f"HTTP {answer.status}: {answer.body[:300]!r}"


def _relay_back(message: OutboxMessage, answer: Answer) -> None:
    """A hub passes the receiver's signed answer (01 or 02) back to where the package came from."""
    from motcua.exchange.transport.outbox import outbox_add

    route = route_for(message.from_code)
    if route is None:
        logger.error("cannot pass the answer to %s back: no node serves it", message.from_code)
        return
    outbox_add(
        kind=MessageKind.STATUS,
        from_code=message.to_code,
        to_code=message.from_code,
        document_id=message.document_id,
        body=answer.body,
        route=route,
        origin_node=node_id(),
        message_id=uuid.uuid5(RECEIPT_NAMESPACE, str(message.pk)),
    )


def _receipt_apply(message: OutboxMessage, answer: Answer, *, refused: bool) -> str:
    """Read and apply the receipt (01) or refusal (02) the receiver signed; returns an error text or ""."""
    from motcua.exchange.packages import Refusal, status_package_read
    from motcua.exchange.services.statuses import status_apply
    from motcua.exchange.transport.inbound import node_fingerprints_for

    try:
        status = status_package_read(
            answer.body, received_at=timezone.now(), node_fingerprints=node_fingerprints_for(message.to_code)
        )
        if status.from_code != message.to_code or status.document_id != message.document_id:
            return "the receipt is about another document or from another organisation"
        status_apply(
            document_id=status.document_id,
            document_sender=status.document_sender,
            from_code=status.from_code,
            code=status.code,
            timestamp=status.timestamp,
            description=status.description,
            staff=status.staff,
            package=answer.body,
            refused_in_transit=refused,
        )
    except Refusal as refusal:
        return f"receipt not accepted: {refusal.reason}"
    except MotcuaError as error:
        return f"receipt not applied: {error.message}"
    return ""


@transaction.atomic
def answer_apply(*, message: OutboxMessage, answer: Answer) -> str:
    """Record the answer to ``message`` and act on it; returns the message's new state."""
    row = OutboxMessage.objects.select_for_update().get(pk=message.pk)
    if row.state in (State.SENT, State.REFUSED):
        return str(row.state)  # answered already (a lease that ran out while the first answer was recorded)
    now = timezone.now()
    refused = not (200 <= answer.status < 300)
    row.state = State.REFUSED if refused else State.SENT
    row.sent_at = now
    row.response_status = answer.status
    row.response = answer.body[:1_000_000]
    row.last_error = _error_text(answer) if refused and not answer.is_xml else ""
    recipient = Recipient.objects.select_for_update().filter(pk=row.recipient_id).first() if row.recipient_id else None
    if answer.is_xml:
        if row.relayed_from_id is not None:
            _relay_back(row, answer)
        elif recipient is not None:
            problem = _receipt_apply(row, answer, refused=refused)
            if problem:
                row.last_error = problem[:4000]
                logger.error("answer to %s not applied: %s", row.pk, problem)
    elif recipient is not None:
        recipient.refresh_from_db()
        if refused:
            recipient.delivery, recipient.last_error = Recipient.Delivery.REFUSED, row.last_error[:1000]
            recipient.save(update_fields=["delivery", "last_error", "updated_at"])
        elif recipient.delivery == Recipient.Delivery.QUEUED:
            recipient.delivery = Recipient.Delivery.IN_TRANSIT
            recipient.save(update_fields=["delivery", "updated_at"])
    row.save(update_fields=["state", "sent_at", "response_status", "response", "last_error"])
    if refused:
        from motcua.exchange.notifying import delivery_refused

        delivery_refused(message=row, reason=row.last_error or _error_text(answer))
    return str(row.state)


@transaction.atomic
def message_failed(*, message: OutboxMessage) -> None:
    """A message was given up: its recipient shows it and the organisation's clerks are alerted."""
    if message.recipient_id is not None:
        Recipient.objects.filter(pk=message.recipient_id).exclude(delivery=Recipient.Delivery.DELIVERED).update(
            delivery=Recipient.Delivery.FAILED, last_error=message.last_error[:1000], updated_at=timezone.now()
        )
    from motcua.exchange.notifying import delivery_failed

    delivery_failed(message=message)
