import json
import logging

import pytest
from django.core.management import call_command

from motcua.core.audit import audit_record
from motcua.core.context import request_context
from motcua.core.logging import RequestContextFilter
from motcua.core.tasks import audit_chain_verify_task

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db(transaction=True)
def test_worker_runs_a_queued_task_from_the_database(settings):
    settings.TASKS = DATABASE_TASKS
    from django_tasks_db.models import DBTaskResult

    audit_record(action="test.event", object_type="thing")
    result = audit_chain_verify_task.enqueue()
    assert DBTaskResult.objects.get(id=result.id).status == "READY"
    call_command("worker", max_tasks=1, interval=0.1)
    stored = DBTaskResult.objects.get(id=result.id)
    assert stored.status == "SUCCESSFUL"
    assert stored.return_value == {"intact": True, "events_checked": 1, "first_bad_sequence": None, "problem": ""}


@pytest.fixture
def task_loggers():
    loggers = [logging.getLogger(name) for name in ("django_tasks", "django_tasks_db")]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("level", "tasks_named"), [("WARNING", False), ("INFO", True)])
def test_the_worker_names_the_tasks_it_runs_only_at_the_configured_level(
    settings, caplog, task_loggers, level, tasks_named
):
    settings.TASKS = DATABASE_TASKS
    settings.TASK_LOG_LEVEL = level
    audit_record(action="test.event", object_type="thing")
    result = audit_chain_verify_task.enqueue()
    call_command("worker", max_tasks=1, interval=0.1)
    lines = [record.getMessage() for record in caplog.records if record.name.startswith("django_tasks")]
    assert any(f"id={result.id}" in line and "SUCCESSFUL" in line for line in lines) is tasks_named


def test_json_log_lines_carry_the_request_id(capsys):
    from pythonjsonlogger.json import JsonFormatter

    handler = logging.StreamHandler()
    handler.addFilter(RequestContextFilter())
    handler.setFormatter(JsonFormatter("%(levelname)s %(name)s %(message)s %(request_id)s"))
    logger = logging.getLogger("motcua.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with request_context(request_id="req-abcdef12"):
            logger.warning("hồ sơ quá hạn")
    finally:
        logger.removeHandler(handler)
    line = json.loads(capsys.readouterr().err.strip())
    assert line == {
        "levelname": "WARNING",
        "name": "motcua.test.json",
        "message": "hồ sơ quá hạn",
        "request_id": "req-abcdef12",
    }
