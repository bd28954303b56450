"""The durable outbox: messages are written with the change that makes them, delivered later, exactly once.

The approach is the national portal outbox's (dossiers.national_portal.outbox):

- ``outbox_add`` runs inside the caller's transaction (sending a document, registering a received one...), so a
  change and its messages commit or roll back together; a delivery task is enqueued after the commit, and the
  periodic sweep (``motcua scheduler``) catches anything whose task was lost;
- messages of one order group (the statuses of one received document, the packages of one document for one
  recipient) leave in sequence: one waits while an earlier one of its group is still pending;
- a worker claims due messages under ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's write lock
  serialises claims), leases them by moving ``next_attempt_at`` past ``MOTCUA_EXCHANGE_LEASE_SECONDS``, then
  sends outside the transaction; a worker that dies mid-send only delays the message until the lease ends, and
  the receiver deduplicates on the message id, so the document is created once;
- an unreachable node (network, timeout, 5xx) means another attempt after an exponential back-off with jitter,
  up to ``MOTCUA_EXCHANGE_MAX_ATTEMPTS``; then the message is given up ("failed") and an alert is raised
  (``notifying``); a receiver's refusal ("refused") is final. Both are listed in the admin, where "retry now"
  puts a message back in the queue with the same id and bytes.

A message for a node that pulls its messages, when this node is its hub, is "held" instead: the node fetches it
(``outbox_held_list`` / ``outbox_held_get``) and posts back what it answered (``outbox_held_answer``), which
is handled like the answer to a push.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from motcua.core.audit import audit_record
from motcua.core.permissions import permission_require
from motcua.core.retry import backoff_delay, on_commit_once
from motcua.exchange.identity import node_id
from motcua.exchange.models import InboundMessage, OutboxMessage, Recipient
from motcua.exchange.routing import Route, node_get
from motcua.exchange.transport.wire import Answer, WireMessage

logger = logging.getLogger(__name__)

State = OutboxMessage.State
CLAIM_BATCH = 50


def _setting(name: str) -> int:
    return int(getattr(settings, name))


# ------------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------------


def outbox_add(
    *,
    kind: str,
    from_code: str,
    to_code: str,
    document_id: str,
    body: bytes,
    route: Route,
    order_group: str = "",
    recipient: Recipient | None = None,
    relayed_from: InboundMessage | None = None,
    origin_node: str = "",
    message_id: uuid.UUID | None = None,
    via: tuple[str, ...] = (),
) -> OutboxMessage:
    """Queue one message in the caller's transaction; it is delivered after the commit."""
    sequence = 0
    if order_group:
        last = (
            OutboxMessage.objects.filter(order_group=order_group)
            .order_by("-order_sequence")
            .values_list("order_sequence", flat=True)
            .first()
        )
        sequence = int(last or 0) + 1
    message = OutboxMessage(
        id=message_id or uuid.uuid4(),
        kind=kind,
        state=State.HELD if route.hold else State.PENDING,
        from_code=from_code,
        to_code=to_code,
        document_id=document_id,
        origin_node=origin_node or node_id(),
        next_hop=route.next_hop,
        route=",".join(via)[:300],
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        order_group=order_group,
        order_sequence=sequence,
        recipient=recipient,
        relayed_from=relayed_from,
        next_attempt_at=timezone.now(),
    )
    message.save(force_insert=True)
    if message.state == State.PENDING:
        delivery_schedule()
    return message


def _deliver_soon() -> None:
    from motcua.exchange.tasks import outbox_deliver_task

    try:
        outbox_deliver_task.enqueue()
    except Exception:  # the messages are safe in the outbox; the periodic sweep sends them
        logger.exception("could not enqueue the exchange delivery")


def delivery_schedule() -> None:
    """Enqueue one delivery task when the current transaction commits (once per transaction)."""
    on_commit_once(_deliver_soon)


# ------------------------------------------------------------------------------------------------------
# Delivering
# ------------------------------------------------------------------------------------------------------


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    refused: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.refused + self.failed


def retry_delay(*, attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """Exponential back-off with jitter (core.retry), with this outbox's base and cap."""
    return backoff_delay(
        attempts=attempts,
        base_seconds=_setting("EXCHANGE_RETRY_BASE_SECONDS"),
        cap_seconds=_setting("EXCHANGE_RETRY_MAX_SECONDS"),
        rng=rng,
    )


def outbox_due(*, now: dt.datetime) -> QuerySet[OutboxMessage]:
    """Pending messages whose time has come and that no earlier pending message of their group holds back."""
    earlier_pending = OutboxMessage.objects.filter(
        order_group=OuterRef("order_group"),
        state__in=[State.PENDING, State.HELD],
        order_sequence__lt=OuterRef("order_sequence"),
    ).exclude(order_group="")
    return (
        OutboxMessage.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier_pending))
        .order_by("created_at", "order_sequence")
    )


def _claim(*, now: dt.datetime, limit: int) -> list[OutboxMessage]:
    lease = dt.timedelta(seconds=_setting("EXCHANGE_LEASE_SECONDS"))
    with transaction.atomic():
        due = outbox_due(now=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:limit])
        if claimed:
            OutboxMessage.objects.filter(pk__in=[row.pk for row in claimed]).update(
                next_attempt_at=now + lease, attempts=F("attempts") + 1
            )
    for row in claimed:
        row.attempts += 1
    return claimed


def wire_message(row: OutboxMessage) -> WireMessage:
    earlier = tuple(part for part in row.route.split(",") if part)
    return WireMessage(
        message_id=row.id,
        kind=row.kind,
        from_code=row.from_code,
        to_code=row.to_code,
        document_id=row.document_id,
        origin_node=row.origin_node,
        body=bytes(row.body),
        route=(*earlier, node_id()),
    )


def _transmit(row: OutboxMessage) -> Answer:
    from motcua.exchange.transport.client import NodeUnreachable, message_post
    from motcua.exchange.transport.inbound import inbound_receive

    message = wire_message(row)
    if not row.next_hop:
        return inbound_receive(message=message, previous_hop="")
    node = node_get(row.next_hop)
    if node is None:
        raise NodeUnreachable(f"node {row.next_hop} is not in the directory")
    return message_post(base_url=node.url, message=message)


def _give_up_or_retry(row: OutboxMessage, error: Exception, *, now: dt.datetime, report: DeliveryReport) -> None:
    message = f"{type(error).__name__}: {error}"[:4000]
    if row.attempts >= _setting("EXCHANGE_MAX_ATTEMPTS"):
        OutboxMessage.objects.filter(pk=row.pk).update(state=State.FAILED, last_error=message)
        report.failed += 1
        logger.error(
            "exchange message given up after %s attempts",
            row.attempts,
            extra={"message_id": str(row.pk), "document_id": row.document_id, "to": row.to_code},
        )
        row.state, row.last_error = State.FAILED, message
        from motcua.exchange.services.answers import message_failed

        message_failed(message=row)
    else:
        OutboxMessage.objects.filter(pk=row.pk).update(
            last_error=message, next_attempt_at=now + retry_delay(attempts=row.attempts)
        )
        report.retried += 1
        logger.warning("node unreachable, will retry %s: %s", row.pk, message)


def _deliver_one(*, row: OutboxMessage, now: dt.datetime, report: DeliveryReport) -> None:
    from motcua.exchange.services.answers import answer_apply
    from motcua.exchange.transport.client import NodeUnreachable

    try:
        answer = _transmit(row)
    except NodeUnreachable as error:
        _give_up_or_retry(row, error, now=now, report=report)
        return
    except Exception as error:  # anything unexpected in the transport: try again later
        logger.exception("exchange delivery failed", extra={"message_id": str(row.pk)})
        _give_up_or_retry(row, error, now=now, report=report)
        return
    state = answer_apply(message=row, answer=answer)
    if state == State.SENT:
        report.sent += 1
    else:
        report.refused += 1


def outbox_deliver(*, now: dt.datetime | None = None, limit: int = 1000) -> DeliveryReport:
    """Send due messages, oldest first and in order per group, until none is due or ``limit`` were handled."""
    report = DeliveryReport()
    while report.handled < limit:
        current = now or timezone.now()
        claimed = _claim(now=current, limit=min(CLAIM_BATCH, limit - report.handled))
        if not claimed:
            break
        for row in claimed:
            _deliver_one(row=row, now=now or timezone.now(), report=report)
    return report


@transaction.atomic
def outbox_retry(*, actor: Any, message_ids: Iterable[Any], now: dt.datetime | None = None) -> int:
    """Put refused, given-up or waiting messages back in the queue now (same id and bytes), attempts reset."""
    permission_require(actor, "exchange.run_delivery")
    now = now or timezone.now()
    rows = list(
        OutboxMessage.objects.select_for_update()
        .filter(pk__in=list(message_ids))
        .exclude(state__in=[State.SENT, State.HELD])
    )
    for row in rows:
        before = {"state": row.state, "attempts": row.attempts, "last_error": row.last_error}
        row.state, row.attempts, row.next_attempt_at, row.alerted_at = State.PENDING, 0, now, None
        row.save(update_fields=["state", "attempts", "next_attempt_at", "alerted_at"])
        audit_record(
            action="exchange.outbox_retry", instance=row, before=before, after={"state": row.state}, actor=actor
        )
    if rows:
        delivery_schedule()
    return len(rows)


# ------------------------------------------------------------------------------------------------------
# Held for a node that pulls
# ------------------------------------------------------------------------------------------------------


def outbox_held_list(*, node: str, limit: int = 100) -> list[OutboxMessage]:
    """Messages held for ``node``, oldest first (the ids its client lists, like getPendingDocumentIds)."""
    return list(
        OutboxMessage.objects.filter(state=State.HELD, next_hop=node).order_by("created_at", "order_sequence")[:limit]
    )


def outbox_held_get(*, node: str, message_id: uuid.UUID) -> OutboxMessage | None:
    return OutboxMessage.objects.filter(state=State.HELD, next_hop=node, pk=message_id).first()


def outbox_held_answer(*, node: str, message_id: uuid.UUID, answer: Answer) -> bool:
    """The node that fetched a held message says what it answered; handled like the answer to a push."""
    from motcua.exchange.services.answers import answer_apply

    with transaction.atomic():
        row = OutboxMessage.objects.select_for_update().filter(pk=message_id, next_hop=node).first()
        if row is None:
            return False
        if row.state != State.HELD:
            return True  # answered already (a repeated confirmation)
        row.attempts += 1
        OutboxMessage.objects.filter(pk=row.pk).update(attempts=row.attempts)
    answer_apply(message=row, answer=answer)
    return True
