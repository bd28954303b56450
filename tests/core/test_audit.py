import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from motcua.core.audit import audit_chain_verify, audit_record
from motcua.core.context import request_context
from motcua.core.models import AppendOnlyError, AuditEvent, CalendarDay

pytestmark = pytest.mark.django_db


def _three_events(actor=None):
    with request_context(request_id="req-12345678", client_address="203.0.113.7", user=actor):
        return [
            audit_record(action="test.create", object_type="thing", object_id=str(i), after={"n": i, "name": "Hà Nội"})
            for i in range(3)
        ]


def test_events_are_chained_and_carry_request_context(citizen):
    events = _three_events(actor=citizen)
    assert [e.sequence for e in events] == [1, 2, 3]
    assert events[1].previous_hash == events[0].hash
    assert events[0].request_id == "req-12345678"
    assert events[0].client_address == "203.0.113.7"
    assert events[0].actor_id == citizen.pk and events[0].actor_label == citizen.username
    report = audit_chain_verify()
    assert report.intact and report.events_checked == 3


def test_altered_event_is_named():
    _three_events()
    AuditEvent.objects.filter(sequence=2).update(after={"n": 99, "name": "Hà Nội"})
    report = audit_chain_verify()
    assert not report.intact
    assert report.first_bad_sequence == 2 and report.problem == "altered"


def test_deleted_event_in_the_middle_is_named():
    _three_events()
    AuditEvent.objects.filter(sequence=2)._raw_delete(AuditEvent.objects.db)
    report = audit_chain_verify()
    assert (report.intact, report.first_bad_sequence, report.problem) == (False, 2, "missing")


def test_deleted_last_event_is_detected():
    _three_events()
    AuditEvent.objects.filter(sequence=3)._raw_delete(AuditEvent.objects.db)
    report = audit_chain_verify()
    assert (report.intact, report.first_bad_sequence) == (False, 3)


def test_model_refuses_update_and_delete():
    event = _three_events()[0]
    event.action = "changed"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    assert AuditEvent.objects.get(sequence=1).action == "test.create"


def test_audit_is_written_in_the_same_transaction_as_the_change():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        CalendarDay.objects.create(date="2026-12-31", kind="day_off", reason="x")
        audit_record(action="core.calendar_day_save", object_type="day")
        raise RuntimeError("rolled back")
    assert not CalendarDay.objects.exists()
    assert not AuditEvent.objects.exists()


def test_command_verifies_and_fails_on_tampering(capsys):
    _three_events()
    call_command("audit", "verify")
    assert "3" in capsys.readouterr().out
    AuditEvent.objects.filter(sequence=1).update(actor_label="someone-else")
    with pytest.raises(CommandError, match="#1"):
        call_command("audit", "verify")
