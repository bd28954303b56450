"""The payment benchmark's own code, at a tiny size against the test live server (structure only, never timings)."""

import pytest

from motcua.payments.models import GatewayNotification, PaymentRequest, RequestStatus
from tests.bench.payments import payments_measure, payments_prepare, payments_table
from tests.support.payment_sandbox import CLIENT_ID, SECRET, SandboxProcess

pytestmark = pytest.mark.django_db(transaction=True)


def test_prepared_payments_are_settled_by_the_measured_notifications_and_duplicates_settle_nothing(
    live_server, settings, tmp_path
):
    sandbox = SandboxProcess.start(database=tmp_path / "sandbox.sqlite3")
    try:
        settings.PAYMENT_GATEWAYS = ["sandbox"]
        settings.PAYMENT_SANDBOX_URL = sandbox.url
        settings.PAYMENT_SANDBOX_CLIENT_ID = CLIENT_ID
        settings.PAYMENT_SANDBOX_SECRET = SECRET
        notifications = payments_prepare(sandbox=sandbox, payments=4)
        assert len(notifications) == 4 and {body["TrangThai"] for body in notifications} == {"00"}
        # One client thread: the live server shares SQLite's in-memory connection between its threads.
        timings = payments_measure(base_url=live_server.url, notifications=notifications, threads=1)
    finally:
        sandbox.stop()
    assert [timing.count for timing in timings] == [4, 4]
    assert all(timing.per_second > 0 and timing.p95_ms >= timing.p50_ms > 0 for timing in timings)
    assert PaymentRequest.objects.filter(status=RequestStatus.PAID).count() == 4
    assert GatewayNotification.objects.count() == 4
    table = payments_table(timings)
    assert table.count("\n") == 4 and "settles a payment" in table and "duplicate" in table
