"""The outboxes' shared back-off and once-per-transaction scheduling."""

import datetime as dt
import random

import pytest
from django.db import transaction

from motcua.core.retry import backoff_delay, on_commit_once


@pytest.mark.parametrize(
    ("attempts", "ceiling"),
    [(0, 10), (1, 10), (2, 20), (3, 40), (5, 160), (9, 300), (30, 300)],
)
def test_backoff_doubles_from_the_base_up_to_the_cap_with_jitter_in_its_upper_half(attempts, ceiling):
    rng = random.Random(attempts)
    delays = [backoff_delay(attempts=attempts, base_seconds=10, cap_seconds=300, rng=rng) for _ in range(200)]
    assert all(dt.timedelta(seconds=ceiling / 2) <= delay <= dt.timedelta(seconds=ceiling) for delay in delays)
    assert len(set(delays)) > 100  # jitter: the retries of messages that failed together spread out


@pytest.mark.django_db(transaction=True)
def test_on_commit_once_runs_a_callback_once_after_commit_and_not_after_rollback():
    calls = []

    def callback():
        calls.append("sent")

    with transaction.atomic():
        for _ in range(3):
            on_commit_once(callback)
        assert calls == []  # nothing before the commit
    assert calls == ["sent"]

    with pytest.raises(RuntimeError), transaction.atomic():
        on_commit_once(callback)
        raise RuntimeError("rolled back")
    assert calls == ["sent"]
