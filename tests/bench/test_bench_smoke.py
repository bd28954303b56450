"""The dossier benchmark's own code, at a tiny size on the test database (structure only, never timings)."""

import pytest

from motcua.dossiers.models import Dossier, DossierCounter, DossierStatus, PortalOutboxRecord
from tests.bench.dossiers import dossiers_load, dossiers_measure

pytestmark = pytest.mark.django_db


def test_the_loader_and_the_measurements_run_on_a_small_database():
    report = dossiers_load(count=2000)

    assert report.dossiers == 2000 == Dossier.objects.count()
    assert sum(report.per_status.values()) == 2000
    assert set(report.per_status) <= set(DossierStatus.values) and report.per_status["returned"] > 1000
    assert len(report.per_organisation) >= 10  # spread over the demo organisations
    codes = Dossier.objects.values_list("code", flat=True)
    assert len(set(codes)) == 2000
    # The daily counters continue after the loaded codes, so a new submission gets the next number.
    assert DossierCounter.objects.count() > 0
    newest = Dossier.objects.order_by("-submitted_at").first()
    assert newest.search_key.startswith(newest.code.lower())
    assert Dossier.objects.filter(status="processing", due_at__isnull=False).exists()

    timings = dossiers_measure(samples=5, submit_seconds=0.5)

    assert [timing.measurement.split(" (")[0] for timing in timings] == [
        "queue page “open”",
        "queue page “overdue”",
        "queue page “all”",
        "lookup by code",
        "search by applicant name",
        "POST /api/v1/dossiers",
    ]
    assert all(timing.samples >= 1 and timing.p95_ms >= timing.p50_ms > 0 for timing in timings)
    submitted = Dossier.objects.filter(channel=2, applicant__isnull=False)
    assert submitted.count() == timings[-1].samples + 1  # and the earlier dossier whose documents are re-used
    assert PortalOutboxRecord.objects.filter(dossier__in=submitted).count() == submitted.count()
