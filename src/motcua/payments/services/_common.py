"""Shared machinery of the payment services: actors, locks, history rows, codes and audit snapshots."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.utils import timezone

from motcua.core.audit import snapshot
from motcua.payments.models import PaymentEvent, PaymentRequest, Transaction

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud at a counter, typed from a slip

REQUEST_AUDITED = [
    "code",
    "status",
    "amount",
    "paid_at",
    "paid_via",
    "settled_transaction",
    "paper_receipt_number",
    "cancelled_at",
    "cancel_reason",
    "refunded_at",
]
TRANSACTION_AUDITED = [
    "initiator_transaction_id",
    "gateway_transaction_id",
    "gateway",
    "amount",
    "status",
    "paid_at",
    "bank_code",
    "settled_at",
    "failure_reason",
    "flag",
]


class GatewayActor:
    """A payment gateway acting through a verified notification: named in the audit trail, never a user, and
    never allowed anything by a permission rule (services it calls do not check user permissions)."""

    is_authenticated = True
    is_active = True
    is_superuser = False
    pk = None

    def __init__(self, gateway: str) -> None:
        self.gateway = gateway

    def get_username(self) -> str:
        return f"gateway:{self.gateway}"

    def __str__(self) -> str:
        return self.get_username()


def actor_label(actor: Any) -> str:
    if actor is None:
        return "system"
    if not getattr(actor, "is_authenticated", False):
        return "anonymous"  # a payer without an account, through the pay link
    if hasattr(actor, "get_username"):
        return str(actor.get_username())[:200]
    return str(actor)[:200]


def user_or_none(actor: Any) -> Any:
    from motcua.accounts.models import User

    return actor if isinstance(actor, User) else None


def now() -> dt.datetime:
    return timezone.now()


def random_code(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _index in range(length))


def request_lock(request_id: Any) -> PaymentRequest:
    return PaymentRequest.objects.select_for_update().select_related("organisation").get(pk=request_id)


def transaction_lock(transaction_id: Any) -> Transaction:
    return Transaction.objects.select_for_update().get(pk=transaction_id)


def event_record(
    *,
    request: PaymentRequest,
    transaction: Transaction | None = None,
    from_status: str,
    to_status: str,
    source: str,
    actor: Any,
    notification_id: str = "",
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> PaymentEvent:
    """One history row; the request is locked by the caller, so the numbering has no gaps nor doubles."""
    request.last_event_sequence += 1
    PaymentRequest.objects.filter(pk=request.pk).update(last_event_sequence=request.last_event_sequence)
    return PaymentEvent.objects.create(
        request=request,
        transaction=transaction,
        sequence=request.last_event_sequence,
        occurred_at=at or now(),
        from_status=from_status,
        to_status=to_status,
        source=source,
        notification_id=notification_id[:80],
        actor_label=actor_label(actor),
        details=details or {},
    )


def request_snapshot(request: PaymentRequest) -> dict[str, Any]:
    return snapshot(request, REQUEST_AUDITED)


def transaction_snapshot(transaction: Transaction) -> dict[str, Any]:
    return snapshot(transaction, TRANSACTION_AUDITED)
