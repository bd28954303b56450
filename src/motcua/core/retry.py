"""Shared pieces of the outboxes (notifications, webhooks, national portal, document exchange): when to try again,
and one delivery task per transaction."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable

from django.db import transaction


def backoff_delay(
    *, attempts: int, base_seconds: float, cap_seconds: float, rng: random.Random | None = None
) -> dt.timedelta:
    """Exponential back-off with jitter: between half and all of min(cap, base × 2^(attempts-1)).

    The jitter spreads the retries of many messages that failed together (a receiver that was down), so that
    they do not all come back at the same second.
    """
    ceiling = min(cap_seconds, base_seconds * 2 ** max(attempts - 1, 0))
    return dt.timedelta(seconds=ceiling / 2 + (rng or random).uniform(0, ceiling / 2))


def on_commit_once(callback: Callable[[], None]) -> None:
    """Run ``callback`` when the current transaction commits, once however many writes ask for it."""
    pending = getattr(transaction.get_connection(), "run_on_commit", [])
    if any(scheduled is callback for _savepoints, scheduled, *_rest in pending):
        return
    transaction.on_commit(callback)
