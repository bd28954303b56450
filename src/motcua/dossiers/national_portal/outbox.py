"""The durable outbox to the national portal: records are written with the dossier change, sent later.

``portal_outbox_add`` runs inside the transaction of every dossier transition (``services._base.record``),
so a change and its portal records commit or roll back together; nothing is lost if the process dies
after the commit. ``portal_outbox_deliver`` (task ``portal_outbox_deliver_task``, command
``motcua portal deliver``) sends due records with the configured client (``clients.client_get``):

- records of one dossier go in the order they were written: one waits while an earlier record of its
  dossier is still pending (a rejected or given-up record no longer holds the others back);
- a worker claims records under ``SELECT ... FOR UPDATE SKIP LOCKED`` (PostgreSQL; SQLite's write lock
  serialises claims) and leases them by moving ``next_attempt_at`` past the send timeout, then sends
  outside the transaction, so a worker that dies mid-send only delays the record (delivery is at least
  once; the portal upserts dossiers by MaHoSo);
- an unavailable portal (network, 5xx) means another attempt after an exponential back-off with jitter,
  up to ``NATIONAL_PORTAL_MAX_ATTEMPTS``, then the record is given up ("failed"); a refused record
  ("rejected", error_code ≠ 0) is not retried. Both are logged and listed in the admin, where
  "retry now" (``portal_outbox_retry``) puts them back in the queue.

Settings (read with defaults): ``NATIONAL_PORTAL_MAX_ATTEMPTS`` (12), ``NATIONAL_PORTAL_RETRY_BASE_SECONDS``
(30), ``NATIONAL_PORTAL_RETRY_MAX_SECONDS`` (3600), ``NATIONAL_PORTAL_TIMEOUT_SECONDS`` (10, the lease
adds a minute to it).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone
from pydantic import ValidationError

from motcua.agencies.models import Position
from motcua.agencies.selectors import user_is_platform_admin
from motcua.core.audit import audit_record
from motcua.core.permissions import permission_require, rule_register
from motcua.core.retry import backoff_delay, on_commit_once
from motcua.dossiers.models import Dossier, DossierEvent, PortalOutboxRecord
from motcua.dossiers.national_portal.clients import (
    NationalPortalClient,
    PortalRejected,
    PortalUnavailable,
    client_get,
)
from motcua.dossiers.national_portal.payloads import DossierSync, ProgressUpdate
from motcua.dossiers.national_portal.records import dossier_sync_record, progress_record
from motcua.dossiers.workflow import Action

logger = logging.getLogger(__name__)

Kind = PortalOutboxRecord.Kind
State = PortalOutboxRecord.State

# Actions that change what the portal shows of a dossier without changing its status.
SYNC_WITHOUT_STATUS_CHANGE = frozenset({Action.ANNOUNCE_DELAY, Action.ATTACH_RESULT_FILE, Action.RECORD_FEES})
# Records claimed per round of a delivery run.
CLAIM_BATCH = 50


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def _may_retry(user: Any, obj: Any = None) -> bool:
    return user_is_platform_admin(user=user)


rule_register("dossiers.portal_outbox_retry", _may_retry)


# ------------------------------------------------------------------------------------------------------
# Writing
# ------------------------------------------------------------------------------------------------------


def portal_outbox_add(*, dossier: Dossier, event: DossierEvent, position: Position | None) -> list[PortalOutboxRecord]:
    """Queue the portal records of one history line, in the caller's transaction.

    The dossier (DongBoHoSoMC) when it is created, changes status, gets a new appointment or a result
    document; a progress record (CapNhatTienDoHoSoMC) for every action after submission.
    """
    now = timezone.now()
    rows: list[PortalOutboxRecord] = []
    if event.from_status != event.to_status or event.action in SYNC_WITHOUT_STATUS_CHANGE:
        rows.append(
            PortalOutboxRecord(
                dossier=dossier,
                event_sequence=event.sequence,
                kind=Kind.DOSSIER_SYNC,
                payload=dossier_sync_record(dossier=dossier).model_dump(mode="json"),
                next_attempt_at=now,
            )
        )
    if event.action != Action.SUBMIT:
        rows.append(
            PortalOutboxRecord(
                dossier=dossier,
                event_sequence=event.sequence,
                kind=Kind.PROGRESS_UPDATE,
                payload=progress_record(dossier=dossier, event=event, position=position).model_dump(mode="json"),
                next_attempt_at=now,
            )
        )
    for row in rows:
        row.save(force_insert=True)
    if rows:
        delivery_schedule()
    return rows


def _deliver_soon() -> None:
    from motcua.dossiers.national_portal.tasks import portal_outbox_deliver_task

    try:
        portal_outbox_deliver_task.enqueue()
    except Exception:  # the records are safe in the outbox; `motcua portal deliver` sends them
        logger.exception("could not enqueue the national portal delivery")


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
    rejected: int = 0
    failed: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.rejected + self.failed


def retry_delay(*, attempts: int, rng: random.Random | None = None) -> dt.timedelta:
    """Exponential back-off with jitter (core.retry), with this outbox's base and cap."""
    return backoff_delay(
        attempts=attempts,
        base_seconds=_setting("NATIONAL_PORTAL_RETRY_BASE_SECONDS", 30),
        cap_seconds=_setting("NATIONAL_PORTAL_RETRY_MAX_SECONDS", 3600),
        rng=rng,
    )


def portal_outbox_due(*, now: dt.datetime) -> QuerySet[PortalOutboxRecord]:
    """Pending records whose time has come and that no earlier pending record of their dossier holds back."""
    earlier_pending = PortalOutboxRecord.objects.filter(dossier_id=OuterRef("dossier_id"), state=State.PENDING).filter(
        Q(event_sequence__lt=OuterRef("event_sequence"))
        | Q(event_sequence=OuterRef("event_sequence"), kind__lt=OuterRef("kind"))
    )
    return (
        PortalOutboxRecord.objects.filter(state=State.PENDING, next_attempt_at__lte=now)
        .exclude(Exists(earlier_pending))
        .order_by("created_at", "event_sequence", "kind")
    )


def _claim(*, now: dt.datetime, limit: int) -> list[PortalOutboxRecord]:
    lease = dt.timedelta(seconds=_setting("NATIONAL_PORTAL_TIMEOUT_SECONDS", 10) + 60)
    with transaction.atomic():
        due = portal_outbox_due(now=now)
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        claimed = list(due[:limit])
        if claimed:
            PortalOutboxRecord.objects.filter(pk__in=[row.pk for row in claimed]).update(
                next_attempt_at=now + lease, attempts=F("attempts") + 1
            )
    for row in claimed:
        row.attempts += 1
    return claimed


def _send(client: NationalPortalClient, row: PortalOutboxRecord) -> None:
    if row.kind == Kind.DOSSIER_SYNC:
        client.dossier_sync(DossierSync.model_validate(row.payload))
    else:
        client.progress_update(ProgressUpdate.model_validate(row.payload))


def _deliver_one(
    *, client: NationalPortalClient, row: PortalOutboxRecord, now: dt.datetime, report: DeliveryReport
) -> None:
    outcome: dict[str, Any]
    try:
        _send(client, row)
    except (PortalRejected, ValidationError) as error:
        outcome = {"state": State.REJECTED, "last_error": str(error)[:4000]}
        report.rejected += 1
        logger.error(
            "national portal rejected a record",
            extra={"outbox_record": str(row.pk), "dossier_id": str(row.dossier_id), "error": str(error)},
        )
    except Exception as error:
        # PortalUnavailable, or anything unexpected in the transport: try again later.
        if not isinstance(error, PortalUnavailable):
            logger.exception("national portal client failed", extra={"outbox_record": str(row.pk)})
        message = f"{type(error).__name__}: {error}"[:4000]
        if row.attempts >= _setting("NATIONAL_PORTAL_MAX_ATTEMPTS", 12):
            outcome = {"state": State.FAILED, "last_error": message}
            report.failed += 1
            logger.error(
                "national portal record given up after %s attempts",
                row.attempts,
                extra={"outbox_record": str(row.pk), "dossier_id": str(row.dossier_id)},
            )
        else:
            outcome = {"last_error": message, "next_attempt_at": now + retry_delay(attempts=row.attempts)}
            report.retried += 1
            logger.warning("national portal unavailable, will retry: %s", message)
    else:
        outcome = {"state": State.SENT, "sent_at": now, "last_error": ""}
        report.sent += 1
    PortalOutboxRecord.objects.filter(pk=row.pk).update(**outcome)


def portal_outbox_deliver(
    *, now: dt.datetime | None = None, limit: int = 1000, client: NationalPortalClient | None = None
) -> DeliveryReport:
    """Send due records, oldest first and in order per dossier, until none is due or ``limit`` were handled."""
    client = client or client_get()
    report = DeliveryReport()
    while report.handled < limit:
        current = now or timezone.now()
        claimed = _claim(now=current, limit=min(CLAIM_BATCH, limit - report.handled))
        if not claimed:
            break
        for row in claimed:
            _deliver_one(client=client, row=row, now=now or timezone.now(), report=report)
    return report


@transaction.atomic
def portal_outbox_retry(*, actor: Any, record_ids: Iterable[Any], now: dt.datetime | None = None) -> int:
    """Put rejected, given-up or waiting records back in the queue now, with a fresh count of attempts."""
    permission_require(actor, "dossiers.portal_outbox_retry")
    now = now or timezone.now()
    rows = list(
        PortalOutboxRecord.objects.select_for_update().filter(pk__in=list(record_ids)).exclude(state=State.SENT)
    )
    for row in rows:
        before = {"state": row.state, "attempts": row.attempts, "last_error": row.last_error}
        row.state, row.attempts, row.next_attempt_at = State.PENDING, 0, now
        row.save(update_fields=["state", "attempts", "next_attempt_at"])
        audit_record(
            action="dossiers.portal_outbox_retry",
            instance=row,
            before=before,
            after={"state": row.state, "attempts": 0},
            actor=actor,
        )
    if rows:
        delivery_schedule()
    return len(rows)
