"""Who is told what, and how: the one door from the exchange app to the people it concerns.

Today every notice is a log line (a warning or an error, with the document and organisation) and the state the
admin and the officials' pages show. The notifications app (``notifications.services.notify``, being built on
its own branch) must be wired here once merged: each function below names the event, the recipients (the
organisation's document clerks, the assigned official) and the context to pass; nothing else in the exchange
app needs to change.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils import timezone

logger = logging.getLogger(__name__)


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
    OutboxMessage.objects.filter(pk=message.pk, alerted_at__isnull=True).update(alerted_at=timezone.now())


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


def incoming_arrived(*, document: Any) -> None:
    """A document arrived for an organisation: its document clerks register it (event ``exchange.arrived``)."""
    logger.info(
        "incoming document %s from %s for %s waits for registration",
        document.document_id,
        document.sender_code,
        document.organisation_id,
    )


def incoming_assigned(*, document: Any) -> None:
    """A document was assigned: the official (or the unit's head) processes it (event ``exchange.assigned``)."""
    logger.info(
        "incoming document %s assigned to %s",
        document.document_id,
        document.assigned_to_id or document.assigned_unit_id,
    )


def change_requested(*, request: Any) -> None:
    """A sender asks to recall or update a document: the clerks decide (event ``exchange.change_requested``)."""
    logger.info("recall or update of %s requested by its sender", request.document_id)


def status_refusal_received(*, recipient: Any, code: str, description: str) -> None:
    """A recipient rejected a document (02) or a recall (16): the sending clerks see why
    (event ``exchange.rejected``)."""
    logger.warning(
        "recipient %s answered %s for %s: %s", recipient.organisation_code, code, recipient.document_id, description
    )
