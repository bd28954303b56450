"""Working-day calendar for legal deadlines (thời hạn giải quyết tính theo ngày làm việc).

Vietnam's public holidays come from the ``holidays`` package (Tết Nguyên đán, Giỗ Tổ Hùng Vương, 30/4,
1/5, 2/9...); administrators add days off and compensatory working days (``CalendarDay``), such as the
bridge days the Government announces each year. Saturdays and Sundays are off unless declared working.
Working hours are two sessions a day (default 07:30-11:30 and 13:00-17:00, Decree 45/2013 allows each
agency to set them); deadlines counted "in working days" end at the close of the last working day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def _parse_session(text: str) -> tuple[dt.time, dt.time]:
    start, end = text.split("-")
    return dt.time.fromisoformat(start.strip()), dt.time.fromisoformat(end.strip())


@lru_cache(maxsize=64)
def _national(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    """Public holidays of a year and the weekend days the Government swapped into working days."""
    calendar = holidays.country_holidays("VN", years=year)
    return frozenset(calendar.keys()), frozenset(getattr(calendar, "weekend_workdays", ()) or ())


@dataclass
class WorkingCalendar:
    """A calendar: national holidays plus configured exceptions; immutable once built."""

    days_off: frozenset[dt.date] = frozenset()
    working_days: frozenset[dt.date] = frozenset()
    sessions: tuple[tuple[dt.time, dt.time], ...] = field(
        default_factory=lambda: (
            _parse_session(settings.WORKDAY_MORNING),
            _parse_session(settings.WORKDAY_AFTERNOON),
        )
    )

    # ------------------------------------------------------------------ days
    def is_working_day(self, day: dt.date) -> bool:
        if day in self.working_days:
            return True
        national_holidays, swapped_workdays = _national(day.year)
        if day in self.days_off or day in national_holidays:
            return False
        return day.weekday() < 5 or day in swapped_workdays

    def next_working_day(self, day: dt.date) -> dt.date:
        day += dt.timedelta(days=1)
        while not self.is_working_day(day):
            day += dt.timedelta(days=1)
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in the half-open range (start, end]."""
        count, day = 0, start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count

    def add_working_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """Deadline ``days`` working days after ``start``: the close of business of the last one.

        The day of receipt does not count (the count starts the next working day), as in the one-stop
        receipt slip where a 3-day procedure received on Monday is due Thursday at close of business.
        """
        if days < 0:
            raise ValueError("days must not be negative")
        local = start.astimezone(LOCAL_TZ)
        day = local.date()
        if days == 0:
            while not self.is_working_day(day):
                day += dt.timedelta(days=1)
            return self._close_of(day)
        for _ in range(days):
            day = self.next_working_day(day)
        return self._close_of(day)

    # ------------------------------------------------------------------ hours
    @property
    def seconds_per_day(self) -> int:
        return sum(_seconds(start, end) for start, end in self.sessions)

    def _close_of(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, self.sessions[-1][1], tzinfo=LOCAL_TZ)

    def _windows(self, day: dt.date) -> Iterable[tuple[dt.datetime, dt.datetime]]:
        if not self.is_working_day(day):
            return []
        return [
            (dt.datetime.combine(day, start, tzinfo=LOCAL_TZ), dt.datetime.combine(day, end, tzinfo=LOCAL_TZ))
            for start, end in self.sessions
        ]

    def add_working_seconds(self, start: dt.datetime, seconds: float) -> dt.datetime:
        """The moment when ``seconds`` of office time have passed after ``start``."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        moment = start.astimezone(LOCAL_TZ)
        remaining = dt.timedelta(seconds=seconds)
        day = moment.date()
        for _ in range(3660):  # ten years of days is a generous bound for any legal deadline
            for window_start, window_end in self._windows(day):
                begin = max(window_start, moment)
                if begin >= window_end:
                    continue
                available = window_end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
            day += dt.timedelta(days=1)
        raise ValueError("deadline too far in the future")

    def add_working_hours(self, start: dt.datetime, hours: float) -> dt.datetime:
        return self.add_working_seconds(start, hours * 3600)

    def working_seconds_between(self, start: dt.datetime, end: dt.datetime) -> float:
        """Office time between two moments (0 when end is before start)."""
        start, end = start.astimezone(LOCAL_TZ), end.astimezone(LOCAL_TZ)
        if end <= start:
            return 0.0
        total = 0.0
        day = start.date()
        while day <= end.date():
            for window_start, window_end in self._windows(day):
                begin, finish = max(window_start, start), min(window_end, end)
                if finish > begin:
                    total += (finish - begin).total_seconds()
            day += dt.timedelta(days=1)
        return total


def _seconds(start: dt.time, end: dt.time) -> int:
    return (end.hour * 3600 + end.minute * 60 + end.second) - (start.hour * 3600 + start.minute * 60 + start.second)


def calendar_get() -> WorkingCalendar:
    """The calendar in force: national holidays plus the administrator's configured days."""
    from motcua.core.models import CalendarDay

    rows = list(CalendarDay.objects.values_list("date", "kind"))
    return WorkingCalendar(
        days_off=frozenset(d for d, kind in rows if kind == CalendarDay.Kind.DAY_OFF),
        working_days=frozenset(d for d, kind in rows if kind == CalendarDay.Kind.WORKING_DAY),
    )


@dataclass(frozen=True)
class Deadline:
    """A running legal deadline that can be paused (e.g. while the applicant supplements a dossier).

    ``allotted_seconds`` of office time from ``started_at``; each pause stops the clock until resumed.
    Immutable: ``pause``/``resume`` return a new value that callers store.
    """

    started_at: dt.datetime
    allotted_seconds: float
    consumed_seconds: float = 0.0
    running_since: dt.datetime | None = None
    paused_at: dt.datetime | None = None

    @classmethod
    def start(
        cls, *, at: dt.datetime, working_days: int = 0, working_hours: float = 0, calendar: WorkingCalendar
    ) -> Deadline:
        allotted = working_days * calendar.seconds_per_day + working_hours * 3600
        return cls(started_at=at, allotted_seconds=allotted, running_since=at)

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None

    def consumed(self, *, now: dt.datetime, calendar: WorkingCalendar) -> float:
        if self.running_since is None:
            return self.consumed_seconds
        return self.consumed_seconds + calendar.working_seconds_between(self.running_since, now)

    def remaining(self, *, now: dt.datetime, calendar: WorkingCalendar) -> float:
        return self.allotted_seconds - self.consumed(now=now, calendar=calendar)

    def pause(self, *, at: dt.datetime, calendar: WorkingCalendar) -> Deadline:
        if self.is_paused:
            raise ValueError("deadline already paused")
        return Deadline(self.started_at, self.allotted_seconds, self.consumed(now=at, calendar=calendar), None, at)

    def resume(self, *, at: dt.datetime) -> Deadline:
        if not self.is_paused:
            raise ValueError("deadline is not paused")
        return Deadline(self.started_at, self.allotted_seconds, self.consumed_seconds, at, None)

    def due_at(self, *, calendar: WorkingCalendar) -> dt.datetime | None:
        """When the deadline falls if the clock keeps running now; None while paused."""
        if self.running_since is None:
            return None
        remaining = max(self.allotted_seconds - self.consumed_seconds, 0)
        return calendar.add_working_seconds(self.running_since, remaining)
