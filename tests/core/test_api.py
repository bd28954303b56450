import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest

from motcua.core.audit import audit_record
from motcua.core.exceptions import PermissionDenied, ValidationFailed
from motcua.core.models import AuditEvent, CalendarDay
from motcua.core.services import calendar_day_delete, calendar_day_save
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


def _events(n):
    for i in range(n):
        audit_record(action="test.event", object_type="thing", object_id=str(i))


def test_anonymous_gets_401_in_the_error_format(client):
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 401
    body = response.json()
    assert set(body) == {"code", "message", "details"} and body["code"] == "not_authenticated"


def test_citizen_is_refused_the_audit_trail(client, citizen):
    client.force_login(citizen)
    response = client.get("/api/v1/audit/events")
    assert response.status_code == 403 and response.json()["code"] == "permission_denied"


def test_auditor_reads_paginated_events_newest_first(client, auditor):
    _events(60)
    sign_in_with_second_factor(client, auditor)
    first = client.get("/api/v1/audit/events").json()
    assert first["count"] == 60 and len(first["items"]) == 50
    assert first["items"][0]["sequence"] == 60
    second = client.get("/api/v1/audit/events?page=2").json()
    assert [item["sequence"] for item in second["items"]] == list(range(10, 0, -1))
    filtered = client.get("/api/v1/audit/events?object_id=7").json()
    assert filtered["count"] == 1 and filtered["items"][0]["object_id"] == "7"


def test_auditor_verifies_chain(client, auditor):
    _events(3)
    sign_in_with_second_factor(client, auditor)
    assert client.get("/api/v1/audit/verify").json() == {
        "intact": True,
        "events_checked": 3,
        "first_bad_sequence": None,
        "problem": "",
    }


def test_bad_query_parameter_is_a_validation_error(client, auditor):
    sign_in_with_second_factor(client, auditor)
    response = client.get("/api/v1/audit/events?since=not-a-date")
    assert response.status_code == 422
    assert response.json()["code"] == "validation_failed" and "since" in response.json()["details"]


def test_field_errors_are_translated_too(client, auditor):
    sign_in_with_second_factor(client, auditor)
    english = client.get("/api/v1/audit/events?since=x", headers={"Accept-Language": "en"}).json()
    vietnamese = client.get("/api/v1/audit/events?since=x", headers={"Accept-Language": "vi"}).json()
    assert english["details"]["since"] == ["Enter a valid date and time."]
    assert vietnamese["details"]["since"] != english["details"]["since"]


def test_error_messages_are_translated(client):
    vietnamese = client.get("/api/v1/audit/events", headers={"Accept-Language": "vi"}).json()["message"]
    english = client.get("/api/v1/audit/events", headers={"Accept-Language": "en"}).json()["message"]
    assert english == "Please sign in first."
    assert vietnamese != english


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert spec["info"]["title"] == "Motcua API"
    assert "/api/v1/audit/events" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_calendar_days_need_a_platform_admin(citizen, platform_admin):
    with pytest.raises(PermissionDenied):
        calendar_day_save(actor=citizen, date=dt.date(2026, 12, 31), kind="day_off", reason="Nghỉ bù")
    assert not CalendarDay.objects.exists() and not AuditEvent.objects.exists()
    with pytest.raises(ValidationFailed):
        calendar_day_save(actor=platform_admin, date=dt.date(2026, 12, 31), kind="holiday", reason="x")
    with pytest.raises(ValidationFailed) as too_long:
        calendar_day_save(actor=platform_admin, date=dt.date(2026, 12, 31), kind="day_off", reason="x" * 201)
    assert set(too_long.value.details) == {"reason"}
    assert not CalendarDay.objects.exists() and not AuditEvent.objects.exists()
    day = calendar_day_save(actor=platform_admin, date=dt.date(2026, 12, 31), kind="day_off", reason="Nghỉ bù")
    assert AuditEvent.objects.get().action == "core.calendar_day_save"
    calendar_day_delete(actor=platform_admin, date=day.date)
    assert not CalendarDay.objects.exists()
    assert list(AuditEvent.objects.values_list("action", flat=True)) == [
        "core.calendar_day_save",
        "core.calendar_day_delete",
    ]


def test_list_endpoints_take_their_page_size_from_the_setting():
    """MOTCUA_API_PAGE_SIZE (docs/deploy.md) is what every paginated endpoint uses; checked in a fresh process,
    because the page size is fixed when the API module is imported."""
    probe = """
import django
django.setup()
from ninja.pagination import PaginationBase
from motcua.config.api import api
sizes = {}
for _prefix, router in api._routers:
    for path, path_view in router.path_operations.items():
        for operation in path_view.operations:
            for cell in operation.view_func.__closure__ or ():
                if isinstance(cell.cell_contents, PaginationBase):
                    sizes[path] = cell.cell_contents.page_size
print(sorted(set(sizes.values())), len(sizes))
"""
    env = {**os.environ, "MOTCUA_API_PAGE_SIZE": "7", "DJANGO_SETTINGS_MODULE": "tests.settings"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[2],
    )
    assert result.returncode == 0, result.stderr
    sizes, paginated = result.stdout.strip().splitlines()[-1].rsplit(" ", 1)
    assert sizes == "[7]" and int(paginated) >= 3  # the audit trail and the directory's lists at least
