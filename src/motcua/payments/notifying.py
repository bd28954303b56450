"""Every place where payments tells someone something, behind one function.

The notifications app is being built at the same time (``notifications.services.notify(*, event, recipients,
context, link, ...)``, called inside the transaction). Until it is wired here, ``payment_notify`` records what
would be sent in the log, so the callers (requested, succeeded, failed, expired, refunded) are already in the
right transactions and nothing else has to change when it is.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

# The events payments raises (notification templates are keyed by them).
PAYMENT_REQUESTED = "payments.requested"
PAYMENT_SUCCEEDED = "payments.succeeded"
PAYMENT_FAILED = "payments.failed"
PAYMENT_EXPIRED = "payments.expired"
PAYMENT_REFUNDED = "payments.refunded"
EVENTS = (PAYMENT_REQUESTED, PAYMENT_SUCCEEDED, PAYMENT_FAILED, PAYMENT_EXPIRED, PAYMENT_REFUNDED)


def payment_notify(*, event: str, request: Any, transaction: Any = None, refund: Any = None) -> None:
    """Tell the payer (by account, or by the contact the integration gave) about a payment event.

    Called inside the transaction that made the change. TODO(notifications): call
    ``notifications.services.notify(event=event, recipients=[request.payer_user], context=..., link=...)``.
    """
    if event not in EVENTS:
        raise ValueError(f"unknown payment event {event}")
    logger.info(
        "payment notification %s for %s",
        event,
        request.code,
        extra={
            "payment_request": str(request.pk),
            "transaction": str(getattr(transaction, "pk", "") or ""),
            "refund": str(getattr(refund, "pk", "") or ""),
        },
    )
