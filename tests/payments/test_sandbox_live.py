"""The sandbox process calling back a live Motcua over HTTP: delivery before the redirect, retries of a refused
(wrongly signed) notification, a redelivered duplicate, a delayed notification that arrives after the return.

The notifications are delivered while the test waits for the sandbox (``before_redirect``, ``redeliver``), so the
live server never has two requests at once on SQLite's shared in-memory connection; the delayed one needs a
database that real threads can share and runs on PostgreSQL (or a file SQLite database).
"""

import time

import pytest
import requests
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection

from motcua.payments import services
from motcua.payments.gateways import protocol as p
from motcua.payments.models import CallbackRejection, GatewayNotification, RequestStatus, Transaction
from tests.payments.conftest import settlements

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live(live_server, settings, monkeypatch):
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
    settings.SITE_URL = live_server.url
    return live_server


def test_the_notification_is_delivered_before_the_redirect_and_a_redelivery_is_a_duplicate(live, sandbox, bill, payer):
    sandbox.control(callback="before_redirect")
    _txn, url = services.payment_start(actor=payer, request=bill)
    response = sandbox.pay(url)
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID and settlements(bill) == 1
    (delivery,) = sandbox.state()["deliveries"]
    assert delivery["http_status"] == 200 and delivery["MaLoi"] == p.OK
    page = requests.get(response.headers["Location"], timeout=30)
    assert page.status_code == 200 and "message--success" in page.text
    assert sandbox.redeliver(delivery["MaThongBao"]) is True
    assert settlements(bill) == 1 and CallbackRejection.objects.filter(reason="duplicate").count() == 1


def test_a_wrongly_signed_notification_is_refused_every_time_and_the_return_settles_by_asking(
    live, sandbox, bill, payer
):
    sandbox.control(callback="before_redirect", wrong_signature=True, max_attempts=3, retry_delays=[0.05])
    _txn, url = services.payment_start(actor=payer, request=bill)
    response = sandbox.pay(url)
    deliveries = sandbox.state()["deliveries"]
    assert [(item["http_status"], item["MaLoi"]) for item in deliveries] == [(401, p.BAD_CHECKSUM)] * 3
    assert CallbackRejection.objects.filter(reason="bad_signature").count() == 3
    bill.refresh_from_db()
    assert bill.status == RequestStatus.OPEN
    sandbox.control(wrong_signature=False)
    # The return (its signature was wrong too) is not believed; Motcua asks the sandbox, which says paid.
    page = requests.get(response.headers["Location"], timeout=30)
    assert "message--success" in page.text
    bill.refresh_from_db()
    assert bill.status == RequestStatus.PAID and settlements(bill) == 1


def test_a_delayed_notification_after_the_return_settles_nothing_twice(live, sandbox, bill, payer):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip(
            "the delayed notification arrives while the test reads the database, and an in-memory SQLite test "
            "database is one connection shared by the live server's threads; runs on PostgreSQL (or with "
            "MOTCUA_TEST_SQLITE_NAME set to a file)"
        )
    sandbox.control(callback="delay", delay_seconds=1.0)
    txn, url = services.payment_start(actor=payer, request=bill)
    response = sandbox.pay(url)
    page = requests.get(response.headers["Location"], timeout=30)
    assert "message--success" in page.text  # asked the sandbox: paid
    deadline = time.monotonic() + 20
    while not sandbox.state()["deliveries"]:
        assert time.monotonic() < deadline, "the delayed notification never came"
        time.sleep(0.05)
    assert sandbox.state()["deliveries"][0]["MaLoi"] == p.OK
    assert settlements(bill) == 1
    assert GatewayNotification.objects.get().outcome == "no_change"
    assert Transaction.objects.get(pk=txn.pk).status == "succeeded"
