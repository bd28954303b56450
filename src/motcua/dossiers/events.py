"""Side effects of dossier changes for other domains (notifications, national-portal sync, PDFs).

A subscriber is a callable ``(dossier_id, event_kind) -> None``; ``event_kind`` is a value of
``dossiers.workflow.Action`` (``"submit"``, ``"accept"``, ``"forward"``, ``"approve"``...). Services call
``dossier_event_emit`` inside their transaction; subscribers run only after it commits (never for a
rolled-back change), in the same process, in the order they subscribed. Keep them short: write an
outbox row or enqueue a task (``django_tasks``) and return. A subscriber that raises is logged and does
not stop the others, nor undo the change that already committed.

    from motcua.dossiers.events import dossier_event_subscribe

    def portal_sync_enqueue(dossier_id, event_kind): ...
    dossier_event_subscribe(portal_sync_enqueue)   # e.g. in the subscribing app's AppConfig.ready()
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from django.db import transaction

logger = logging.getLogger(__name__)

Subscriber = Callable[[uuid.UUID, str], None]
_subscribers: list[Subscriber] = []


def dossier_event_subscribe(callback: Subscriber) -> Subscriber:
    """Register a subscriber (once; subscribing the same callable again does nothing)."""
    if callback not in _subscribers:
        _subscribers.append(callback)
    return callback


def dossier_event_unsubscribe(callback: Subscriber) -> None:
    if callback in _subscribers:
        _subscribers.remove(callback)


def _dispatch(dossier_id: uuid.UUID, event_kind: str) -> None:
    for callback in list(_subscribers):
        try:
            callback(dossier_id, event_kind)
        except Exception:
            logger.exception(
                "dossier event subscriber failed", extra={"dossier_id": str(dossier_id), "kind": event_kind}
            )


def dossier_event_emit(*, dossier_id: uuid.UUID, event_kind: str) -> None:
    """Tell the subscribers about a change once the current transaction commits."""
    transaction.on_commit(lambda: _dispatch(dossier_id, event_kind))
