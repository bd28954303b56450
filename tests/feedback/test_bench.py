"""The feedback benchmark's own code, at a tiny size on the test database (structure only, never timings)."""

import pytest

from motcua.feedback.models import Feedback, FeedbackCounter
from tests.bench.feedback import feedback_load, feedback_measure

pytestmark = pytest.mark.django_db


def test_the_loader_and_the_measurements_run_on_a_small_database():
    report = feedback_load(count=600)

    assert report.feedback == 600 == Feedback.objects.filter(submitter_name="Người dân").count()
    assert sum(report.per_status.values()) == 600 and report.per_status["published"] > 100
    codes = list(Feedback.objects.values_list("code", flat=True))
    assert len(set(codes)) == 600 and FeedbackCounter.objects.exists()
    published = Feedback.objects.filter(status="published").first()
    assert "cong dan hoi" in published.public_search_key and published.published_at > published.approved_at
    assert Feedback.objects.filter(status__in=["new", "assigned"], due_at__isnull=False).exists()

    timings = feedback_measure(samples=3, submit_seconds=0.2)

    assert [timing.measurement.split(" (")[0].split(" “")[0] for timing in timings] == [
        "queue page",
        "queue page",
        "officials' search",
        "public search",
        "public search, one agency",
        "one published answer",
        "POST /api/v1/feedback",
    ]
    assert all(timing.samples >= 1 and timing.p95_ms >= timing.p50_ms > 0 for timing in timings)
    assert Feedback.objects.filter(title="Phản ánh thử nghiệm hiệu năng").count() == timings[-1].samples
