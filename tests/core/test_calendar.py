import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from motcua.core.calendar import Deadline, WorkingCalendar, calendar_get
from motcua.core.models import CalendarDay

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(year, month, day, hour=9, minute=0):
    return dt.datetime(year, month, day, hour, minute, tzinfo=VN)


@pytest.fixture
def calendar():
    return WorkingCalendar()


def test_weekend_is_not_a_working_day(calendar):
    assert calendar.is_working_day(dt.date(2026, 11, 20))  # Friday
    assert not calendar.is_working_day(dt.date(2026, 11, 21))  # Saturday
    assert not calendar.is_working_day(dt.date(2026, 11, 22))  # Sunday


def test_lunar_new_year_and_hung_kings_are_holidays(calendar):
    for day in [dt.date(2026, 2, 16), dt.date(2026, 2, 17), dt.date(2026, 2, 20)]:  # Tết Bính Ngọ
        assert not calendar.is_working_day(day)
    assert not calendar.is_working_day(dt.date(2026, 4, 27))  # Hùng Kings' day observed (26/4 is a Sunday)
    assert not calendar.is_working_day(dt.date(2026, 9, 2))


def test_three_working_days_from_monday_end_thursday_close(calendar):
    assert calendar.add_working_days(at(2026, 11, 16), 3) == at(2026, 11, 19, 17, 0)


def test_deadline_across_tet_skips_the_whole_holiday(calendar):
    # Received Friday 13/2/2026; Tết runs Mon 16/2 - Fri 20/2; 5 working days land on Fri 27/2.
    assert calendar.add_working_days(at(2026, 2, 13, 10), 5) == at(2026, 2, 27, 17, 0)


def test_deadline_across_weekend(calendar):
    assert calendar.add_working_days(at(2026, 11, 20, 16), 1) == at(2026, 11, 23, 17, 0)


def test_received_on_a_weekend_counts_from_monday(calendar):
    assert calendar.add_working_days(at(2026, 11, 21, 10), 1) == at(2026, 11, 23, 17, 0)
    assert calendar.add_working_days(at(2026, 11, 21, 10), 0) == at(2026, 11, 23, 17, 0)


def test_negative_days_are_refused(calendar):
    with pytest.raises(ValueError):
        calendar.add_working_days(at(2026, 11, 16), -1)


def test_working_hours_skip_lunch_and_night(calendar):
    # 11:00 + 2 working hours: 30 minutes before lunch, 1.5 hours after 13:00 -> 14:30
    assert calendar.add_working_hours(at(2026, 11, 16, 11, 0), 2) == at(2026, 11, 16, 14, 30)
    # Friday 16:00 + 2 hours -> Monday 08:30
    assert calendar.add_working_hours(at(2026, 11, 20, 16, 0), 2) == at(2026, 11, 23, 8, 30)


def test_working_seconds_between_counts_only_office_time(calendar):
    friday_afternoon = at(2026, 11, 20, 16, 0)
    monday_morning = at(2026, 11, 23, 8, 30)
    assert calendar.working_seconds_between(friday_afternoon, monday_morning) == 2 * 3600
    assert calendar.working_seconds_between(monday_morning, friday_afternoon) == 0


def test_configured_day_off_and_compensatory_working_day():
    calendar = WorkingCalendar(
        days_off=frozenset({dt.date(2026, 11, 16)}), working_days=frozenset({dt.date(2026, 11, 21)})
    )
    assert not calendar.is_working_day(dt.date(2026, 11, 16))
    assert calendar.is_working_day(dt.date(2026, 11, 21))
    # Friday + 1 working day is the compensatory Saturday
    assert calendar.add_working_days(at(2026, 11, 20), 1) == at(2026, 11, 21, 17, 0)


def test_government_swapped_saturday_is_a_working_day(calendar):
    # 22/8/2026 (Saturday) is worked so that 31/8 can be a day off before National Day.
    assert calendar.is_working_day(dt.date(2026, 8, 22))
    assert not calendar.is_working_day(dt.date(2026, 8, 31))


@pytest.mark.django_db
def test_calendar_get_reads_administrator_days():
    CalendarDay.objects.create(date=dt.date(2026, 12, 31), kind=CalendarDay.Kind.DAY_OFF, reason="Nghỉ bù")
    assert not calendar_get().is_working_day(dt.date(2026, 12, 31))


def test_deadline_pauses_and_resumes(calendar):
    start = at(2026, 11, 16, 7, 30)  # Monday, opening time
    deadline = Deadline.start(at=start, working_days=3, calendar=calendar)
    assert deadline.due_at(calendar=calendar) == at(2026, 11, 18, 17, 0)
    paused = deadline.pause(at=at(2026, 11, 17, 7, 30), calendar=calendar)  # one working day used
    assert paused.is_paused and paused.due_at(calendar=calendar) is None
    assert paused.consumed(now=at(2026, 11, 30), calendar=calendar) == calendar.seconds_per_day
    resumed = paused.resume(at=at(2026, 11, 23, 7, 30))  # next Monday: the paused week does not count
    assert resumed.remaining(now=at(2026, 11, 23, 7, 30), calendar=calendar) == 2 * calendar.seconds_per_day
    # 24/11 is Vietnam Culture Day (a holiday from 2026), so the two remaining days are 23 and 25/11.
    assert resumed.due_at(calendar=calendar) == at(2026, 11, 25, 17, 0)
    with pytest.raises(ValueError):
        resumed.resume(at=at(2026, 11, 24))
    with pytest.raises(ValueError):
        paused.pause(at=at(2026, 11, 24), calendar=calendar)
