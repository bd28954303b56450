"""Periodic jobs: enqueued once per period, under a row lock, by `motcua scheduler`."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from motcua.core import schedule
from motcua.core.models import ScheduledJob

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
VERIFY = "motcua.core.tasks.audit_chain_verify_task"


@pytest.fixture
def only_one_job(monkeypatch):
    monkeypatch.setattr(schedule, "_jobs", {})
    return schedule.periodic_register("test.verify", every=dt.timedelta(minutes=10), task=VERIFY)


def _queued():
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=VERIFY).count()


@pytest.mark.django_db
def test_a_due_job_is_enqueued_once_per_period(settings, only_one_job):
    settings.TASKS = DATABASE_TASKS
    start = timezone.now()
    assert schedule.periodic_enqueue_due(now=start) == ["test.verify"]
    assert schedule.periodic_enqueue_due(now=start + dt.timedelta(minutes=9)) == []
    assert _queued() == 1
    row = ScheduledJob.objects.get(name="test.verify")
    assert row.last_enqueued_at == start and row.next_run_at == start + dt.timedelta(minutes=10)

    # A scheduler that was down for an hour runs the job once, not six times.
    later = start + dt.timedelta(hours=1)
    assert schedule.periodic_enqueue_due(now=later) == ["test.verify"]
    assert schedule.periodic_enqueue_due(now=later) == []
    assert _queued() == 2


@pytest.mark.django_db
def test_a_job_that_cannot_be_enqueued_stays_due(settings, monkeypatch):
    settings.TASKS = DATABASE_TASKS
    monkeypatch.setattr(schedule, "_jobs", {})
    schedule.periodic_register("test.broken", every=dt.timedelta(minutes=1), task="motcua.core.tasks.no_such_task")
    schedule.periodic_register("test.verify", every=dt.timedelta(minutes=1), task=VERIFY)
    now = timezone.now()
    assert schedule.periodic_enqueue_due(now=now) == ["test.verify"]
    assert ScheduledJob.objects.get(name="test.broken").last_enqueued_at is None
    assert ScheduledJob.objects.get(name="test.broken").next_run_at == now


def test_a_period_must_be_positive():
    with pytest.raises(ValueError):
        schedule.periodic_register("test.never", every=dt.timedelta(0), task=VERIFY)


def test_the_platform_registers_its_periodic_jobs():
    names = {job.name for job in schedule.periodic_jobs()}
    assert {"core.audit_chain_verify", "dossiers.portal_outbox_deliver", "signatures.certificate_expiry_warn"} <= names


@pytest.mark.django_db
def test_the_scheduler_command_enqueues_and_lists(settings, only_one_job, capsys):
    settings.TASKS = DATABASE_TASKS
    call_command("scheduler", "--once")
    assert _queued() == 1
    call_command("scheduler", "--list")
    assert "test.verify" in capsys.readouterr().out
