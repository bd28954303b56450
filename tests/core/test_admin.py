import pytest
from django.contrib.messages import get_messages

from motcua.core.models import AuditEvent, CalendarDay
from tests.support.sessions import sign_in_with_second_factor

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, platform_admin):
    platform_admin.is_staff = platform_admin.is_superuser = True
    platform_admin.save()
    return sign_in_with_second_factor(client, platform_admin)


def test_calendar_day_added_in_admin_goes_through_the_service(admin_client):
    response = admin_client.post(
        "/admin/core/calendarday/add/", {"date": "31/12/2026", "kind": "day_off", "reason": "Nghỉ bù Tết Dương lịch"}
    )
    assert response.status_code == 302
    day = CalendarDay.objects.get()
    assert day.reason == "Nghỉ bù Tết Dương lịch"
    assert AuditEvent.objects.filter(action="core.calendar_day_save").count() == 1


def test_refused_calendar_day_is_a_form_error_and_writes_nothing(admin_client):
    response = admin_client.post(
        "/admin/core/calendarday/add/", {"date": "31/12/2026", "kind": "day_off", "reason": " "}
    )
    assert response.status_code == 200 and response.context["adminform"].form.errors
    assert not CalendarDay.objects.exists() and not AuditEvent.objects.exists()


def test_the_date_of_a_calendar_day_cannot_be_changed(admin_client):
    admin_client.post("/admin/core/calendarday/add/", {"date": "31/12/2026", "kind": "day_off", "reason": "Nghỉ bù"})
    day = CalendarDay.objects.get()
    response = admin_client.post(
        f"/admin/core/calendarday/{day.pk}/change/", {"date": "01/01/2027", "kind": "working_day", "reason": "Làm bù"}
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (str(day.date), day.kind, day.reason) == ("2026-12-31", "working_day", "Làm bù")
    assert CalendarDay.objects.count() == 1


def test_a_calendar_day_deleted_in_admin_is_removed_through_the_service(admin_client):
    admin_client.post("/admin/core/calendarday/add/", {"date": "31/12/2026", "kind": "day_off", "reason": "Nghỉ bù"})
    day = CalendarDay.objects.get()
    response = admin_client.post(f"/admin/core/calendarday/{day.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and response["Location"] == "/admin/core/calendarday/"
    assert not CalendarDay.objects.exists()
    assert AuditEvent.objects.filter(action="core.calendar_day_delete").count() == 1
    # A real deletion: the admin's own words ("deleted"), not the "closed, kept in the records" of directories.
    shown = " ".join(str(message) for message in get_messages(response.wsgi_request))
    assert "lưu giữ" not in shown and "stays in the records" not in shown and shown
