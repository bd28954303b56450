"""Legal deadlines of feedback in working days: across Tết, with days an administrator configures, paused while the
submitter is asked for information, restarted by forwarding; the queue's order and the reminders of the periodic
job."""

from __future__ import annotations

import datetime as dt

import pytest

from motcua.agencies.models import Organisation
from motcua.core.exceptions import PermissionDenied
from motcua.core.models import CalendarDay
from motcua.core.permissions import SYSTEM
from motcua.core.schedule import periodic_jobs
from motcua.feedback import selectors, services
from motcua.feedback.models import FeedbackEvent, FeedbackStatus
from motcua.feedback.tasks import feedback_deadline_reminders_task
from tests.feedback.conftest import MONDAY, QN_HA_LONG, assigned, close_of, local, submit

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
S = FeedbackStatus

# Friday 13 February 2026: the last working day before Tết Bính Ngọ (16-20 February off).
BEFORE_TET = local(2026, 2, 13, 9, 0)


def test_feedback_received_the_working_day_before_tet_skips_the_holiday_week(directory):
    feedback = submit(at=BEFORE_TET)
    assert feedback.receipt_due_at == close_of(2026, 2, 24)  # Mon 23, Tue 24
    assert feedback.info_request_due_at == close_of(2026, 2, 27)  # 23-27 February
    assert feedback.resolve_due_at == close_of(2026, 3, 13)  # 23/2-27/2, 2/3-6/3, 9/3-13/3
    assert feedback.due_at == feedback.receipt_due_at


def test_a_day_off_configured_by_an_administrator_shifts_every_deadline(directory):
    CalendarDay.objects.create(date=dt.date(2026, 2, 23), kind=CalendarDay.Kind.DAY_OFF, reason="Nghỉ bù Tết")
    feedback = submit(at=BEFORE_TET)
    assert feedback.receipt_due_at == close_of(2026, 2, 25)
    assert feedback.info_request_due_at == close_of(2026, 3, 2)
    assert feedback.resolve_due_at == close_of(2026, 3, 16)


def test_a_compensatory_working_saturday_brings_the_deadlines_closer(directory):
    CalendarDay.objects.create(date=dt.date(2026, 3, 7), kind=CalendarDay.Kind.WORKING_DAY, reason="Làm bù")
    feedback = submit(at=MONDAY)
    assert feedback.resolve_due_at == close_of(2026, 3, 20)  # one working day earlier than Monday 23


def test_waiting_for_information_moves_the_answers_deadline_by_the_working_time_waited(directory, receiver):
    feedback = submit(at=MONDAY)
    secret = feedback.lookup_secret
    assert feedback.resolve_due_at == close_of(2026, 3, 23)
    feedback = services.feedback_request_info(
        actor=receiver, feedback=feedback, question="Thêm thông tin.", at=local(2026, 3, 3, 9, 0)
    )
    assert feedback.resolve_due_at is None and feedback.due_at is None
    # Two working days waited (Tuesday 09:00 to Thursday 09:00): the answer is due two working days later.
    feedback = services.feedback_supplement(
        actor=None, feedback=feedback, text="Đây là thông tin.", secret=secret, at=local(2026, 3, 5, 9, 0)
    )
    assert feedback.resolve_due_at == close_of(2026, 3, 25)
    assert feedback.due_at == feedback.resolve_due_at
    # The receipt and information deadlines, already behind, do not move.
    assert feedback.receipt_due_at == close_of(2026, 3, 4)


def test_a_pause_over_tet_counts_only_the_working_time(directory, receiver):
    feedback = submit(at=BEFORE_TET)
    secret = feedback.lookup_secret
    feedback = services.feedback_request_info(
        actor=receiver, feedback=feedback, question="Thêm ảnh.", at=local(2026, 2, 13, 10, 0)
    )
    # Friday 10:00 to Monday 23 February 10:00: 5 h 30 + 2 h 30 of office time, one working day, whatever Tết's week.
    feedback = services.feedback_supplement(
        actor=None, feedback=feedback, text="Ảnh đây.", secret=secret, at=local(2026, 2, 23, 10, 0)
    )
    assert feedback.resolve_due_at == close_of(2026, 3, 16)


def test_the_answer_is_judged_against_its_deadline_pauses_excluded(directory, receiver, handler, leader):
    on_time = _answered(receiver, handler, at=BEFORE_TET)
    on_time = services.feedback_approve(actor=leader, feedback=on_time, at=local(2026, 3, 13, 16, 0))
    assert on_time.resolved_on_time is True
    assert on_time.publish_due_at == close_of(2026, 3, 17)  # Monday 16, Tuesday 17
    assert on_time.due_at == on_time.publish_due_at
    line = FeedbackEvent.objects.get(feedback=on_time, action="approve")
    assert line.due_at == close_of(2026, 3, 13) and line.is_on_time is True

    late = _answered(receiver, handler, at=BEFORE_TET)
    late = services.feedback_approve(actor=leader, feedback=late, at=local(2026, 3, 16, 8, 0))
    assert late.resolved_on_time is False
    assert late.resolve_due_at == close_of(2026, 3, 13)  # the deadline it had stays shown

    published = services.feedback_publish(actor=leader, feedback=on_time, at=local(2026, 3, 18, 9, 0))
    assert published.published_on_time is False  # after Tuesday 17 March


def test_late_receipt_is_recorded_on_the_history_line(directory, receiver):
    feedback = submit(at=MONDAY)
    feedback = services.feedback_accept(actor=receiver, feedback=feedback, at=local(2026, 3, 5, 8, 0))
    line = FeedbackEvent.objects.get(feedback=feedback, action="accept")
    assert line.due_at == close_of(2026, 3, 4) and line.is_on_time is False


def test_forwarding_restarts_the_deadlines_at_the_competent_agency(directory, receiver):
    feedback = submit(at=BEFORE_TET)
    feedback = services.feedback_forward(
        actor=receiver,
        feedback=feedback,
        agency=Organisation.objects.get(code=QN_HA_LONG),
        at=local(2026, 2, 24, 10, 0),
    )
    assert feedback.receipt_due_at == close_of(2026, 2, 26)
    assert feedback.resolve_due_at == close_of(2026, 3, 17)
    line = FeedbackEvent.objects.get(feedback=feedback, action="forward")
    assert line.due_at == close_of(2026, 2, 24) and line.is_on_time is True


# ----------------------------------------------------------------------------- the queue and reminders


def test_the_queue_puts_overdue_feedback_first_then_by_deadline(directory, receiver, handler):
    now = local(2026, 3, 25, 10, 0)
    overdue = submit(at=MONDAY, title="Quá hạn tiếp nhận")  # receipt due 4 March
    due_today = submit(at=local(2026, 3, 23, 9, 0), title="Đến hạn hôm nay")  # receipt due 25 March
    later = assigned(receiver, handler, at=local(2026, 3, 24, 9, 0), title="Còn hạn")  # answer due mid-April
    waiting = services.feedback_request_info(
        actor=receiver, feedback=submit(at=local(2026, 3, 24, 9, 0)), question="?", at=local(2026, 3, 24, 10, 0)
    )

    order = [f.code for f in selectors.feedback_queue(user=receiver, view="open", now=now)]
    assert order == [overdue.code, due_today.code, later.code, waiting.code]
    assert [f.code for f in selectors.feedback_queue(user=receiver, view="overdue", now=now)] == [overdue.code]
    assert [f.code for f in selectors.feedback_queue(user=receiver, view="due_soon", now=now)] == [due_today.code]
    assert [f.code for f in selectors.feedback_queue(user=receiver, view="waiting", now=now)] == [waiting.code]
    assert [f.code for f in selectors.feedback_queue(user=handler, view="mine", now=now)] == [later.code]
    assert [f.code for f in selectors.feedback_queue(user=receiver, view="to_receive", now=now)] == [
        overdue.code,
        due_today.code,
    ]


def test_reminders_tell_who_must_act_once_a_day_and_kind(directory, receiver, handler, leader, sent):
    overdue = submit(at=MONDAY)
    mine = assigned(receiver, handler, at=MONDAY)
    fresh = submit(at=local(2026, 3, 24, 9, 0))
    sent.clear()

    now = local(2026, 3, 24, 10, 0)  # the answer of ``mine`` is due 23 March: overdue; ``fresh`` is due the 26th
    assert services.feedback_deadline_reminders_send(actor=SYSTEM, now=now) == 2
    by_code = {message["context"]["code"]: message for message in sent}
    assert set(by_code) == {overdue.code, mine.code}
    assert by_code[overdue.code]["event"] == "feedback.deadline_overdue"
    assert [r.user for r in by_code[overdue.code]["recipients"]] == [receiver]
    assert [r.user for r in by_code[mine.code]["recipients"]] == [handler]
    assert fresh.code not in by_code

    # The same day, nothing new; the next morning ``fresh`` is due soon and the overdue ones are told again.
    assert services.feedback_deadline_reminders_send(actor=SYSTEM, now=local(2026, 3, 24, 15, 0)) == 0
    sent.clear()
    assert services.feedback_deadline_reminders_send(actor=SYSTEM, now=local(2026, 3, 26, 8, 0)) == 3
    kinds = {message["context"]["code"]: message["event"] for message in sent}
    assert kinds[fresh.code] == "feedback.deadline_due_soon"
    # Reminders are the job's bookkeeping: no history line, no change of status.
    assert FeedbackEvent.objects.filter(feedback=fresh).count() == 1


def test_reminders_are_a_periodic_job_run_by_the_platform_only(directory, handler):
    job = next(job for job in periodic_jobs() if job.name == "feedback.deadline_reminders")
    assert job.task == "motcua.feedback.tasks.feedback_deadline_reminders_task"
    assert job.every == dt.timedelta(hours=1)
    submit(at=MONDAY)
    assert feedback_deadline_reminders_task.enqueue().return_value == 1
    with pytest.raises(PermissionDenied):
        services.feedback_deadline_reminders_send(actor=handler)


# ----------------------------------------------------------------------------- helpers


def _answered(receiver, handler, *, at):
    feedback = assigned(receiver, handler, at=at)
    return services.feedback_answer(
        actor=handler,
        feedback=feedback,
        answer="Trả lời.",
        published_question="Câu hỏi đã bỏ thông tin cá nhân.",
        at=at + dt.timedelta(days=3),
    )
