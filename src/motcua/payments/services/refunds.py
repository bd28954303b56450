"""Refunds (hoàn trả phí, lệ phí): of the fee when a paid dossier is refused where the procedure says so, and of
payments a request did not need (paid twice, or after it was cancelled).

Through a gateway a refund is recorded first, in the caller's transaction, and sent to the gateway only after
that transaction commits (a rolled-back refusal never gives money back); the gateway's answer is applied in a
new transaction. Gateways refund idempotently on the refund id, so a retry (the periodic job) never pays twice.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from motcua.core.audit import audit_record, snapshot
from motcua.core.exceptions import InvalidState, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.payments.gateways import GatewayError, gateway_find
from motcua.payments.models import (
    PaidVia,
    PaymentRequest,
    Refund,
    RequestStatus,
    Transaction,
    TransactionFlag,
    TransactionStatus,
)
from motcua.payments.notifying import PAYMENT_REFUNDED, payment_notify
from motcua.payments.services._common import (
    actor_label,
    event_record,
    now,
    random_code,
    request_lock,
    request_snapshot,
    transaction_lock,
    transaction_snapshot,
)
from motcua.payments.workflow import request_transition_check, transaction_transition_check

logger = logging.getLogger(__name__)
REFUND_AUDITED = ["refund_id", "kind", "via", "amount", "status", "attempts", "last_error", "completed_at"]


def _refund_id_new() -> str:
    return f"HT{random_code(18)}"


def _enqueue(refund: Refund) -> None:
    from motcua.payments.tasks import payment_refund_execute_task

    refund_id = str(refund.pk)
    transaction.on_commit(lambda: payment_refund_execute_task.enqueue(refund_id))


def refund_automatic(*, request: PaymentRequest, txn: Transaction, actor: Any) -> Refund:
    """Give back a payment the request did not need (the caller has flagged the transaction and holds the locks)."""
    reason = str(
        _("Paid after the request was cancelled.")
        if txn.flag == TransactionFlag.LATE_AFTER_CANCEL
        else _("The request had already been paid.")
    )
    refund = Refund.objects.create(
        request=request,
        transaction=txn,
        refund_id=_refund_id_new(),
        kind=Refund.Kind.DUPLICATE,
        via=PaidVia.GATEWAY,
        amount=txn.amount,
        reason=reason,
        requested_by_label=actor_label(actor),
    )
    audit_record(
        action="payments.refund_requested", instance=refund, after=snapshot(refund, REFUND_AUDITED), actor=actor
    )
    _enqueue(refund)
    return refund


@transaction.atomic
def payment_refund(*, actor: Any, request: PaymentRequest, reason: str) -> Refund:
    """Refund the fee of a paid request that says it is refundable (the procedure provides a refund when the
    dossier is refused). Online: through the gateway that took the money, after this transaction commits; at
    the counter: recorded as handed back in cash now. Only one refund of a request is ever in progress."""
    request = request_lock(request.pk)
    permission_require(actor, "payments.refund", request)
    text = " ".join(str(reason or "").split())
    if not text or len(text) > 500:
        raise ValidationFailed(details={"reason": [str(_("Give the reason in at most 500 characters."))]})
    request_transition_check(request.status, RequestStatus.REFUNDED)
    if not request.refundable:
        raise InvalidState(_("The fees of this request are not refundable."), code="payment_not_refundable")
    if request.refunds.filter(kind=Refund.Kind.REQUEST).exclude(status=Refund.Status.FAILED).exists():
        raise InvalidState(_("A refund of this request is already in progress."), code="payment_refund_in_progress")
    at = now()
    txn = request.settled_transaction if request.paid_via == PaidVia.GATEWAY else None
    if txn is not None:
        txn = transaction_lock(txn.pk)
    refund = Refund.objects.create(
        request=request,
        transaction=txn,
        refund_id=_refund_id_new(),
        kind=Refund.Kind.REQUEST,
        via=PaidVia.GATEWAY if txn is not None else PaidVia.COUNTER,
        amount=request.amount,
        reason=text,
        requested_by_label=actor_label(actor),
    )
    if txn is None:
        # Cash handed back at the counter: done now.
        before = request_snapshot(request)
        refund.status = Refund.Status.SUCCEEDED
        refund.completed_at = at
        refund.save(update_fields=["status", "completed_at", "updated_at"])
        _request_refunded(request=request, refund=refund, actor=actor, at=at)
        audit_record(
            action="payments.refund_completed", instance=refund, after=snapshot(refund, REFUND_AUDITED), actor=actor
        )
        audit_record(
            action="payments.request_refunded",
            instance=request,
            before=before,
            after=request_snapshot(request),
            actor=actor,
        )
        return refund
    audit_record(
        action="payments.refund_requested", instance=refund, after=snapshot(refund, REFUND_AUDITED), actor=actor
    )
    _enqueue(refund)
    return refund


def _request_refunded(*, request: PaymentRequest, refund: Refund, actor: Any, at: Any) -> None:
    request_transition_check(request.status, RequestStatus.REFUNDED)
    request.status = RequestStatus.REFUNDED
    request.refunded_at = at
    request.save(update_fields=["status", "refunded_at", "updated_at"])
    event_record(
        request=request,
        from_status=RequestStatus.PAID,
        to_status=RequestStatus.REFUNDED,
        source="refund",
        actor=actor,
        details={"refund": refund.refund_id, "via": refund.via},
        at=at,
    )
    payment_notify(event=PAYMENT_REFUNDED, request=request, refund=refund)


def payment_refund_execute(*, refund_id: Any) -> Refund:
    """Send a requested refund to its gateway and apply the answer (the task and the retry job call this)."""
    refund = Refund.objects.select_related("transaction").get(pk=refund_id)
    if refund.status != Refund.Status.REQUESTED or refund.transaction is None:
        return refund
    txn = refund.transaction
    plugin = gateway_find(txn.gateway)
    error_text = ""
    if plugin is None:
        error_text = f"gateway {txn.gateway} is not enabled"
    else:
        try:
            plugin.refund(
                initiator_transaction_id=txn.initiator_transaction_id,
                refund_id=refund.refund_id,
                amount=refund.amount,
                reason=refund.reason,
            )
        except GatewayError as error:
            error_text = str(error)
    with transaction.atomic():
        request = request_lock(refund.request_id)
        txn = transaction_lock(txn.pk)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.Status.REQUESTED:
            return refund
        at = now()
        before = snapshot(refund, REFUND_AUDITED)
        refund.attempts += 1
        actor = None
        if error_text:
            logger.warning("refund %s failed: %s", refund.refund_id, error_text)
            refund.last_error = error_text[:300]
            if refund.attempts >= settings.PAYMENT_REFUND_MAX_ATTEMPTS:
                refund.status = Refund.Status.FAILED
                txn_before = transaction_snapshot(txn)
                txn.flag = TransactionFlag.REFUND_FAILED
                txn.save(update_fields=["flag", "updated_at"])
                audit_record(
                    action="payments.transaction_flagged",
                    instance=txn,
                    before=txn_before,
                    after=transaction_snapshot(txn),
                    actor=actor,
                )
            refund.save()
            audit_record(
                action="payments.refund_attempt_failed",
                instance=refund,
                before=before,
                after=snapshot(refund, REFUND_AUDITED),
                actor=actor,
            )
            return refund
        refund.status = Refund.Status.SUCCEEDED
        refund.completed_at = at
        refund.last_error = ""
        refund.save()
        txn_before = transaction_snapshot(txn)
        transaction_transition_check(txn.status, TransactionStatus.REFUNDED)
        txn.status = TransactionStatus.REFUNDED
        txn.save(update_fields=["status", "updated_at"])
        event_record(
            request=request,
            transaction=txn,
            from_status=TransactionStatus.SUCCEEDED,
            to_status=TransactionStatus.REFUNDED,
            source="refund",
            actor=actor,
            details={"refund": refund.refund_id},
            at=at,
        )
        request_before = request_snapshot(request)
        if refund.kind == Refund.Kind.REQUEST:
            _request_refunded(request=request, refund=refund, actor=actor, at=at)
        else:
            payment_notify(event=PAYMENT_REFUNDED, request=request, transaction=txn, refund=refund)
        audit_record(
            action="payments.refund_completed", instance=refund, before=before, after=snapshot(refund, REFUND_AUDITED)
        )
        audit_record(
            action="payments.transaction_refunded", instance=txn, before=txn_before, after=transaction_snapshot(txn)
        )
        if refund.kind == Refund.Kind.REQUEST:
            audit_record(
                action="payments.request_refunded",
                instance=request,
                before=request_before,
                after=request_snapshot(request),
            )
        return refund


def payments_refunds_retry(*, limit: int = 100) -> int:
    """The periodic job: send again the refunds still waiting for their gateway."""
    from datetime import timedelta

    quiet = now() - timedelta(seconds=settings.PAYMENT_STATUS_QUERY_AFTER_SECONDS)
    waiting = Refund.objects.filter(status=Refund.Status.REQUESTED, via=PaidVia.GATEWAY, updated_at__lte=quiet)
    count = 0
    for refund in waiting.order_by("created_at")[:limit]:
        payment_refund_execute(refund_id=refund.pk)
        count += 1
    return count
