"""The legal deadlines of a feedback, in working days (``core.calendar``: Vietnamese holidays, Tết included, and
the days off or compensatory working days an administrator configures).

Decree 20/2008/NĐ-CP (as amended by Decree 92/2017/NĐ-CP), as Motcua reads it (ADR 0012), counting from the
moment the competent agency gets the feedback (its submission, or its forwarding by another agency), the day
of receipt not counted and each deadline ending at the close of business of its last day:

- decide on receipt (receive, refuse, return or forward): **2 working days**;
- ask the submitter for more information: **5 working days**;
- answer (the answer approved by the agency's leader): **15 working days**, the time spent waiting for the
  submitter's information excluded (the clock is a pausable ``core.calendar.Deadline``);
- publish the answer: **2 working days** after it was approved.

Each is stored on the feedback; ``due_at`` holds the one of the current stage, for the work queues.
"""

from __future__ import annotations

import datetime as dt

from motcua.core.calendar import Deadline, WorkingCalendar
from motcua.feedback.models import Feedback, FeedbackStatus
from motcua.feedback.workflow import Stage

RECEIPT_WORKING_DAYS = 2
INFO_REQUEST_WORKING_DAYS = 5
RESOLVE_WORKING_DAYS = 15
PUBLISH_WORKING_DAYS = 2
# Office time left under which a deadline is "due soon" (one working day of the default office hours).
DUE_SOON_WORKING_HOURS = 8

S = FeedbackStatus


def resolve_clock_of(feedback: Feedback) -> Deadline:
    return Deadline(
        started_at=feedback.resolve_started_at,
        allotted_seconds=feedback.resolve_allotted_seconds,
        consumed_seconds=feedback.resolve_consumed_seconds,
        running_since=feedback.resolve_running_since,
        paused_at=feedback.resolve_paused_at,
    )


def _resolve_clock_put(feedback: Feedback, clock: Deadline, calendar: WorkingCalendar) -> None:
    feedback.resolve_started_at = clock.started_at
    feedback.resolve_allotted_seconds = clock.allotted_seconds
    feedback.resolve_consumed_seconds = clock.consumed_seconds
    feedback.resolve_running_since = clock.running_since
    feedback.resolve_paused_at = clock.paused_at
    feedback.resolve_due_at = clock.due_at(calendar=calendar)


def deadlines_start(*, feedback: Feedback, at: dt.datetime, calendar: WorkingCalendar) -> None:
    """Set every deadline from the moment the competent agency gets the feedback (submission or forwarding)."""
    feedback.received_at = at
    feedback.receipt_due_at = calendar.add_working_days(at, RECEIPT_WORKING_DAYS)
    feedback.info_request_due_at = calendar.add_working_days(at, INFO_REQUEST_WORKING_DAYS)
    resolve_due = calendar.add_working_days(at, RESOLVE_WORKING_DAYS)
    # The allotted time is the office time until that day's close, so a pause moves it by exactly the pause.
    allotted = calendar.working_seconds_between(at, resolve_due)
    _resolve_clock_put(feedback, Deadline(started_at=at, allotted_seconds=allotted, running_since=at), calendar)
    feedback.resolve_due_at = resolve_due
    feedback.publish_due_at = None


def resolve_clock_pause(*, feedback: Feedback, at: dt.datetime, calendar: WorkingCalendar) -> None:
    clock = resolve_clock_of(feedback)
    if not clock.is_paused and clock.running_since is not None:
        _resolve_clock_put(feedback, clock.pause(at=at, calendar=calendar), calendar)


def resolve_clock_resume(*, feedback: Feedback, at: dt.datetime, calendar: WorkingCalendar) -> None:
    """Restart the answer's clock; its deadline moves later by the working time spent waiting."""
    clock = resolve_clock_of(feedback)
    if clock.is_paused:
        _resolve_clock_put(feedback, clock.resume(at=at), calendar)


def resolve_clock_stop(*, feedback: Feedback, at: dt.datetime, calendar: WorkingCalendar) -> None:
    """Freeze the answer's clock when the answer is approved (the deadline it had stays shown)."""
    clock = resolve_clock_of(feedback)
    consumed = clock.consumed(now=at, calendar=calendar)
    _resolve_clock_put(feedback, Deadline(clock.started_at, clock.allotted_seconds, consumed, None, None), calendar)
    # The deadline shown stays the one that applied.
    feedback.resolve_due_at = calendar.add_working_seconds(
        clock.running_since or at, max(clock.allotted_seconds - clock.consumed_seconds, 0)
    )


def publish_deadline_start(*, feedback: Feedback, at: dt.datetime, calendar: WorkingCalendar) -> None:
    feedback.publish_due_at = calendar.add_working_days(at, PUBLISH_WORKING_DAYS)


def stage_due_at(feedback: Feedback, stage: str) -> dt.datetime | None:
    """The stored deadline of a stage."""
    if stage == Stage.RECEIPT:
        return feedback.receipt_due_at
    if stage == Stage.INFO_REQUEST:
        return feedback.info_request_due_at
    if stage == Stage.RESOLVE:
        return feedback.resolve_due_at
    if stage == Stage.PUBLISH:
        return feedback.publish_due_at
    return None


def current_due_at(feedback: Feedback) -> dt.datetime | None:
    """The deadline of the feedback's current stage (None while waiting for the submitter, or once ended)."""
    if feedback.status == S.NEW:
        return feedback.receipt_due_at
    if feedback.status in (S.ACCEPTED, S.ASSIGNED, S.ANSWERED):
        return feedback.resolve_due_at
    if feedback.status == S.AWAITING_PUBLICATION:
        return feedback.publish_due_at
    return None


def current_stage(feedback: Feedback) -> str:
    if feedback.status == S.NEW:
        return Stage.RECEIPT
    if feedback.status in (S.ACCEPTED, S.ASSIGNED, S.ANSWERED):
        return Stage.RESOLVE
    if feedback.status == S.AWAITING_PUBLICATION:
        return Stage.PUBLISH
    return ""


def is_overdue(feedback: Feedback, now: dt.datetime) -> bool:
    due = current_due_at(feedback)
    return due is not None and due < now


def is_due_soon(feedback: Feedback, now: dt.datetime, calendar: WorkingCalendar) -> bool:
    due = current_due_at(feedback)
    return due is not None and now <= due <= calendar.add_working_hours(now, DUE_SOON_WORKING_HOURS)
