"""THE STORM: a few hundred payments made on the sandbox's hosted page, then every notification the sandbox signed
posted over real HTTP to a live Motcua, duplicated (up to four times) and shuffled (pending notices after
successes...), from several threads on PostgreSQL. Every payment must settle exactly once.

On SQLite the test database lives in memory and the live server shares its one connection between request
threads, so the notifications are posted one at a time there (set MOTCUA_TEST_SQLITE_NAME to a file to storm
SQLite with threads too); on PostgreSQL they come from eight threads at once.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
from collections import Counter, defaultdict

import pytest
import requests
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection

from motcua.core.audit import audit_chain_verify
from motcua.core.models import AuditEvent
from motcua.payments import services
from motcua.payments.gateways import protocol as p
from motcua.payments.models import (
    CallbackRejection,
    GatewayNotification,
    PaymentEvent,
    PaymentRequest,
    Receipt,
    Refund,
    RequestStatus,
    Transaction,
    TransactionFlag,
    TransactionStatus,
)
from tests.payments.conftest import SETTLED_ACTION, make_request

pytestmark = pytest.mark.django_db(transaction=True)

REQUESTS = 300
TWO_TABS = 30  # requests paid twice, in two tabs
CANCELLED_EVERY = 6  # every sixth request's payer cancels on the hosted page (and never pays)
UNPAID_EVERY = 25  # every 25th request is never paid nor cancelled: it must stay open
T = TransactionStatus


def _threads() -> int:
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return 1
    return 8


def _post_all(url: str, bodies: list[dict], threads: int) -> list[tuple[int, str]]:
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()
    chunks = [bodies[index::threads] for index in range(threads)]

    def work(chunk: list[dict]) -> None:
        session = requests.Session()
        for body in chunk:
            response = session.post(
                url, data=json.dumps(body, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"}
            )
            with lock:
                answers.append((response.status_code, response.json().get("MaLoi", "")))

    workers = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=600)
    return answers


def test_a_storm_of_duplicate_shuffled_callbacks_settles_every_payment_exactly_once(
    live_server, sandbox, settings, agency, payer, monkeypatch
):
    # Django's test server writes headers and body separately; without TCP_NODELAY each answer waits 40 ms for
    # the client's delayed ACK, which would only slow the storm down (gunicorn sets it itself).
    monkeypatch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
    settings.SITE_URL = live_server.url
    # The notifications are signed when paid and posted later; a slow shared machine must not make them stale.
    settings.PAYMENT_CALLBACK_WINDOW_SECONDS = 1800
    sandbox.control(callback="collect", pending_notice=True)
    bills = [make_request(agency, payer, reference=f"000.00.20.H49-260302-{index:04d}") for index in range(REQUESTS)]
    attempts: list[tuple[PaymentRequest, Transaction, str, str]] = []  # (bill, transaction, url, action)
    for index, bill in enumerate(bills):
        if index % UNPAID_EVERY == 0:
            services.payment_start(actor=payer, request=bill)  # started, then abandoned
            continue
        action = "cancel" if index % CANCELLED_EVERY == 0 else "pay"
        txn, url = services.payment_start(actor=payer, request=bill, idempotency_key=f"tab-1-{index}")
        attempts.append((bill, txn, url, action))
        if index < TWO_TABS * 2 and index % 2 == 1 and action == "pay":
            second, second_url = services.payment_start(actor=payer, request=bill, idempotency_key=f"tab-2-{index}")
            attempts.append((bill, second, second_url, "pay"))
    for _bill, _txn, url, action in attempts:
        assert requests.post(url, data={"action": action, "bank": "BIDV"}, allow_redirects=False).status_code == 303

    notifications = sandbox.state()["collected"]
    rng = random.Random(20260302)
    deliveries = [body for body in notifications for _copy in range(rng.randint(1, 4))]
    rng.shuffle(deliveries)
    assert len(deliveries) >= 1000

    answers = _post_all(f"{live_server.url}/payments/gateway/sandbox/callback/", deliveries, _threads())

    assert len(answers) == len(deliveries)
    assert Counter(answers) == {(200, p.OK): len(deliveries)}
    # Each notification processed once; every other delivery of it answered as a duplicate.
    distinct = {body["MaThongBao"] for body in notifications}
    assert GatewayNotification.objects.count() == len(distinct)
    assert CallbackRejection.objects.filter(reason="duplicate").count() == len(deliveries) - len(distinct)
    assert not CallbackRejection.objects.exclude(reason="duplicate").exists()

    paid_at_gateway = defaultdict(list)
    for bill, txn, _url, action in attempts:
        if action == "pay":
            paid_at_gateway[bill.pk].append(txn.pk)
    settled_total = 0
    for bill in bills:
        bill.refresh_from_db()
        settled = AuditEvent.objects.filter(action=SETTLED_ACTION, object_id=str(bill.pk)).count()
        if bill.pk in paid_at_gateway:
            assert bill.status == RequestStatus.PAID, bill.code
            assert settled == 1, bill.code
            assert bill.settled_transaction_id in paid_at_gateway[bill.pk]
            settled_total += bill.amount
        else:
            assert bill.status == RequestStatus.OPEN and settled == 0, bill.code
    # Two tabs: one settled, the other flagged and refunded through the sandbox.
    doubles = {pk: txns for pk, txns in paid_at_gateway.items() if len(txns) == 2}
    assert len(doubles) >= 20
    for pk, txns in doubles.items():
        settled_pk = PaymentRequest.objects.get(pk=pk).settled_transaction_id
        (other,) = [txn for txn in txns if txn != settled_pk]
        other = Transaction.objects.get(pk=other)
        assert other.flag == TransactionFlag.DUPLICATE_PAYMENT and other.status == T.REFUNDED
        assert Refund.objects.get(transaction=other).status == Refund.Status.SUCCEEDED

    # History: one row per state change, each from where the previous one left the transaction.
    for _bill, txn, _url, action in attempts:
        events = list(PaymentEvent.objects.filter(transaction=txn).exclude(from_status__in=("open", "paid")))
        statuses = [event.to_status for event in events]
        assert len(statuses) == len(set(statuses)), (txn.initiator_transaction_id, statuses)
        for previous, event in itertools.pairwise(events):
            assert event.from_status == previous.to_status
        txn.refresh_from_db()
        assert statuses[-1] == txn.status
        expected = {"pay": (T.SUCCEEDED, T.REFUNDED), "cancel": (T.FAILED,)}[action]
        assert txn.status in expected
    for bill in bills:
        sequences = list(PaymentEvent.objects.filter(request=bill).values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1))

    # Sums: what Motcua settled is what the gateway kept; what it refunded is what the gateway gave back.
    at_gateway = sandbox.state()["transactions"]
    kept = sum(
        row["amount"] - row["refunded"]
        for row in at_gateway
        if row["status"] in (p.STATUS_SUCCEEDED, p.STATUS_REFUNDED)
    )
    assert kept == settled_total
    refunded = sum(refund.amount for refund in Refund.objects.filter(status=Refund.Status.SUCCEEDED))
    assert refunded == sum(row["refunded"] for row in at_gateway)
    # Receipts numbered without gaps nor doubles, one per paid request.
    numbers = sorted(Receipt.objects.values_list("number", flat=True))
    assert numbers == list(range(1, len(paid_at_gateway) + 1))
    assert audit_chain_verify().intact
