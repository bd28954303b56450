"""On-time rule of Decision 766/QĐ-TTg (2022), implemented once and used by selectors, API and reports.

A received dossier is **on time** when its statutory processing time (working time, ``core.calendar``) was
not exceeded at its end, the end being the first of finished / returned / stopped / refused (and, here,
withdrawn); time waiting for the applicant's supplement (and financial obligation) is excluded because the
deadline clock is paused meanwhile; **more than one supplement request counts as late**; a dossier still
open and within its deadline counts as on time. An apology letter (Form 04) moves the appointment shown to
the applicant but not the statutory time: a dossier finished after its original deadline is late.

Dossiers never received (still new, refused at receipt, withdrawn before receipt) are not counted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from motcua.core.calendar import Deadline, WorkingCalendar
from motcua.dossiers.models import RUNNING_STATUSES, Dossier

MAX_SUPPLEMENTS_ON_TIME = 1


def deadline_of(dossier: Dossier) -> Deadline | None:
    """The dossier's statutory deadline clock, or None before receipt."""
    if dossier.deadline_started_at is None:
        return None
    return Deadline(
        started_at=dossier.deadline_started_at,
        allotted_seconds=dossier.deadline_allotted_seconds,
        consumed_seconds=dossier.deadline_consumed_seconds,
        running_since=dossier.deadline_running_since,
        paused_at=dossier.deadline_paused_at,
    )


def deadline_put(dossier: Dossier, deadline: Deadline) -> None:
    """Copy a clock into the dossier's fields (the caller saves)."""
    dossier.deadline_started_at = deadline.started_at
    dossier.deadline_allotted_seconds = deadline.allotted_seconds
    dossier.deadline_consumed_seconds = deadline.consumed_seconds
    dossier.deadline_running_since = deadline.running_since
    dossier.deadline_paused_at = deadline.paused_at


def end_of_processing(dossier: Dossier) -> dt.datetime | None:
    """The first of finished / returned / stopped-refused-withdrawn."""
    moments = [moment for moment in (dossier.finished_at, dossier.returned_at, dossier.closed_at) if moment]
    return min(moments) if moments else None


@dataclass(frozen=True)
class Timeliness:
    is_counted: bool  # received, so it counts in the on-time rate
    is_on_time: bool | None  # None when not counted
    is_ended: bool
    is_paused: bool
    is_overdue: bool  # still open and past its appointment
    allotted_seconds: float
    consumed_seconds: float
    remaining_seconds: float
    supplement_count: int
    ended_at: dt.datetime | None
    due_at: dt.datetime | None
    reason: str  # not_received | within_deadline | finished_on_time | late | too_many_supplements


def dossier_timeliness_compute(*, dossier: Dossier, now: dt.datetime, calendar: WorkingCalendar) -> Timeliness:
    """Apply Decision 766's on-time rule to one dossier at ``now``."""
    deadline = deadline_of(dossier)
    ended_at = end_of_processing(dossier)
    if deadline is None:
        return Timeliness(
            is_counted=False,
            is_on_time=None,
            is_ended=ended_at is not None,
            is_paused=False,
            is_overdue=False,
            allotted_seconds=0,
            consumed_seconds=0,
            remaining_seconds=0,
            supplement_count=dossier.supplement_count,
            ended_at=ended_at,
            due_at=dossier.due_at,
            reason="not_received",
        )
    moment = min(ended_at, now) if ended_at is not None else now
    consumed = deadline.consumed(now=moment, calendar=calendar)
    within = consumed <= deadline.allotted_seconds
    too_many = dossier.supplement_count > MAX_SUPPLEMENTS_ON_TIME
    is_on_time = within and not too_many
    if too_many:
        reason = "too_many_supplements"
    elif not within:
        reason = "late"
    else:
        reason = "finished_on_time" if ended_at is not None else "within_deadline"
    is_overdue = (
        ended_at is None and dossier.status in RUNNING_STATUSES and dossier.due_at is not None and dossier.due_at < now
    )
    return Timeliness(
        is_counted=True,
        is_on_time=is_on_time,
        is_ended=ended_at is not None,
        is_paused=deadline.is_paused,
        is_overdue=is_overdue,
        allotted_seconds=deadline.allotted_seconds,
        consumed_seconds=consumed,
        remaining_seconds=deadline.allotted_seconds - consumed,
        supplement_count=dossier.supplement_count,
        ended_at=ended_at,
        due_at=dossier.due_at,
        reason=reason,
    )
