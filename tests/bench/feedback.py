"""Feedback and recommendations at scale: load synthetic feedback, then time the officials' queue, the public search
of published answers and submissions.

``feedback_load(count=...)`` inserts ``count`` feedback spread over three years across the demo directory's
organisations (the provincial departments and wards first), about the demo procedures or an agency; statuses by age
(recent ones still open, some overdue; older ones published, closed, refused or returned), deadlines computed with
the working-day calendar; published ones with their public search key. Rows go in with ``bulk_create`` in batches.

``feedback_measure(...)`` times (p50/p95) an official's queue ("open", "overdue": count and first page, as the pages
and the API do), the officials' search by a word of the title without diacritics, the public search of published
answers (count and first page, with and without a filter), one published answer, and anonymous submissions per
second through ``POST /api/v1/feedback``.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from motcua.core.calendar import LOCAL_TZ as LOCAL

BATCH = 5_000
PAGE_SIZE = 50
YEARS = 3
TOPICS = [
    ("Thời hạn giải quyết", "Hồ sơ của tôi nộp đã lâu nhưng chưa có kết quả, đề nghị cho biết thời hạn giải quyết."),
    ("Thành phần hồ sơ", "Đề nghị hướng dẫn rõ các giấy tờ cần nộp, tránh phải đi lại nhiều lần."),
    ("Phí, lệ phí", "Mức phí thu tại bộ phận một cửa khác với mức niêm yết, đề nghị giải thích."),
    ("Nộp hồ sơ trực tuyến", "Cổng dịch vụ công báo lỗi khi tải tệp đính kèm, không nộp được hồ sơ."),
    ("Thái độ phục vụ", "Cán bộ tiếp nhận hướng dẫn chưa đầy đủ, đề nghị cải thiện."),
    ("Giờ làm việc", "Đề nghị bộ phận một cửa làm việc cả sáng thứ Bảy để người lao động đi nộp hồ sơ."),
    ("Đơn giản hóa thủ tục", "Kiến nghị bỏ yêu cầu nộp bản sao chứng thực khi đã có dữ liệu dân cư."),
]
ANSWERS = [
    "Cơ quan đã kiểm tra và hướng dẫn thực hiện theo quy định hiện hành.",
    "Thời hạn giải quyết được tính từ ngày tiếp nhận hồ sơ hợp lệ.",
    "Cơ quan tiếp thu kiến nghị và sẽ điều chỉnh quy trình trong quý tới.",
]


@dataclass
class LoadReport:
    feedback: int = 0
    seconds: float = 0.0
    per_status: Counter = field(default_factory=Counter)
    busiest_agency: Any = None


def _status_for(age_days: float, rng: random.Random) -> str:
    if age_days < 20:
        return rng.choices(
            ["new", "accepted", "assigned", "needs_info", "answered", "awaiting_publication"], [3, 2, 6, 1, 1, 1]
        )[0]
    return rng.choices(["published", "closed", "refused", "returned", "assigned"], [35, 45, 10, 8, 2])[0]


def feedback_load(*, count: int, seed: int = 11) -> LoadReport:
    """Insert ``count`` synthetic feedback (see the module's docstring); needs nothing loaded beforehand."""
    from motcua.agencies.models import Organisation, Role
    from motcua.agencies.search import search_fold
    from motcua.agencies.services import agencies_load_demo
    from motcua.core.calendar import WorkingCalendar
    from motcua.feedback.models import Feedback, FeedbackCounter
    from motcua.procedures.models import Procedure
    from motcua.procedures.services import procedures_load_demo
    from tests.factories import OfficialFactory, PositionFactory

    started = time.perf_counter()
    rng = random.Random(seed)
    if not Organisation.objects.exists():
        agencies_load_demo(actor=None)
    if not Procedure.objects.exists():
        procedures_load_demo(actor=None)
    procedures = list(Procedure.objects.filter(implementing_organisation__isnull=False).select_related())
    agencies = list(Organisation.objects.filter(kind__in=["provincial_department", "commune"], is_active=True))
    weights = [5 if agency.code and agency.code.endswith("H49") else 1 for agency in agencies]
    handlers = {}
    for agency in agencies:
        handler = OfficialFactory()
        PositionFactory(user=handler, organisation=agency, role=Role.SPECIALIST)
        handlers[agency.pk] = handler
    calendar = WorkingCalendar()
    now = timezone.now()
    report = LoadReport()
    by_day: dict[dt.date, tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]] = {}

    def deadlines(day: dt.date) -> tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime]:
        # Deadlines in working days depend only on the local day of receipt: computed once per day.
        if day not in by_day:
            noon = dt.datetime.combine(day, dt.time(12), tzinfo=LOCAL)
            by_day[day] = (
                calendar.add_working_days(noon, 2),
                calendar.add_working_days(noon, 5),
                calendar.add_working_days(noon, 15),
                dt.datetime.combine(day, calendar.sessions[-1][1], tzinfo=LOCAL),
            )
        return by_day[day]

    per_day: Counter = Counter()
    secret = "sha256$0000000000000000$" + "0" * 64
    rows: list[Feedback] = []
    moments = sorted(now - dt.timedelta(days=rng.random() * 365 * YEARS) for _ in range(count))
    for submitted in moments:
        local_day = timezone.localtime(submitted).date()
        per_day[local_day] += 1
        code = f"PAKN-{local_day:%y%m%d}-{per_day[local_day]:04d}"
        procedure = rng.choice(procedures) if rng.random() < 0.7 else None
        agency = procedure.implementing_organisation if procedure is not None else rng.choices(agencies, weights)[0]
        topic, content = rng.choice(TOPICS)
        title = f"{topic}: {procedure.name[:120]}" if procedure is not None else f"{topic} tại {agency.name}"
        status = _status_for((now - submitted).total_seconds() / 86400, rng)
        receipt_due, info_due, resolve_due, day_close = deadlines(local_day)
        # The office time until the resolve deadline: what is left of the day of receipt, then 15 whole days.
        allotted = calendar.working_seconds_between(submitted, day_close) + 15 * calendar.seconds_per_day
        feedback = Feedback(
            code=code,
            secret_hash=secret,
            status=status,
            subject_kind="procedure" if procedure is not None else "agency",
            procedure=procedure,
            agency=agency,
            field_code=procedure.field_code if procedure is not None else "",
            field_name=procedure.field_name if procedure is not None else "",
            title=title,
            content=content,
            submitter_name="Người dân",
            submitter_phone="0912345678",
            publication_consent=status == "published" or rng.random() < 0.5,
            submitted_at=submitted,
            received_at=submitted,
            receipt_due_at=receipt_due,
            info_request_due_at=info_due,
            resolve_started_at=submitted,
            resolve_allotted_seconds=allotted,
            resolve_running_since=submitted,
            resolve_due_at=resolve_due,
        )
        if status in ("assigned", "answered"):
            feedback.assigned_to = handlers.get(agency.pk) or next(iter(handlers.values()))
        if status == "needs_info":
            feedback.resume_status, feedback.resolve_due_at, feedback.resolve_running_since = "accepted", None, None
        if status in ("answered", "awaiting_publication", "published", "closed"):
            feedback.answer = rng.choice(ANSWERS)
        if status in ("awaiting_publication", "published", "closed"):
            approved = min(resolve_due, submitted + dt.timedelta(days=rng.uniform(3, 25)))
            feedback.approved_at, feedback.resolve_running_since = approved, None
            feedback.publish_due_at = calendar.add_working_days(approved, 2)
        if status == "published":
            feedback.published_title = title
            feedback.published_question = f"Công dân hỏi về {topic.lower()}."
            feedback.published_at = feedback.approved_at + dt.timedelta(hours=rng.uniform(1, 40))
            feedback.like_count, feedback.dislike_count = rng.randint(0, 40), rng.randint(0, 10)
            feedback.public_search_key = search_fold(
                " ".join([code, title, feedback.published_question, feedback.answer])
            )
        if status in ("published", "closed", "refused", "returned"):
            feedback.closed_at = feedback.published_at or feedback.approved_at or receipt_due
        feedback.due_at = {
            "new": receipt_due,
            "accepted": resolve_due,
            "assigned": resolve_due,
            "answered": resolve_due,
            "awaiting_publication": feedback.publish_due_at,
        }.get(status)
        feedback.search_key = search_fold(f"{code} {title} Người dân")[:500]
        report.per_status[status] += 1
        rows.append(feedback)
        if len(rows) >= BATCH:
            Feedback.objects.bulk_create(rows)
            rows = []
    if rows:
        Feedback.objects.bulk_create(rows)
    FeedbackCounter.objects.bulk_create(
        [FeedbackCounter(day=day, last_number=number) for day, number in per_day.items()], ignore_conflicts=True
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute("ANALYZE")
        elif connection.in_atomic_block:  # e.g. the smoke test's transaction: VACUUM cannot run there
            cursor.execute("ANALYZE feedback_feedback")
        else:  # statistics, and the visibility map that lets counts read the indexes alone
            cursor.execute("VACUUM ANALYZE feedback_feedback")
    busiest = Counter(row for row in Feedback.objects.values_list("agency_id", flat=True)).most_common(1)
    report.busiest_agency = busiest[0][0] if busiest else None
    report.feedback = count
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class Timing:
    measurement: str
    samples: int
    p50_ms: float
    p95_ms: float
    note: str = ""


def _percentiles(label: str, durations: list[float], note: str = "") -> Timing:
    ordered = sorted(durations)
    p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
    return Timing(label, len(ordered), statistics.median(ordered) * 1000, p95 * 1000, note)


def _timed(samples: int, call: Any) -> list[float]:
    durations = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        durations.append(time.perf_counter() - started)
    return durations


def feedback_measure(*, samples: int = 200, submit_seconds: float = 10.0) -> list[Timing]:
    """Time the hot paths at the loaded size (see the module's docstring)."""
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    from motcua.agencies.models import Organisation, Role
    from motcua.feedback import selectors
    from motcua.feedback.models import Feedback
    from tests.factories import OfficialFactory, PositionFactory

    busiest = Counter(Feedback.objects.values_list("agency_id", flat=True)).most_common(1)[0][0]
    agency = Organisation.objects.get(pk=busiest)
    clerk = OfficialFactory()
    PositionFactory(user=clerk, organisation=agency, role=Role.DOCUMENT_CLERK)
    in_agency = Feedback.objects.filter(agency=agency).count()

    def queue(view: str, query: str = "") -> None:
        page = selectors.feedback_queue(user=clerk, view=view, query=query)
        page.count()
        list(page[:PAGE_SIZE])

    def public(query: str = "", **filters: str) -> None:
        results = selectors.feedback_public_search(query=query, **filters)
        results.count()
        list(results[:20])

    published = Feedback.objects.filter(status="published").order_by("-published_at").first()
    timings = [
        _percentiles(
            "queue page “open” (count + first 50)",
            _timed(samples, lambda: queue("open")),
            f"{in_agency:,} feedback at {agency.name}",
        ),
        _percentiles("queue page “overdue” (count + first 50)", _timed(samples, lambda: queue("overdue"))),
        _percentiles(
            "officials' search “thoi han” in “all”", _timed(samples, lambda: queue("all", "thoi han")), "no diacritics"
        ),
        _percentiles(
            "public search “thoi han giai quyet” (count + first 20)",
            _timed(samples, lambda: public("thoi han giai quyet")),
            f"{selectors.feedback_public_search(query='thoi han giai quyet').count():,} matches among "
            f"{Feedback.objects.filter(status='published').count():,} published answers (the synthetic texts repeat)",
        ),
        _percentiles(
            "public search, one agency (count + first 20)", _timed(samples, lambda: public(agency_code=agency.code))
        ),
    ]
    if published is not None:
        timings.append(
            _percentiles(
                "one published answer", _timed(samples, lambda: selectors.feedback_public_get(code=published.code))
            )
        )
    settings.FEEDBACK_SUBMIT_RATE_PER_HOUR = 10**9
    call_command("createcachetable", verbosity=0)  # the rate limits' shared cache (a table in the embedded run)
    client = Client()
    body = {
        "subject_kind": "agency",
        "agency": agency.code,
        "title": "Phản ánh thử nghiệm hiệu năng",
        "content": "Nội dung phản ánh.",
        "name": "Người dân",
        "phone": "0912345678",
    }
    durations = []
    deadline = time.perf_counter() + submit_seconds
    while time.perf_counter() < deadline or not durations:
        started = time.perf_counter()
        response = client.post("/api/v1/feedback", body)
        durations.append(time.perf_counter() - started)
        assert response.status_code == 201, response.content
    timings.append(
        _percentiles(
            "POST /api/v1/feedback (anonymous)",
            durations,
            f"{len(durations) / sum(durations):,.0f} submissions/s in one process",
        )
    )
    return timings
