"""Online payments: start one, take the gateway's word (notification, browser return, status query), settle.

Exactly once: every path that changes a transaction locks its request, then the transaction (always in that
order), re-reads their state and moves them only along ``payments.workflow``; a notification id is processed
once (``GatewayNotification``, unique), a retry of it is answered without doing anything, a reused id with other
content or a stale signature is refused. The request goes from open to paid once, and only then are its receipt
numbered and its settlement handler called; a second success for it (two tabs, a counter payment, a cancelled
request) is flagged and refunded automatically. Calls to the gateway happen outside database transactions, so
no row stays locked while a remote server thinks.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from motcua.core.audit import audit_record
from motcua.core.exceptions import Conflict, InvalidState, NotFound, ValidationFailed
from motcua.core.permissions import permission_require
from motcua.notifications.services import link_absolute
from motcua.payments.errors import GatewayUnavailable
from motcua.payments.gateways import (
    REPORTED_EXPIRED,
    REPORTED_FAILED,
    REPORTED_PENDING,
    REPORTED_SUCCEEDED,
    Bill,
    BillLine,
    CallbackAnswer,
    GatewayError,
    NotificationRefused,
    PaymentGateway,
    Report,
    gateway_find,
    gateways_enabled,
)
from motcua.payments.handlers import payment_settlement_handler_get
from motcua.payments.models import (
    CallbackRejection,
    GatewayNotification,
    PaidVia,
    PaymentRequest,
    RequestStatus,
    Transaction,
    TransactionFlag,
    TransactionStatus,
)
from motcua.payments.notifying import PAYMENT_EXPIRED, PAYMENT_FAILED, PAYMENT_SUCCEEDED, payment_notify
from motcua.payments.services._common import (
    GatewayActor,
    event_record,
    now,
    random_code,
    request_lock,
    request_snapshot,
    transaction_lock,
    transaction_snapshot,
    user_or_none,
)
from motcua.payments.services.receipts import receipt_issue
from motcua.payments.services.refunds import refund_automatic
from motcua.payments.services.requests import pay_token_matches
from motcua.payments.workflow import UNSETTLED, transaction_transition_check

logger = logging.getLogger(__name__)
T = TransactionStatus

APPLIED = "applied"
NO_CHANGE = "no_change"
DUPLICATE = "duplicate"
AMOUNT_DIFFERS = "amount_differs"
_ID_ATTEMPTS = 5
# Expired payments are still asked about for this long: a success may come late, and the money was taken.
LATE_SUCCESS_WATCH = dt.timedelta(days=1)
LATE_SUCCESS_INTERVAL = dt.timedelta(minutes=10)


def _gateway(name: str) -> PaymentGateway:
    gateway = gateway_find(name)
    if gateway is None:
        raise ValidationFailed(details={"gateway": [str(_("This payment method is not offered."))]})
    return gateway


def initiator_transaction_id_new(at: dt.datetime) -> str:
    """``MC`` + local ``yyMMdd`` + 12 unambiguous characters (20 in all), unique by constraint."""
    return f"MC{timezone.localtime(at):%y%m%d}{random_code(12)}"


def _payer_scope(actor: Any, request: PaymentRequest, pay_token: str) -> str:
    """Who is paying, for idempotency: the payer's account, or the holder of the pay link."""
    if pay_token:
        if not pay_token_matches(pay_token, request):
            raise NotFound()
        return f"token:{request.pk}"
    permission_require(actor, "payments.pay", request)
    return f"user:{actor.pk}"


def _fingerprint(*values: Any) -> str:
    return hashlib.sha256(json.dumps([str(value) for value in values]).encode()).hexdigest()


def _bill(request: PaymentRequest, txn: Transaction, language: str) -> Bill:
    lines = tuple(
        BillLine(kind=line.kind, code=line.code, name=line.name, amount=line.amount)
        for line in request.lines.all()
        if line.amount > 0
    )
    return Bill(
        initiator_transaction_id=txn.initiator_transaction_id,
        amount=txn.amount,
        created_at=txn.created_at,
        description=request.description or f"{request.procedure_name} – {request.reference}".strip(" –"),
        language=language,
        organisation_code=request.organisation.code or "",
        organisation_name=request.organisation.name,
        reference=request.reference,
        procedure_code=request.procedure_code,
        procedure_name=request.procedure_name,
        payer_name=request.payer_name,
        payer_identifier=request.payer_identifier,
        account_number=request.account_number,
        account_name=request.account_name,
        treasury_code=request.treasury_code,
        treasury_name=request.treasury_name,
        lines=lines,
    )


def _transaction_move(
    *,
    request: PaymentRequest,
    txn: Transaction,
    target: str,
    source: str,
    actor: Any,
    notification_id: str = "",
    details: dict[str, Any] | None = None,
    at: dt.datetime,
) -> str:
    transaction_transition_check(txn.status, target)
    previous = txn.status
    txn.status = target
    event_record(
        request=request,
        transaction=txn,
        from_status=previous,
        to_status=target,
        source=source,
        actor=actor,
        notification_id=notification_id,
        details=details,
        at=at,
    )
    return previous


# ------------------------------------------------------------------------------------------------------ start


def payment_start(
    *,
    actor: Any,
    request: PaymentRequest,
    gateway: str = "",
    return_url: str = "",
    idempotency_key: str = "",
    pay_token: str = "",
    language: str = "vi",
) -> tuple[Transaction, str]:
    """Start paying a request online: a new transaction at the gateway; returns it and the page to send the payer to.

    The payer's account, or whoever holds the pay link (``pay_token``), may pay. With an ``idempotency_key`` a
    retried call returns the same transaction; the same key for another request or gateway is a 409
    ``idempotency_key_reused``. ``return_url`` is a local path where the payer goes after Motcua's return page.
    Not one database transaction: the gateway is called between two, so no row stays locked meanwhile.
    """
    gateway_name = gateway or next(iter(gateways_enabled()), "")
    plugin = _gateway(gateway_name)
    key = (idempotency_key or "").strip()[:200]
    back = (return_url or "").strip()
    if back and (
        len(back) > 500 or not back.startswith("/") or not url_has_allowed_host_and_scheme(back, allowed_hosts=None)
    ):
        raise ValidationFailed(details={"return_url": [str(_("Give a path on this site."))]})
    at = now()
    with transaction.atomic():
        request = request_lock(request.pk)
        scope = _payer_scope(actor, request, pay_token)
        fingerprint = _fingerprint(request.pk, gateway_name, back)
        if key:
            earlier = Transaction.objects.filter(idempotency_scope=scope, idempotency_key=key).first()
            if earlier is not None:
                if earlier.idempotency_fingerprint != fingerprint:
                    raise Conflict(
                        _("This Idempotency-Key was already used for another payment."), code="idempotency_key_reused"
                    )
                return earlier, earlier.payment_url
        if request.status != RequestStatus.OPEN:
            raise InvalidState(
                _("This payment request is no longer awaiting payment."), code="payment_request_not_open"
            )
        if not request.account_number:
            raise InvalidState(
                _("The collecting agency has no treasury account for online payments yet. Please pay at the counter."),
                code="collection_account_missing",
            )
        txn = Transaction(
            request=request,
            gateway=gateway_name,
            amount=request.amount,
            status=T.CREATED,
            expires_at=at + dt.timedelta(minutes=settings.PAYMENT_TIMEOUT_MINUTES),
            return_url=back,
            started_by=user_or_none(actor),
            idempotency_scope=scope if key else "",
            idempotency_key=key,
            idempotency_fingerprint=fingerprint if key else "",
        )
        for attempt in range(_ID_ATTEMPTS):
            txn.initiator_transaction_id = initiator_transaction_id_new(at)
            try:
                with transaction.atomic():
                    txn.save(force_insert=True)
            except IntegrityError:
                if attempt == _ID_ATTEMPTS - 1:
                    raise
                continue
            break
        event_record(request=request, transaction=txn, from_status="", to_status=T.CREATED, source="start", actor=actor)
        audit_record(action="payments.transaction_created", instance=txn, after=transaction_snapshot(txn), actor=actor)

    try:
        started = plugin.start(
            bill=_bill(request, txn, language),
            return_url=link_absolute(reverse("payments:return", args=[txn.pk])),
            callback_url=link_absolute(reverse("payments:callback", args=[gateway_name])),
        )
    except GatewayError as error:
        logger.warning("payment gateway refused to start %s: %s", txn.initiator_transaction_id, error)
        with transaction.atomic():
            request = request_lock(request.pk)
            txn = transaction_lock(txn.pk)
            if txn.status == T.CREATED:
                before = transaction_snapshot(txn)
                txn.failure_reason = str(error)[:300]
                _transaction_move(
                    request=request, txn=txn, target=T.FAILED, source="gateway", actor=actor, at=now(), details={}
                )
                txn.save()
                audit_record(
                    action="payments.transaction_failed",
                    instance=txn,
                    before=before,
                    after=transaction_snapshot(txn),
                    actor=actor,
                )
        raise GatewayUnavailable() from error

    with transaction.atomic():
        request = request_lock(request.pk)
        txn = transaction_lock(txn.pk)
        before = transaction_snapshot(txn)
        txn.payment_url = started.payment_url[:1000]
        txn.gateway_transaction_id = txn.gateway_transaction_id or started.gateway_transaction_id[:80]
        if txn.status == T.CREATED:  # a notification may already have moved it
            _transaction_move(request=request, txn=txn, target=T.PENDING, source="start", actor=actor, at=now())
        txn.save()
        audit_record(
            action="payments.transaction_started",
            instance=txn,
            before=before,
            after=transaction_snapshot(txn),
            actor=actor,
        )
    return txn, txn.payment_url


# ------------------------------------------------------------------------------------------------------ settle


def request_settle(
    *, request: PaymentRequest, txn: Transaction | None, paid_via: str, actor: Any, at: dt.datetime
) -> None:
    """Open → paid, once: the receipt is numbered, the purpose's handler runs, the payer is told. The caller
    holds the request's lock and writes the audit events after this (see ``receipt_issue``)."""
    previous = request.status
    request.status = RequestStatus.PAID
    request.paid_at = at
    request.paid_via = paid_via
    request.settled_transaction = txn
    event_record(
        request=request,
        transaction=txn,
        from_status=previous,
        to_status=RequestStatus.PAID,
        source="settlement",
        actor=actor,
        at=at,
    )
    receipt_issue(request=request, at=at, actor=actor)
    handler = payment_settlement_handler_get(request.purpose)
    if handler is None:
        logger.error("no settlement handler for purpose %s (request %s)", request.purpose, request.code)
    else:
        handler(request, txn)
    payment_notify(event=PAYMENT_SUCCEEDED, request=request, transaction=txn)


def _report_apply(
    *,
    request: PaymentRequest,
    txn: Transaction,
    report: Report,
    source: str,
    actor: Any,
    notification_id: str = "",
) -> str:
    """Move a locked transaction (and its locked request) to what the gateway reports, if that is news.

    Returns ``APPLIED``, ``NO_CHANGE`` (the report is old news or out of order) or ``AMOUNT_DIFFERS``.
    """
    at = now()
    txn_before, request_before = transaction_snapshot(txn), request_snapshot(request)
    if report.gateway_transaction_id and not txn.gateway_transaction_id:
        txn.gateway_transaction_id = report.gateway_transaction_id[:80]
    details = {"reported": report.status}
    outcome = NO_CHANGE
    audits: list[tuple[str, Any, Any, Any]] = []
    if report.status == REPORTED_SUCCEEDED:
        if report.amount is not None and report.amount != txn.amount:
            if txn.flag != TransactionFlag.AMOUNT_MISMATCH:
                txn.flag = TransactionFlag.AMOUNT_MISMATCH
                txn.failure_reason = f"reported {report.amount} đồng, asked {txn.amount}"
                txn.save(update_fields=["flag", "failure_reason", "gateway_transaction_id", "updated_at"])
                audit_record(
                    action="payments.transaction_flagged",
                    instance=txn,
                    before=txn_before,
                    after=transaction_snapshot(txn),
                    actor=actor,
                )
            return AMOUNT_DIFFERS
        if txn.status in (T.SUCCEEDED, T.REFUNDED):
            return NO_CHANGE
        _transaction_move(
            request=request,
            txn=txn,
            target=T.SUCCEEDED,
            source=source,
            actor=actor,
            notification_id=notification_id,
            details=details,
            at=at,
        )
        txn.paid_at = report.paid_at or at
        txn.bank_code = report.bank_code[:20]
        txn.settled_at = at
        if request.status == RequestStatus.OPEN:
            request_settle(request=request, txn=txn, paid_via=PaidVia.GATEWAY, actor=actor, at=at)
            request.save()
            audits.append(("payments.request_paid", request, request_before, request_snapshot(request)))
        else:
            # Paid already (another tab, the counter) or cancelled: the money goes back.
            txn.flag = (
                TransactionFlag.LATE_AFTER_CANCEL
                if request.status == RequestStatus.CANCELLED
                else TransactionFlag.DUPLICATE_PAYMENT
            )
            txn.save()
            refund_automatic(request=request, txn=txn, actor=actor)
        txn.save()
        audits.insert(0, ("payments.transaction_succeeded", txn, txn_before, transaction_snapshot(txn)))
        outcome = APPLIED
    elif report.status in (REPORTED_FAILED, REPORTED_EXPIRED):
        if txn.status not in UNSETTLED:
            return NO_CHANGE
        target = T.FAILED if report.status == REPORTED_FAILED else T.EXPIRED
        _transaction_move(
            request=request,
            txn=txn,
            target=target,
            source=source,
            actor=actor,
            notification_id=notification_id,
            details=details,
            at=at,
        )
        txn.save()
        payment_notify(
            event=PAYMENT_FAILED if target == T.FAILED else PAYMENT_EXPIRED, request=request, transaction=txn
        )
        audits.append((f"payments.transaction_{target}", txn, txn_before, transaction_snapshot(txn)))
        outcome = APPLIED
    elif report.status == REPORTED_PENDING:
        if txn.status != T.CREATED:
            return NO_CHANGE
        _transaction_move(
            request=request,
            txn=txn,
            target=T.PENDING,
            source=source,
            actor=actor,
            notification_id=notification_id,
            details=details,
            at=at,
        )
        txn.save()
        audits.append(("payments.transaction_pending", txn, txn_before, transaction_snapshot(txn)))
        outcome = APPLIED
    # A "refunded" report is old news: refunds are Motcua's own calls, recorded when the gateway answers them.
    for action, instance, before, after in audits:
        audit_record(action=action, instance=instance, before=before, after=after, actor=actor)
    return outcome


# ------------------------------------------------------------------------------------------------------ callbacks


def _rejection_log(
    *, gateway: str, reason: str, notification_id: str = "", detail: str = "", client_address: str | None = None
) -> None:
    """Keep a refused (or duplicate) callback in the security log: its own row, whatever the caller does next."""
    level = logging.INFO if reason == CallbackRejection.Reason.DUPLICATE else logging.WARNING
    logger.log(level, "payment callback %s from %s: %s %s", reason, client_address, notification_id, detail)
    with transaction.atomic():
        CallbackRejection.objects.create(
            gateway=gateway[:30],
            notification_id=notification_id[:80],
            reason=reason,
            received_at=now(),
            client_address=client_address,
            detail=detail[:300],
        )


def payment_callback_handle(
    *, gateway: str, body: bytes, content_type: str = "application/json", client_address: str | None = None
) -> CallbackAnswer:
    """A gateway's server-to-server notification: checked (signature in constant time, time window, notification
    id never processed before), then applied once. Duplicates are answered as received so the gateway stops
    retrying; anything refused changes nothing and is kept in ``CallbackRejection``."""
    plugin = gateway_find(gateway)
    if plugin is None:
        _rejection_log(gateway=gateway, reason="malformed", detail="unknown gateway", client_address=client_address)
        return CallbackAnswer(404, {"code": "not_found"})
    try:
        notification = plugin.notification_parse(body=body, content_type=content_type)
        window = dt.timedelta(seconds=settings.PAYMENT_CALLBACK_WINDOW_SECONDS)
        if abs(now() - notification.signed_at) > window:
            raise NotificationRefused(
                "stale", "signed outside the window", notification_id=notification.notification_id
            )
        with transaction.atomic():
            outcome = _notification_apply(gateway=gateway, notification=notification)
    except NotificationRefused as refused:
        _rejection_log(
            gateway=gateway,
            reason=refused.reason,
            notification_id=refused.notification_id,
            detail=str(refused),
            client_address=client_address,
        )
        return plugin.notification_answer(accepted=False, reason=refused.reason)
    if outcome == DUPLICATE:
        _rejection_log(
            gateway=gateway,
            reason=CallbackRejection.Reason.DUPLICATE,
            notification_id=notification.notification_id,
            client_address=client_address,
        )
    elif outcome == AMOUNT_DIFFERS:
        _rejection_log(
            gateway=gateway,
            reason=CallbackRejection.Reason.AMOUNT_DIFFERS,
            notification_id=notification.notification_id,
            detail=f"{notification.report.initiator_transaction_id}: {notification.report.amount}",
            client_address=client_address,
        )
        return plugin.notification_answer(accepted=False, reason="amount_differs")
    return plugin.notification_answer(accepted=True)


def _notification_apply(*, gateway: str, notification: Any) -> str:
    report: Report = notification.report
    found = (
        Transaction.objects.filter(gateway=gateway, initiator_transaction_id=report.initiator_transaction_id)
        .values("pk", "request_id")
        .first()
    )
    if found is None:
        raise NotificationRefused(
            "unknown_transaction", "no such transaction", notification_id=notification.notification_id
        )
    request = request_lock(found["request_id"])
    txn = transaction_lock(found["pk"])
    seen = GatewayNotification.objects.filter(gateway=gateway, notification_id=notification.notification_id).first()
    if seen is not None:
        if seen.digest != notification.digest:
            raise NotificationRefused(
                "replayed", "notification id reused with other content", notification_id=notification.notification_id
            )
        return DUPLICATE
    outcome = _report_apply(
        request=request,
        txn=txn,
        report=report,
        source="callback",
        actor=GatewayActor(gateway),
        notification_id=notification.notification_id,
    )
    if outcome == AMOUNT_DIFFERS:
        return outcome  # not recorded as processed: the gateway keeps telling until people sort it out
    GatewayNotification.objects.create(
        gateway=gateway,
        notification_id=notification.notification_id,
        digest=notification.digest,
        transaction=txn,
        received_at=now(),
        outcome=outcome,
    )
    return outcome


# ------------------------------------------------------------------------------------------------------ return


def payment_return_handle(
    *, transaction_id: uuid.UUID, query: Mapping[str, str], client_address: str | None = None
) -> Transaction:
    """The payer's browser is back from the gateway. Its signed parameters are checked but never believed
    alone: while the transaction is unsettled Motcua asks the gateway itself (``payment_status_sync``)."""
    txn = Transaction.objects.filter(pk=transaction_id).first()
    if txn is None:
        raise NotFound()
    plugin = gateway_find(txn.gateway)
    if plugin is not None:
        try:
            report = plugin.return_parse(query=query)
            if report.initiator_transaction_id != txn.initiator_transaction_id:
                raise NotificationRefused("malformed", "the return names another transaction")
        except NotificationRefused as refused:
            _rejection_log(
                gateway=txn.gateway, reason=refused.reason, detail=f"return: {refused}", client_address=client_address
            )
    if txn.status in UNSETTLED:
        txn = payment_status_sync(transaction=txn)
    return txn


# ------------------------------------------------------------------------------------------------------ status


def payment_status_sync(*, transaction: Transaction) -> Transaction:
    """Ask the gateway what became of a transaction and apply it; expire it if it is past its time and the
    gateway has nothing better to say. An unreachable gateway changes nothing but the time of the last try."""
    txn = transaction
    plugin = gateway_find(txn.gateway)
    report: Report | None = None
    unknown = False
    if plugin is not None:
        try:
            report = plugin.status_query(initiator_transaction_id=txn.initiator_transaction_id)
        except GatewayError as error:
            unknown = error.code == "unknown_transaction"
            if not unknown:
                logger.warning("status query of %s failed: %s", txn.initiator_transaction_id, error)
    actor = GatewayActor(txn.gateway)
    reachable = report is not None or unknown
    with _atomic():
        request = request_lock(txn.request_id)
        txn = transaction_lock(txn.pk)
        if report is not None:
            _report_apply(request=request, txn=txn, report=report, source="status_query", actor=actor)
        at = now()
        if reachable and txn.status in UNSETTLED and txn.expires_at <= at:
            before = transaction_snapshot(txn)
            target = T.EXPIRED
            _transaction_move(
                request=request,
                txn=txn,
                target=target,
                source="expiry",
                actor=actor,
                details={"gateway_knows_it": not unknown},
                at=at,
            )
            payment_notify(event=PAYMENT_EXPIRED, request=request, transaction=txn)
            txn.last_checked_at = at
            txn.save()
            audit_record(
                action="payments.transaction_expired",
                instance=txn,
                before=before,
                after=transaction_snapshot(txn),
                actor=actor,
            )
        else:
            Transaction.objects.filter(pk=txn.pk).update(last_checked_at=at)
            txn.last_checked_at = at
    return txn


def _atomic() -> Any:
    return transaction.atomic()


def payments_status_sweep(*, limit: int = 200, at: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job: ask about payments whose browser never came back (and expire them when their time is
    up), and keep asking about expired ones for a day in case a success comes late. Returns counts."""
    at = at or now()
    quiet = at - dt.timedelta(seconds=settings.PAYMENT_STATUS_QUERY_AFTER_SECONDS)
    waiting = Transaction.objects.filter(status__in=UNSETTLED, created_at__lte=quiet).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=quiet) | Q(expires_at__lte=at)
    )
    late = Transaction.objects.filter(status=T.EXPIRED, expires_at__gte=at - LATE_SUCCESS_WATCH).filter(
        Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=at - LATE_SUCCESS_INTERVAL)
    )
    counts = {"checked": 0, "succeeded": 0, "expired": 0, "failed": 0}
    for txn in [*waiting.order_by("created_at")[:limit], *late.order_by("expires_at")[:limit]]:
        result = payment_status_sync(transaction=txn)
        counts["checked"] += 1
        if result.status in (T.SUCCEEDED, T.EXPIRED, T.FAILED) and result.status != txn.status:
            counts[str(result.status)] += 1
    return counts
