"""Periodic jobs: tasks that run every so often (payment status queries, due-soon notices, outbox sweeps).

An app registers its jobs once, in its ``AppConfig.ready()``::

    from motcua.core.schedule import periodic_register
    periodic_register("payments.status_query", every=dt.timedelta(minutes=1), task="motcua.payments.tasks.x_task")

``motcua scheduler`` (started by ``motcua serve``) calls ``periodic_enqueue_due`` every few seconds: each due
job's task is enqueued on the task queue and its next run set one period later. The decision is taken under a
row lock on ``ScheduledJob``, so any number of schedulers enqueue a job once per period; the tasks themselves
run on the workers. A job that is late (the scheduler was down) runs once, not once per missed period.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from motcua.core.models import ScheduledJob

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: dt.timedelta
    task: str  # dotted path to a django_tasks Task taking no arguments


_jobs: dict[str, PeriodicJob] = {}


def periodic_register(name: str, *, every: dt.timedelta, task: str) -> PeriodicJob:
    """Declare a periodic job (registering the same name again replaces it)."""
    if every <= dt.timedelta(0):
        raise ValueError("a periodic job needs a positive period")
    job = PeriodicJob(name=name, every=every, task=task)
    _jobs[name] = job
    return job


def periodic_jobs() -> list[PeriodicJob]:
    return sorted(_jobs.values(), key=lambda job: job.name)


def _enqueue(job: PeriodicJob) -> None:
    task: Any = import_string(job.task)
    task.enqueue()


def periodic_enqueue_due(*, now: dt.datetime | None = None) -> list[str]:
    """Enqueue every registered job whose time has come; returns the names enqueued."""
    now = now or timezone.now()
    enqueued: list[str] = []
    for job in periodic_jobs():
        with transaction.atomic():
            row, _created = ScheduledJob.objects.select_for_update().get_or_create(
                name=job.name, defaults={"next_run_at": now}
            )
            if row.next_run_at > now:
                continue
            try:
                _enqueue(job)
            except Exception:
                logger.exception("could not enqueue the periodic job %s", job.name)
                continue
            row.last_enqueued_at = now
            row.next_run_at = now + job.every
            row.save(update_fields=["last_enqueued_at", "next_run_at"])
        enqueued.append(job.name)
    if enqueued:
        logger.debug("periodic jobs enqueued: %s", ", ".join(enqueued))
    return enqueued
