"""What the notification services share: settings with defaults, back-off, scheduling delivery after commit."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from motcua.core.retry import backoff_delay

logger = logging.getLogger("motcua.notifications")

# Rows handed to one delivery task; more rows make several tasks, which several workers share.
TASK_BATCH = 200
# Rows claimed per round of a delivery run.
CLAIM_BATCH = 50


def setting_int(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def setting_float(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


retry_delay = backoff_delay  # the name the delivery services use


def json_check(value: Any, *, what: str) -> None:
    """Refuse anything that is not plain JSON (a model instance would leak into templates or payloads)."""
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{what} must hold JSON values only (strings, numbers, ISO dates): {error}") from None


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0

    @property
    def handled(self) -> int:
        return self.sent + self.retried + self.failed + self.cancelled

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.retried += other.retried
        self.failed += other.failed
        self.cancelled += other.cancelled


class _DeliverAfterCommit:
    """One callback per transaction scope and kind, collecting the ids it will hand to delivery tasks."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.ids: list[str] = []
        self.done = False

    def __call__(self) -> None:
        from motcua.notifications import tasks

        self.done = True
        task: Any = tasks.notification_deliver_task if self.kind == "notification" else tasks.webhook_deliver_task
        for start in range(0, len(self.ids), TASK_BATCH):
            try:
                task.enqueue(self.ids[start : start + TASK_BATCH])
            except Exception:  # the rows are safe in the database; the periodic sweep sends them
                logger.exception("could not enqueue a %s delivery task", self.kind)


def deliver_after_commit(*, kind: str, ids: Iterable[Any]) -> None:
    """Hand the rows to delivery tasks once the current transaction commits (one callback per transaction).

    A callback is shared only within the same savepoint scope, so rolling a savepoint back drops exactly the
    rows written in it.
    """
    new_ids = [str(identifier) for identifier in ids]
    if not new_ids:
        return
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        scope = set(connection.savepoint_ids)
        for savepoint_ids, callback, *_rest in connection.run_on_commit:
            if (
                isinstance(callback, _DeliverAfterCommit)
                and callback.kind == kind
                and not callback.done
                and savepoint_ids == scope
            ):
                callback.ids.extend(new_ids)
                return
    callback = _DeliverAfterCommit(kind)
    callback.ids.extend(new_ids)
    transaction.on_commit(callback)
